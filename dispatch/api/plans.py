"""Plans, routes and stop outcomes: staff read and edit plans; workers poll their day and post taps."""
from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, request
from sqlalchemy.orm import selectinload

from dispatch.api import schemas as s
from dispatch.api.core import CONFLICT_STALE, IDEMPOTENCY_HEADER, ApiError, blueprint, idempotent, principal, roles
from dispatch.api.paging import page_of, page_schema
from dispatch.extensions import db
from dispatch.models.plan import Plan, Route
from dispatch.models.site import MealSite
from dispatch.platform.access import get_site_or_404, sites_editable_by, worker_for
from dispatch.platform.validation import is_id
from dispatch.services import planning as planning_service
from dispatch.services.rounds import outcomes, worker_day
from dispatch.services.rounds import today as today_service

bp = blueprint("api_plans", "Plans, routes, workers' days and stop outcomes.")

PlanPage = page_schema(s.PlanOut, "PlanPage")

_DayStop = ma.Schema.from_dict({
    "id": ma.fields.Integer(), "n": ma.fields.Integer(), "kind": ma.fields.String(), "name": ma.fields.String(),
    "door": ma.fields.String(), "diet": ma.fields.List(ma.fields.String()), "window": ma.fields.String(),
    "outcome": ma.fields.String(allow_none=True), "outcomes": ma.fields.List(ma.fields.String()),
}, name="DayStop")
_DayRoute = ma.Schema.from_dict({"id": ma.fields.Integer(), "title": ma.fields.String(),
                                 "stops": ma.fields.List(ma.fields.Nested(_DayStop))}, name="DayRoute")
MyDay = ma.Schema.from_dict({"day": ma.fields.String(), "routes": ma.fields.List(ma.fields.Nested(_DayRoute))},
                            name="MyDay")


def _plan_or_404(plan_id: int) -> Plan:
    """A plan of a site the token manages, else 404 (as on the staff pages)."""
    plan = planning_service.load_plan(plan_id) if is_id(plan_id) else None
    if plan is None:
        abort(404)
    get_site_or_404(plan.site_id, principal(), for_edit=True)
    return plan


@bp.route("/plans")
@roles("staff")
@bp.arguments(s.PlanQuery, location="query")
@bp.response(200, PlanPage)
def plans(args):
    """List plan versions of the token's sites, newest day first."""
    sites = sites_editable_by(principal()).with_only_columns(MealSite.id)
    query = sa.select(Plan).where(Plan.site_id.in_(sites))
    if "site_id" in args:
        query = query.where(Plan.site_id == args["site_id"])
    if "date" in args:
        query = query.where(Plan.service_date == args["date"])
    return page_of(query.order_by(Plan.service_date.desc(), Plan.id.desc()), args)


@bp.route("/plans/<id:plan_id>")
@roles("staff")
@bp.response(200, s.PlanDetailOut)
@bp.alt_response(404, response="NOT_FOUND")
def plan(plan_id):
    """One plan version with its routes and stops."""
    return _plan_or_404(plan_id)


@bp.route("/plans/<id:plan_id>/stops/<id:stop_id>/lock", methods=["POST"])
@roles("staff")
@idempotent
@bp.arguments(s.LockIn)
@bp.response(200, s.PlanOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_STALE)
@bp.alt_response(422, schema=s.ErrorOut, description=s.STATE_CONFLICT)
def lock_stop(data, plan_id, stop_id):
    """Pin a draft's stop to its worker (or release it); 409 if the plan changed since ``version``."""
    record = _plan_or_404(plan_id)
    stop = next((x for r in record.routes for x in r.stops if x.id == stop_id), None)
    if stop is None:
        abort(404)
    planning_service.set_lock(record, stop, data["locked"], version=data["version"], by=principal())
    return record


@bp.route("/plans/<id:plan_id>/publish", methods=["POST"])
@roles("staff")
@idempotent
@bp.arguments(s.PublishIn)
@bp.response(200, s.PlanOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_STALE)
@bp.alt_response(422, schema=s.ErrorOut, description=s.STATE_CONFLICT)
def publish(data, plan_id):
    """Publish a draft the checker passes; workers then see it."""
    record = _plan_or_404(plan_id)
    return planning_service.publish(record, version=data["version"], by=principal())


@bp.route("/routes/<id:route_id>")
@roles("staff")
@bp.response(200, s.RouteOut)
@bp.alt_response(404, response="NOT_FOUND")
def route(route_id):
    """One route of a plan the token manages, with its stops."""
    found = db.session.scalar(sa.select(Route).where(Route.id == route_id).options(selectinload(Route.stops))) \
        if is_id(route_id) else None
    if found is None:
        abort(404)
    _plan_or_404(found.plan_id)
    return found


@bp.route("/me/day")
@roles("worker")
@bp.response(200, MyDay)
@bp.alt_response(404, response="NOT_FOUND")
def my_day():
    """The token's worker's stops today (what the phone keeps offline: first names, door notes)."""
    worker = worker_for(principal())
    if worker is None:
        abort(404)
    return worker_day.offline_payload(today_service.worker_today(worker))


@bp.route("/stops/<id:stop_id>/outcomes", methods=["POST"])
@roles("worker")
@bp.arguments(s.OutcomeIn)
@bp.response(200, s.OutcomeOut)
@bp.alt_response(404, response="NOT_FOUND")
def post_outcome(data, stop_id):
    """Record a tap on one of the worker's stops today.

    Idempotent: the tap's ``client_id`` (or the ``Idempotency-Key`` header)
    identifies it; sending it again returns the first result with ``replay: true``.
    """
    stop = worker_day.get_stop_for_worker_or_404(stop_id, worker_for(principal()))
    client_id = data.get("client_id") or request.headers.get(IDEMPOTENCY_HEADER)
    if not client_id:
        raise ApiError(422, "A tap needs a client_id (or an Idempotency-Key header).",
                       [{"field": "client_id", "location": "json", "reason": "Missing data for required field."}])
    payload = {
        "client_id": client_id, "kind": data["kind"].value, "note": data["note"], "device": data["device"],
        "outcome": data["outcome"].value if data.get("outcome") else None,
        "concern": data["concern"].value if data.get("concern") else None,
        "tasks_done": data.get("tasks_done"),
        "recorded_dt": data["recorded_dt"].isoformat() if data.get("recorded_dt") else None,
    }
    recorded = outcomes.record(stop, outcomes.Tap.parse(payload), by=principal())
    return {**recorded.result, "replay": recorded.replay}
