"""Family pages: linked seniors, asking for services, pausing meals, joining by invitation."""
from __future__ import annotations

import secrets
from datetime import timedelta

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import login_user
from wtforms.fields.choices import SelectChoice

from dispatch.forms.errors import show_error
from dispatch.forms.family import (
    AcceptInvitationForm,
    HoldForm,
    NotificationSettingsForm,
    RequestForm,
    RescheduleForm,
    service_choices,
)
from dispatch.platform import clock, transaction
from dispatch.platform.access import get_senior_or_404, has_role, role_required
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.i18n import LANGUAGES
from dispatch.platform.labels import shown_name
from dispatch.platform.links import tel_uri
from dispatch.services.care import away, family_requests
from dispatch.services.family import invitations, notification_settings
from dispatch.services.family import overview as family_view

bp = Blueprint("family", __name__, url_prefix="/family")


@bp.context_processor
def _helpers() -> dict:
    return {
        "tel_uri": tel_uri,
        "can_change": family_requests.can_change,
        # babel numbers days 0 = Monday, as ``date.weekday()`` and enrollments do.
        "weekday_names": get_day_names("abbreviated", locale=get_locale()),
    }


@bp.route("/")
@role_required("family")
def home():
    """List my linked seniors with their meals, holds, requests and open alerts."""
    overviews = family_view.family_overview(current_user)
    return render_template("family/home.html", overviews=overviews,
                           relatives=[(ov.senior, ov.relation) for ov in overviews])


@bp.route("/seniors/<id:senior_id>")
@role_required("family")
def senior(senior_id: int):
    """Show one linked senior; any other senior is a 404."""
    record = get_senior_or_404(senior_id, current_user)
    return _senior_page(record, HoldForm())


def _senior_page(record, hold_form: HoldForm, **extra) -> str:
    """One senior's page, with the switcher to the others the account follows."""
    overview = family_view.senior_overview(record, relation=family_view.relation_of(current_user, record))
    return render_template("family/senior.html", ov=overview, hold_form=hold_form,
                           relatives=family_view.linked_seniors(current_user), **extra)


@bp.route("/notifications", methods=["GET", "POST"])
@role_required("family")
def notifications():
    """Choose how news about my relatives reaches me: e-mail, SMS, WeChat, and in which language."""
    current = notification_settings.settings_for(current_user)
    form = NotificationSettingsForm(data=None if request.method == "POST" else {
        **current.__dict__, "locale": current.locale or ""})
    form.locale.choices = [SelectChoice("", _("As the site chooses"))] + [
        SelectChoice(code, name) for code, name in LANGUAGES.items()]
    status = 200
    if form.validate_on_submit():
        wanted = notification_settings.Settings(
            email_enabled=form.email_enabled.data, email=form.email.data, sms_enabled=form.sms_enabled.data,
            phone=form.phone.data, wechat_enabled=form.wechat_enabled.data, wechat_id=form.wechat_id.data,
            locale=form.locale.data or None)
        try:
            saved = notification_settings.save(current_user, wanted)
        except FieldError as error:
            show_error(form, error)
            status = 422
        else:
            if notification_settings.channels_in_use(saved):
                flash(_("Saved. We will tell you about visits, meals and alerts as you chose."), "success")
            else:
                flash(_("Saved. You chose no channel: news will only show on these pages."), "error")
            return redirect(url_for(".notifications"))
    elif request.method == "POST":
        status = 422
    return render_template("family/notifications.html", form=form, account_email=current_user.email), status


@bp.route("/request", methods=["GET", "POST"])
@role_required("family")
def new_request():
    """Ask for a home service (or meal delivery) for one of my seniors."""
    linked = family_view.linked_seniors(current_user)
    if not linked:
        flash(_("No one is linked to your account yet."), "error")
        return redirect(url_for(".home"))
    form = RequestForm()
    form.senior_id.choices = [SelectChoice(s.id, shown_name(s)) for s, _rel in linked]
    form.service.choices = service_choices()
    if request.method == "GET":
        form.senior_id.data = request.args.get("senior_id", type=int) or linked[0][0].id
        form.idempotency_key.data = secrets.token_urlsafe(16)
        form.day.data = (clock.now() + timedelta(days=1)).date()
    status = 200
    if form.validate_on_submit():
        record = get_senior_or_404(form.senior_id.data, current_user)
        needs_window = form.service.data != family_requests.MEAL_DELIVERY
        if needs_window and (form.window_start.data is None or form.window_end.data is None):
            form.window_start.errors = [_("Give a time window for the visit.")]
            status = 422
        else:
            try:
                result = family_requests.submit(
                    current_user, record, service=form.service.data, day=form.day.data,
                    start=form.window_start.data, end=form.window_end.data, notes=form.notes.data or "",
                    weekly=bool(form.weekly.data), idempotency_key=form.idempotency_key.data or "")
            except FieldError as error:
                show_error(form, error)
                status = 422
            else:
                if getattr(result, "priority", None) == 1:
                    flash(_("Emergency request sent. Staff are alerted now; if life is at risk, call 120."), "error")
                else:
                    flash(_("Request sent. You will be told when staff approve it."), "success")
                return redirect(url_for(".senior", senior_id=result.senior_id))
    elif request.method == "POST":
        status = 422
    return render_template("family/request.html", form=form), status


@bp.post("/requests/<id:request_id>/cancel")
@role_required("family")
def cancel_request(request_id: int):
    """Cancel a request before the site's cutoff."""
    record = family_requests.get_request_for_family(request_id, current_user)
    try:
        family_requests.cancel(record, by=current_user, version=request.form.get("version", type=int))
    except StaleRecord as error:
        transaction.doom()
        flash(str(error), "error")
        return redirect(url_for(".senior", senior_id=record.senior_id)), 303
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
        return render_template("family/refused.html", message=error.message, senior_id=record.senior_id), 422
    flash(_("The request is cancelled."), "success")
    return redirect(url_for(".senior", senior_id=record.senior_id))


@bp.route("/requests/<id:request_id>/reschedule", methods=["GET", "POST"])
@role_required("family")
def reschedule_request(request_id: int):
    """Move a request to another day or time, before the cutoff."""
    record = family_requests.get_request_for_family(request_id, current_user)
    form = RescheduleForm(obj=None)
    if request.method == "GET":
        form.day.data, form.window_start.data = record.requested_date, record.window_start
        form.window_end.data, form.version.data = record.window_end, record.version
    status = 200
    if form.validate_on_submit():
        try:
            family_requests.reschedule(record, form.day.data, form.window_start.data, form.window_end.data,
                                       by=current_user, version=int(form.version.data or 0) or None)
        except StaleRecord as error:
            transaction.doom()
            form.form_errors.append(str(error))
            status = 409
        except FieldError as error:
            show_error(form, error)
            status = 422
        else:
            flash(_("The request is moved."), "success")
            return redirect(url_for(".senior", senior_id=record.senior_id))
    elif request.method == "POST":
        status = 422
    return render_template("family/reschedule.html", form=form, req=record), status


@bp.post("/seniors/<id:senior_id>/pause")
@role_required("family")
def pause_meals(senior_id: int):
    """Pause meals for a date range (hospital stay, a visit to family).

    When the senior will be away and visits fall on those days, the page first
    lists them and asks: cancel them, or keep them for the site to move (they
    are not planned while the senior is away). Nothing is saved before the answer.
    """
    record = get_senior_or_404(senior_id, current_user)
    form = HoldForm()
    if form.validate_on_submit():
        clashes = away.visits_during(record, form.start.data, form.end.data)
        if clashes and form.away.data and form.visits.data not in ("cancel", "keep"):
            return _senior_page(record, form, clashes=clashes)
        try:
            family_requests.pause_meals(record, form.start.data, form.end.data, form.reason.data or "",
                                        by=current_user, away=form.away.data)
        except FieldError as error:
            show_error(form, error)
        else:
            cancelled: list = []
            if clashes and form.away.data and form.visits.data == "cancel":
                cancelled, clashes = family_requests.cancel_visits_while_away(clashes, by=current_user)
            flash(_pause_message(record, bool(form.away.data), cancelled, clashes), "success")
            return redirect(url_for(".senior", senior_id=record.id))
    return _senior_page(record, form), 422


def _pause_message(record, is_away: bool, cancelled: list, kept: list) -> str:
    """The confirmation names what happens to the visits on the paused days, never leaves it unsaid."""
    words = [_("Meals are paused for those days.")]
    if cancelled:
        words.append(ngettext("%(num)s visit on those days is cancelled.",
                              "%(num)s visits on those days are cancelled.", len(cancelled)))
    if kept and is_away:
        words.append(ngettext(
            "%(num)s visit on those days will not take place while %(name)s is away; "
            "the meal site sees it and will call you to move it.",
            "%(num)s visits on those days will not take place while %(name)s is away; "
            "the meal site sees them and will call you to move them.", len(kept), name=record.full_name))
    elif kept:
        words.append(ngettext("%(num)s visit on those days stays booked, as %(name)s is at home.",
                              "%(num)s visits on those days stay booked, as %(name)s is at home.",
                              len(kept), name=record.full_name))
    return " ".join(words)


@bp.post("/holds/<id:hold_id>/resume")
@role_required("family")
def resume_meals(hold_id: int):
    """End a pause in meals."""
    hold = family_requests.get_hold_for_family(hold_id, current_user)
    senior_id = hold.senior_id
    try:
        family_requests.resume_meals(hold, by=current_user)
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
        return redirect(url_for(".senior", senior_id=senior_id))
    flash(_("Meals resume."), "success")
    return redirect(url_for(".senior", senior_id=senior_id))


# Joining ----------------------------------------------------------------------

@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """Accept an invitation: set a password (new account) or link the senior (signed in)."""
    try:
        invitation = invitations.find_usable(token)
    except invitations.InvitationUnusable as error:
        return render_template("family/join_refused.html", message=error.message), 410 if error.state else 404
    signed_in = current_user.is_authenticated
    if signed_in:
        if request.method == "POST":
            try:
                accepted = invitations.accept_signed_in(token, current_user)
            except FieldError as error:
                transaction.doom()
                return render_template("family/join_refused.html", message=error.message), 403
            flash(_("You now follow %(name)s.", name=invitation.senior.full_name), "success")
            return redirect(url_for(".senior", senior_id=accepted.senior_id))
        return render_template("family/join.html", invitation=invitation, form=None,
                               can_accept=has_role(current_user, "family"))
    if invitations.existing_account(invitation) is not None:
        flash(_("You already have an account: sign in, and the invitation will open again."), "info")
        return redirect(url_for("security.login", next=url_for(".join", token=token)))
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            accepted = invitations.accept_new(token, form.display_name.data, form.password.data,
                                              locale=str(get_locale()))
        except FieldError as error:
            show_error(form, error)
            status = 422
        else:
            login_user(accepted.user)
            flash(_("Welcome! You now follow %(name)s.", name=invitation.senior.full_name), "success")
            return redirect(url_for(".senior", senior_id=accepted.senior_id))
    elif request.method == "POST":
        status = 422
    return render_template("family/join.html", invitation=invitation, form=form, can_accept=True), status


@bp.errorhandler(FieldError)
def _field_error(error: FieldError):  # pragma: no cover - views catch their own; this is the last net
    abort(422)  # the request's unit has rolled back already
