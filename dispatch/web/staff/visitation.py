"""Home visitation (探访关爱) for staff: the due list, the call list with one tap per outcome, a senior's tier.

Staff see the dues of their own sites only (another site's due is a 404); every change is a plain form
post with its CSRF token, and a refused one is shown on the page it came from with nothing changed.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from dispatch.extensions import db
from dispatch.models.site import MealSite
from dispatch.models.visitation import TIERS, ContactKind, DueKind, DueVisit
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import (
    get_senior_or_404,
    get_site_or_404,
    is_admin,
    one_or_404,
    role_required,
    sites_visible_to,
    staff_site_ids,
)
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import shown_name
from dispatch.platform.validation import parse_day
from dispatch.services.visitation import calls as call_service
from dispatch.services.visitation import contacts, rules, tiers
from dispatch.services.visitation import due as due_service
from dispatch.web.staff import bp

HISTORY_SHOWN = 10
CONTACT_LABELS = {ContactKind.HOME_VISIT: _l("Home visit"), ContactKind.CALL: _l("Call"),
                  ContactKind.MEAL_CHECK: _l("Meal drop, seen and well")}


def _sites() -> list[MealSite]:
    return list(db.session.scalars(sites_visible_to(current_user).where(MealSite.is_active).order_by(MealSite.name)))


def _scope() -> tuple[list[MealSite], MealSite | None]:
    """The sites shown: the ``site`` argument (checked) or all the user's active sites."""
    raw = (request.values.get("site") or "").strip()
    if raw:
        site = get_site_or_404(raw, current_user)
        return [site], site
    sites = _sites()
    if not sites:
        abort(404)
    return sites, None


def _day(sites: list[MealSite]) -> tuple[date, str | None]:
    today = clock.local_today(sites[0]) if sites else clock.local_today()
    try:
        return parse_day(request.values.get("date"), "date", default=today), None
    except FieldError as error:
        return today, str(error.message)


def get_due_or_404(due_id: int) -> DueVisit:
    query = sa.select(DueVisit)
    if not is_admin(current_user):
        query = query.where(DueVisit.site_id.in_(staff_site_ids(current_user)))
    return one_or_404(query, DueVisit.id, due_id)


def _context(sites, site, day) -> dict:
    return dict(sites=_sites(), site=site, day=day, kind_labels=due_service.KIND_LABELS,
                tier_names=rules.TIER_NAMES, reason_text=due_service.reason_text)


def _record_read(rows) -> None:
    audit.record_list("visitation.due_list_read", user=current_user, entity_type="due_visit", entity_id=None,
                      senior_ids=[r.senior.id for r in rows])


@bp.route("/visitation")
@role_required("admin", "staff")
def visitation():
    """Due visits and calls at the user's sites for a day: overdue first, then by latest date and tier."""
    sites, site = _scope()
    day, date_error = _day(sites)
    rows = due_service.due_list([s.id for s in sites], day)
    _record_read(rows)
    return render_template("staff/visitation/due.html", rows=rows, errors={"date": date_error} if date_error else {},
                           **_context(sites, site, day)), 400 if date_error else 200


@bp.route("/visitation/generate", methods=["POST"])
@role_required("admin", "staff")
def visitation_generate():
    """Make the day's due visits and calls now (the periodic tick does it too); nothing new the second time."""
    sites, site = _scope()
    day, date_error = _day(sites)
    if date_error:
        abort(400)
    made = []
    for s in sites:
        made += due_service.generate(day, site_id=s.id)
    flash(_("%(n)s new due visits or calls.", n=len(made)), "success")
    return redirect(url_for("staff.visitation", site=site.id if site else None, date=day.isoformat()))


def _render_calls(sites, site, day, *, status: int = 200, errors: dict | None = None, form_due_id: int | None = None,
                  note: str = ""):
    rows = due_service.due_list([s.id for s in sites], day, kind=DueKind.CALL)
    _record_read(rows)
    return render_template("staff/visitation/calls.html", rows=rows, errors=errors or {}, form_due_id=form_due_id,
                           note=note, outcomes=list(call_service.CallOutcome),
                           outcome_labels=call_service.OUTCOME_LABELS, **_context(sites, site, day)), status


@bp.route("/visitation/calls")
@role_required("admin", "staff")
def visitation_calls():
    """The call list: due calls with one button per outcome."""
    sites, site = _scope()
    day, date_error = _day(sites)
    if date_error:
        return _render_calls(sites, site, day, status=400, errors={"date": date_error})
    return _render_calls(sites, site, day)


@bp.route("/visitation/dues/<id:due_id>/call", methods=["POST"])
@role_required("admin", "staff")
def visitation_call(due_id: int):
    """Record one call's outcome; a second tap on a done call changes nothing and says so."""
    due = get_due_or_404(due_id)
    sites, site = _scope()
    day, _error = _day(sites)
    note = request.form.get("note", "")
    try:
        result = call_service.record_call(due, request.form.get("outcome"), note, by=current_user)
    except StaleDataError:  # another tap changed the due between our read and our write
        transaction.doom()
        flash(_("This call was already recorded; nothing was changed."), "info")
        return redirect(url_for("staff.visitation_calls", site=site.id if site else None, date=day.isoformat()))
    except FieldError as error:
        transaction.doom()
        field = error.field if error.field in ("outcome", "note") else "form"
        return _render_calls(sites, site, day, status=422, errors={field: str(error.message)}, form_due_id=due.id,
                             note=note)
    name = shown_name(due.senior)
    if result.already_done:
        flash(_("This call was already recorded; nothing was changed."), "info")
    elif result.alert is not None:
        flash(_("No answer from %(name)s: a welfare alert is on the live board.", name=name), "warning")
    elif result.follow_up is not None:
        flash(_("Call with %(name)s recorded; a follow-up is yours within 3 days.", name=name), "success")
    elif result.contact_id:
        flash(_("Call with %(name)s recorded.", name=name), "success")
    else:
        flash(_("No answer from %(name)s: the call stays on the list.", name=name), "info")
    return redirect(url_for("staff.visitation_calls", site=site.id if site else None, date=day.isoformat())
                    + f"#due-{due.id}")


# A senior's visitation ------------------------------------------------------------------

def _summary(senior) -> dict:
    today = clock.local_today(senior.home_site)
    zone = clock.zone_of(senior.home_site)
    return {"view": tiers.tier_of(senior, today=today), "dues": due_service.open_dues_of(senior), "today": today,
            "history": [(c, clock.local(c.contact_dt, zone)) for c in contacts.history(senior, limit=HISTORY_SHOWN)],
            "tiers": TIERS, "tier_names": rules.TIER_NAMES, "kind_labels": due_service.KIND_LABELS,
            "contact_labels": CONTACT_LABELS, "reason_text": due_service.reason_text}


@bp.app_template_global()
def visitation_summary(senior) -> dict:
    """For the senior's staff page (already an audited read of the senior): tier, open dues, last contacts."""
    return _summary(senior)


@bp.route("/seniors/<id:senior_id>/visitation", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def senior_visitation(senior_id: int):
    """A senior's tier and why, their last contacts and open dues; staff set the tier with a reason or clear it."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=request.method == "POST")
    errors: dict[str, str] = {}
    status = 200
    form = {"tier": request.form.get("tier", ""), "reason": request.form.get("reason", "")}
    if request.method == "POST":
        try:
            if request.form.get("intent") == "clear":
                cleared = tiers.clear_tier(senior, by=current_user)
                flash(_("Back to the computed tier.") if cleared else _("The tier was already the computed one."),
                      "success")
            else:
                tiers.set_tier(senior, form["tier"], form["reason"], by=current_user)
                flash(_("Tier saved."), "success")
        except FieldError as error:
            transaction.doom()
            errors[error.field if error.field in ("tier", "reason") else "form"] = str(error.message)
            status = 422
        else:
            return redirect(url_for("staff.senior_visitation", senior_id=senior.id))
    audit.record("visitation.senior_read", user=current_user, entity_type="senior", entity_id=senior.id,
                 senior_id=senior.id)
    return render_template("staff/visitation/senior.html", s=senior, vis=_summary(senior), vis_errors=errors,
                           vis_form=form if errors else {}), status
