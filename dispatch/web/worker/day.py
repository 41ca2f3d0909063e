"""The worker's phone page: today's route stop by stop, one-tap outcomes, and their offline queue.

Pages: ``/worker/today`` (the route), ``/worker/today/print`` (the same sheet
on paper), ``/worker/offline`` (the shell the service worker shows without a
connection; it holds no senior data itself). The phone's background calls
live under ``/worker/api/`` (JSON; CSRF token in the ``X-CSRFToken`` header).
Every stop goes through ``worker_day.get_stop_for_worker_or_404``: another
worker's stop, another day's route or an unknown id all answer 404.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from dispatch.models.outcome import ConcernKind
from dispatch.models.visitation import CheckItem, CheckStatus
from dispatch.models.worker import MapApp
from dispatch.platform import audit, transaction
from dispatch.platform.access import role_required, worker_for
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label
from dispatch.platform.links import tel_uri
from dispatch.services.rounds import handover, outcomes, worker_day
from dispatch.services.rounds import today as today_service
from dispatch.services.visitation import meal_checks
from dispatch.services.visitation import records as visit_records
from dispatch.web.worker import bp


@bp.context_processor
def _helpers() -> dict:
    return {
        "label": label,
        "tel_uri": tel_uri,
        "concern_kinds": list(ConcernKind),
        "concern_label": worker_day.concern_label,
        "outcomes_for": worker_day.outcomes_for,
        "tasks_for": worker_day.tasks_for,
        "hold_deadline": worker_day.hold_deadline,
        "new_client_id": lambda: uuid.uuid4().hex,
        "map_apps": list(MapApp),
        "visit_before_check_in": worker_day.VISIT_BEFORE_CHECK_IN,
        "visit_after_check_in": worker_day.VISIT_AFTER_CHECK_IN,
        "is_home_visit": visit_records.is_home_visitation,
        "check_items": list(CheckItem),
        "check_statuses": list(CheckStatus),
        "item_label": visit_records.item_label,
        "check_status_label": visit_records.status_label,
    }


def _is_api() -> bool:
    return request.path.startswith("/worker/api/")


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    """The phone refreshes its token and retries when told ``csrf``; pages get the usual error page."""
    if _is_api():
        return jsonify({"error": "csrf", "message": _("The security token expired.")}), 400
    return render_template(
        "errors/error.html", status=400, title=_("Form expired"),
        message=_("The form was missing its security token or it expired. Reload the page and try again."),
    ), 400


READ_REPEAT = timedelta(minutes=10)  # a phone reloading its route is one read, not one a minute


def _my_day(read_as: str | None = None):
    """The signed-in worker and their day; ``read_as`` audits the seniors the answer shows (one event)."""
    worker = worker_for(current_user)
    day = today_service.worker_today(worker) if worker is not None else None
    if read_as and day is not None and day.routes:
        audit.record_list(read_as, user=current_user, entity_type="worker", entity_id=worker.id,
                          senior_ids=[sv.senior.id for r in day.routes for sv in r.stops],
                          unless_repeated_within=READ_REPEAT)
    return worker, day


@bp.route("/today")
@role_required("worker")
def today():
    """Show the signed-in worker's shifts today and their stops on published plans."""
    worker, day = _my_day("worker_day.read")
    offline = worker_day.offline_payload(day) if day is not None else None
    return render_template("worker/today.html", worker=worker, day=day, offline=offline)


@bp.route("/today/print")
@role_required("worker")
def print_sheet():
    """Today's route as a printable sheet: the paper fallback when the phone fails."""
    worker, day = _my_day("worker_day.print")
    return render_template("worker/print.html", worker=worker, day=day)


@bp.route("/offline")
@role_required("worker")
def offline():
    """The page the phone shows without a connection, drawn from what it stored (no senior data here)."""
    outcome_labels = {o.value: label(o) for o in worker_day.VISIT_OUTCOMES + worker_day.MEAL_OUTCOMES}
    return render_template("worker/offline.html", outcome_labels=outcome_labels)


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from /worker/ so that its scope is the worker pages."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/stops/<id:stop_id>/tap", methods=["POST"])
@role_required("worker")
def tap(stop_id: int):
    """Record a tap sent by a plain form post (the page without JavaScript)."""
    stop = worker_day.get_stop_for_worker_or_404(stop_id, worker_for(current_user))
    data = _form_tap(request.form)
    try:
        recorded = meal_checks.record_tap(stop, outcomes.Tap.parse(data), by=current_user)
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
        return redirect(url_for(".today", _anchor=f"stop-{stop_id}"), code=303)
    if not recorded.replay:
        flash(_("Saved."), "success")
    return redirect(url_for(".today", _anchor=f"stop-{stop_id}"), code=303)


@bp.route("/drops/<id:drop_id>/hand-over", methods=["POST"])
@role_required("worker")
def hand_over(drop_id: int):
    """The driver handed a village point its batch (a plain form post; the form's key makes a resend harmless)."""
    drop = worker_day.get_drop_for_worker_or_404(drop_id, worker_for(current_user))
    try:
        done = handover.hand_over(drop, by=current_user, key=request.form.get("key"))
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
        return redirect(url_for(".today", _anchor=f"drop-{drop_id}"), code=303)
    if not done.replay:
        flash(_("Saved."), "success")
    return redirect(url_for(".today", _anchor=f"drop-{drop_id}"), code=303)


@bp.route("/settings/map-app", methods=["POST"])
@role_required("worker")
def map_app():
    """Choose the map app the directions buttons open."""
    worker = worker_for(current_user)
    if worker is None:
        abort(404)
    try:
        chosen = worker_day.set_map_app(worker, request.form.get("map_app"))
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
    else:
        flash(_("Directions now open in %(app)s.", app=label(chosen)), "success")
    return redirect(url_for(".today"), code=303)


@bp.route("/stops/<id:stop_id>/visit-record", methods=["POST"])
@role_required("worker")
def visit_record_form(stop_id: int):
    """Store a home visit's record sent by a plain form post (the page without JavaScript)."""
    stop = worker_day.get_stop_for_worker_or_404(stop_id, worker_for(current_user))
    try:
        recorded = visit_records.record_visit(stop, _form_record(request.form), by=current_user)
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
        return redirect(url_for(".today", _anchor=f"stop-{stop_id}"), code=303)
    if not recorded.replay:
        flash(_("Visit record saved."), "success")
    return redirect(url_for(".today", _anchor=f"stop-{stop_id}"), code=303)


def _form_record(form) -> dict:
    """The record form's fields as the JSON body worker.js sends (``item-<key>``, ``note-<key>``, ``conf-<key>``)."""
    seen = {"yes": True, "no": False}.get(form.get("seen") or "", form.get("seen"))
    items = {}
    for item in CheckItem:
        status = form.get(f"item-{item.value}")
        if status:
            items[item.value] = {"status": status, "note": form.get(f"note-{item.value}") or "",
                                 "confidential": bool(form.get(f"conf-{item.value}"))}
    return {"client_id": form.get("client_id"), "seen": seen, "items": items, "notes": form.get("notes")}


def _form_tap(form) -> dict:
    """The pressed button says what the tap is (worker.js maps buttons the same way)."""
    data = {"client_id": form.get("client_id"), "note": form.get("note"),
            "tasks_done": form.getlist("tasks_done") or None}
    if form.get("seen_well"):
        data.update(kind="outcome", outcome="delivered", seen_well=True)
    elif form.get("outcome"):
        data.update(kind="outcome", outcome=form["outcome"])
    elif form.get("checkout"):
        data.update(kind="check_out", outcome=form["checkout"])
    elif form.get("concern"):
        data.update(kind="concern", concern=form["concern"])
    else:
        data["kind"] = form.get("kind") or ""
    return data


# The phone's background calls ------------------------------------------------------

@bp.route("/api/csrf")
@role_required("worker")
def api_csrf():
    """A fresh CSRF token for a phone whose page is older than the token's lifetime."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.route("/api/today")
@role_required("worker")
def api_today():
    """What the phone may keep offline: stop order, first names, door notes, diet flags."""
    _worker, day = _my_day("worker_day.offline_read")
    if day is None:
        abort(404)
    return jsonify(worker_day.offline_payload(day))


@bp.route("/api/stops/<id:stop_id>/events", methods=["POST"])
@role_required("worker")
def api_record(stop_id: int):
    """Record one tap from the phone; a replay of the same ``client_id`` returns the first result."""
    stop = worker_day.get_stop_for_worker_or_404(stop_id, worker_for(current_user))
    data = request.get_json(silent=True)
    try:
        recorded = meal_checks.record_tap(stop, outcomes.Tap.parse(data), by=current_user)
    except FieldError as error:
        transaction.doom()
        return jsonify({"error": "invalid", "field": error.field, "message": str(error.message)}), 422
    return jsonify({**recorded.result, "replay": recorded.replay}), 200



@bp.route("/api/drops/<id:drop_id>/hand-over", methods=["POST"])
@role_required("worker")
def api_hand_over(drop_id: int):
    """The driver handed a village point its batch, from the phone: ``{"key": ..., "recorded_dt": ...}``
    (``client_id`` is taken for ``key``, as the stop taps send it); a replay of the key returns the first result."""
    drop = worker_day.get_drop_for_worker_or_404(drop_id, worker_for(current_user))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": "invalid", "field": None, "message": _("Send a JSON object.")}), 400
    try:
        claimed = outcomes.parse_claimed_time(data.get("recorded_dt"))
        done = handover.hand_over(drop, by=current_user, key=data.get("key") or data.get("client_id"),
                                  claimed_at=claimed)
    except FieldError as error:
        transaction.doom()
        return jsonify({"error": "invalid", "field": error.field, "message": str(error.message)}), 422
    return jsonify({**done.result, "replay": done.replay}), 200


@bp.route("/api/stops/<id:stop_id>/visit-record", methods=["POST"])
@role_required("worker")
def api_visit_record(stop_id: int):
    """Store a home visit's record from the phone; a replay of the same ``client_id`` returns the first result."""
    stop = worker_day.get_stop_for_worker_or_404(stop_id, worker_for(current_user))
    data = request.get_json(silent=True)
    try:
        recorded = visit_records.record_visit(stop, data, by=current_user)
    except FieldError as error:
        transaction.doom()
        return jsonify({"error": "invalid", "field": error.field, "message": str(error.message)}), 422
    return jsonify({**recorded.result, "replay": recorded.replay}), 200
