"""The live board: a site's day at a glance, welfare alerts on top, refreshed in the background.

The page works without JavaScript (a refresh link, plain form posts);
``board.js`` polls ``board_data`` and swaps in the re-rendered parts.
"""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.models.alert import AlertActionKind
from dispatch.models.site import MealSite
from dispatch.platform import clock, transaction
from dispatch.platform.access import get_site_or_404, role_required, sites_visible_to
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import label
from dispatch.platform.validation import parse_day
from dispatch.services.rounds import evv
from dispatch.services.safety import board as board_service
from dispatch.web.staff import bp


def pick_site() -> MealSite:
    """The ``site`` argument, checked against what the user may see; else their first site with routes out today,
    else their first site."""
    raw = request.args.get("site", "").strip()
    if raw:
        return get_site_or_404(raw, current_user)
    sites = list(db.session.scalars(sites_visible_to(current_user).where(MealSite.is_active).order_by(MealSite.name)))
    if not sites:
        abort(404)
    # A board is for watching routes: open on the first site that has some out today.
    live = board_service.live_site_ids([s.id for s in sites], {s.id: clock.zone_of(s) for s in sites})
    return next((s for s in sites if s.id in live), sites[0])


def pick_day(site: MealSite) -> tuple[date, str | None]:
    """The ``date`` argument (ISO), else today at the site; with an error message when it is not a date."""
    today = clock.now().astimezone(clock.zone_of(site)).date()
    try:
        return parse_day(request.args.get("date"), "date", default=today), None
    except FieldError as error:
        return today, str(error.message)


def visible_sites() -> list[MealSite]:
    return list(db.session.scalars(sites_visible_to(current_user).order_by(MealSite.name)))


def _render_board(site: MealSite, day: date, *, status: int = 200, errors: dict | None = None,
                  form_alert_id: int | None = None):
    board = board_service.build_board(site, day)
    board_service.record_board_read(board, by=current_user)
    return render_template(
        "staff/board/page.html", board=board, sites=visible_sites(), label=label,
        visit_checks=evv.check_routes([r.route for r in board.routes]),
        action_labels=board_service.ACTION_LABELS, action_kinds=list(AlertActionKind),
        poll_ms=int(float(current_app.config.get("BOARD_POLL_SECONDS", 12)) * 1000),
        errors=errors or {}, form_alert_id=form_alert_id,
    ), status


@bp.route("/board")
@role_required("admin", "staff")
def board():
    """Show the live board for one site and day."""
    site = pick_site()
    day, date_error = pick_day(site)
    if date_error:
        return _render_board(site, day, status=400, errors={"date": date_error})
    return _render_board(site, day)


@bp.route("/board/data")
@role_required("admin", "staff")
def board_data():
    """The board as JSON, with the re-rendered page parts for ``board.js`` to swap in."""
    site = pick_site()
    day, date_error = pick_day(site)
    if date_error:
        return jsonify({"error": "date", "message": date_error}), 400
    board = board_service.build_board(site, day)
    board_service.record_board_read(board, by=current_user, poll=True)
    context = dict(board=board, label=label, action_labels=board_service.ACTION_LABELS,
                   visit_checks=evv.check_routes([r.route for r in board.routes]),
                   action_kinds=list(AlertActionKind), errors={}, form_alert_id=None)
    data = board.as_dict()
    data["html"] = {
        "alerts": render_template("staff/board/_alerts.html", **context),
        "routes": render_template("staff/board/_routes.html", **context),
    }
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/alerts/<id:alert_id>/follow-up", methods=["POST"])
@role_required("admin", "staff")
def alert_follow_up(alert_id: int):
    """Acknowledge an alert, record a step of the escalation, or resolve it with a note."""
    alert = board_service.get_alert_or_404(alert_id, current_user)
    site = get_site_or_404(alert.answering_site_id, current_user)
    day, _error = pick_day(site)
    try:
        day = parse_day(request.form.get("date"), "date", default=day)
    except FieldError:
        pass  # only where the board reopens after the follow-up; the alert itself is acted on
    try:
        board_service.follow_up(
            alert, version=request.form.get("version", type=int), intent=request.form.get("intent", ""),
            kind=request.form.get("kind") or None, note=request.form.get("note", ""), by=current_user,
        )
    except FieldError as error:
        transaction.doom()
        field = error.field if error.field in ("kind", "note") else "form"
        return _render_board(site, day, status=422, errors={field: str(error.message)}, form_alert_id=alert_id)
    except StaleRecord:
        transaction.doom()
        message = _("Someone else acted on this alert at the same time. Its latest state is shown; "
                    "check it and try again.")
        return _render_board(site, day, status=409, errors={"form": message}, form_alert_id=alert_id)
    flash(_("Alert updated."), "success")
    return redirect(url_for("staff.board", site=site.id, date=day.isoformat()) + f"#alert-{alert_id}")
