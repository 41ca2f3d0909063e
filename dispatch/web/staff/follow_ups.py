"""Staff pages for follow-ups: what visitors found, who owns it, by when, and closing it with what was done.

``/staff/follow-ups`` lists the follow-ups of the staff's sites (open first, overdue marked in words);
``/staff/follow-ups/<id>`` shows one with the visit record it came from and the close form;
``/staff/visit-records/<id>`` shows a visit record alone. Another site's follow-up or record is a 404.
"""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.models.service_request import ServiceType
from dispatch.models.user import User
from dispatch.models.visitation import FollowUpStatus
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import is_admin, role_required, staff_site_ids
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label
from dispatch.platform.validation import id_or_none, parse_day
from dispatch.services.visitation import follow_ups as service
from dispatch.services.visitation import records
from dispatch.web.staff import bp

READ_REPEAT = timedelta(minutes=10)  # reloading the list is one read, not one a minute


def _helpers() -> dict:
    return {
        "item_label": records.item_label, "check_status_label": records.status_label,
        "kind_label": service.kind_label, "action_label": service.action_label,
        "follow_up_actions": service.ACTIONS, "is_overdue": service.is_overdue,
        "record_items": records.concerns, "open_status": FollowUpStatus.OPEN,
        "service_types": [t for t in ServiceType if t != ServiceType.HOME_VISITATION], "label": label,
    }


@bp.route("/follow-ups")
@role_required("admin", "staff")
def follow_ups():
    """The follow-ups of my sites: open ones first by deadline, then the closed ones."""
    found = service.for_sites(None if is_admin(current_user) else staff_site_ids(current_user))
    today = clock.local_today()
    audit.record_list("follow_up.list", user=current_user, entity_type="follow_up", entity_id=None,
                      senior_ids=[f.senior_id for f in found], unless_repeated_within=READ_REPEAT)
    return render_template("staff/follow_ups/list.html", follow_ups=found, today=today, **_helpers())


def _page(follow_up, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    site = follow_up.senior.home_site
    return render_template(
        "staff/follow_ups/detail.html", fu=follow_up, record=follow_up.visit_record,
        today=clock.local_today(site), zone=clock.zone_of(site), staff=service.site_staff(follow_up.site_id),
        errors=errors or {}, values=values or {}, **_helpers(),
    ), status


@bp.route("/follow-ups/<id:follow_up_id>")
@role_required("admin", "staff")
def follow_up(follow_up_id: int):
    """One follow-up: its finding, the visit record it came from, and the close form."""
    found = service.get_follow_up_or_404(follow_up_id, current_user)
    audit.record("follow_up.read", user=current_user, entity_type="follow_up", entity_id=found.id,
                 senior_id=found.senior_id)
    return _page(found)


@bp.route("/follow-ups/<id:follow_up_id>/close", methods=["POST"])
@role_required("admin", "staff")
def follow_up_close(follow_up_id: int):
    """Close a follow-up with what was done and a note; both are required."""
    found = service.get_follow_up_or_404(follow_up_id, current_user)
    action, note = request.form.get("action"), request.form.get("close_note")
    try:
        service.close(found, action, note, by=current_user)
    except FieldError as error:
        transaction.doom()
        found = service.get_follow_up_or_404(follow_up_id, current_user)
        return _page(found, errors={error.field: str(error.message)},
                     values={"action": action or "", "close_note": note or ""}, status=422)
    flash(_("Follow-up closed."), "success")
    return redirect(url_for(".follow_up", follow_up_id=follow_up_id), code=303)


@bp.route("/follow-ups/<id:follow_up_id>/assign", methods=["POST"])
@role_required("admin", "staff")
def follow_up_assign(follow_up_id: int):
    """Give the follow-up to a staff member of its site, or back to the site's queue."""
    found = service.get_follow_up_or_404(follow_up_id, current_user)
    raw = request.form.get("owner_id") or ""
    owner = db.session.get(User, id_or_none(raw)) if raw else None
    try:
        if raw and owner is None:
            raise FieldError("owner_id", _("Choose a staff member of this site."))
        service.assign(found, owner, by=current_user)
    except FieldError as error:
        transaction.doom()
        found = service.get_follow_up_or_404(follow_up_id, current_user)
        return _page(found, errors={error.field: str(error.message)}, status=422)
    flash(_("Follow-up assigned."), "success")
    return redirect(url_for(".follow_up", follow_up_id=follow_up_id), code=303)


@bp.route("/follow-ups/<id:follow_up_id>/service-request", methods=["POST"])
@role_required("admin", "staff")
def follow_up_service_request(follow_up_id: int):
    """Ask a home service for the senior from the follow-up (it goes through the usual review)."""
    found = service.get_follow_up_or_404(follow_up_id, current_user)
    site = found.senior.home_site
    values = {"service_type": request.form.get("service_type") or "", "day": request.form.get("day") or ""}
    try:
        day = parse_day(values["day"], "day")
        if day is None:
            raise FieldError("day", _("Choose a day."))
        service.open_service_request(found, values["service_type"], day=day, by=current_user,
                                     today=clock.local_today(site))
    except FieldError as error:
        transaction.doom()
        found = service.get_follow_up_or_404(follow_up_id, current_user)
        field = "day" if error.field in ("day", "requested_date") else error.field
        return _page(found, errors={field: str(error.message)}, values=values, status=422)
    flash(_("Service request made; it waits for review."), "success")
    return redirect(url_for(".follow_up", follow_up_id=follow_up_id), code=303)


@bp.route("/visit-records/<id:record_id>")
@role_required("admin", "staff")
def visit_record(record_id: int):
    """One visit record: seen or not, the checklist, the visitor's words, and its follow-ups."""
    record = service.get_record_or_404(record_id, current_user)
    audit.record("visit_record.read", user=current_user, entity_type="visit_record", entity_id=record.id,
                 senior_id=record.senior_id)
    site = record.senior.home_site
    return render_template("staff/follow_ups/record.html", record=record, zone=clock.zone_of(site),
                           today=clock.local_today(site), **_helpers())
