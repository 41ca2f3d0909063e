"""Staff review of service requests: approve, decline with a reason, reschedule, insert an urgent visit."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.planning import DeclineForm, RescheduleForm
from dispatch.platform import clock
from dispatch.platform.access import role_required
from dispatch.platform.datefmt import date_text
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import label
from dispatch.services import planning as planning_service
from dispatch.services.care import requests as request_service
from dispatch.web.staff import bp
from dispatch.web.staff.planning import refuse


def _back(req) -> str:
    return url_for("staff.today", site=req.site_id, date=req.requested_date.isoformat())


def _status(form) -> int:
    return 422 if request.method == "POST" and form.errors else 200


@bp.route("/requests/<id:request_id>/approve", methods=["POST"])
@role_required("admin", "staff")
def request_approve(request_id: int):
    """Approve a request; it is planned as a visit on its day."""
    req = request_service.get_request_or_404(request_id, current_user, for_edit=True)
    try:
        request_service.approve(req, version=request.form.get("version", type=int), by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    flash(_("Request approved: %(senior)s, %(service)s.", senior=req.senior.full_name,
            service=label(req.service_type)), "success")
    return redirect(_back(req))


@bp.route("/requests/<id:request_id>/decline", methods=["GET", "POST"])
@role_required("admin", "staff")
def request_decline(request_id: int):
    """Decline a request with a reason the family will read."""
    req = request_service.get_request_or_404(request_id, current_user, for_edit=True)
    form = DeclineForm(version=req.version)
    if form.validate_on_submit():
        try:
            request_service.decline(req, form.reason.data, version=form.version_value(), by=current_user)
        except FieldError as error:
            if error.field != "reason":
                return refuse(error)
            show_error(form, error)
        except StaleRecord as error:
            return refuse(error)
        else:
            flash(_("Request declined."), "success")
            return redirect(_back(req))
    return render_template("staff/requests/decline.html", req=req, form=form, label=label), _status(form)


@bp.route("/requests/<id:request_id>/reschedule", methods=["GET", "POST"])
@role_required("admin", "staff")
def request_reschedule(request_id: int):
    """Move a request to another day or time window."""
    req = request_service.get_request_or_404(request_id, current_user, for_edit=True)
    form = RescheduleForm(version=req.version)
    if request.method == "GET":
        form.day.data, form.window_start.data, form.window_end.data = (
            req.requested_date, req.window_start, req.window_end)
    if form.validate_on_submit():
        try:
            request_service.reschedule(req, form.day.data, form.window_start.data, form.window_end.data,
                                       version=form.version_value(), by=current_user, today=clock.local_today())
        except FieldError as error:
            if error.field not in ("day", "window_start", "window_end"):
                return refuse(error)
            show_error(form, error)
        except StaleRecord as error:
            return refuse(error)
        else:
            flash(_("Request moved to %(day)s.", day=date_text(form.day.data)), "success")
            return redirect(_back(req))
    return render_template("staff/requests/reschedule.html", req=req, form=form, label=label), _status(form)


@bp.route("/requests/<id:request_id>/urgent", methods=["POST"])
@role_required("admin", "staff")
def request_urgent(request_id: int):
    """Insert an approved urgent visit into its day's live plan and publish the new version at once."""
    req = request_service.get_request_or_404(request_id, current_user, for_edit=True)
    try:
        result = planning_service.insert_urgent(req, by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    flash(ngettext("Urgent visit inserted and published in %(s)s s; %(num)s other stop changed worker.",
                   "Urgent visit inserted and published in %(s)s s; %(num)s other stops changed worker.",
                   result.moved, s=f"{result.seconds:.1f}"), "success")
    return redirect(url_for("staff.plan_detail", plan_id=result.plan.id))
