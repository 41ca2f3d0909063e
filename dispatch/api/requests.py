"""Service requests: list, read, create (a call centre taking a request) and review."""
from __future__ import annotations

import sqlalchemy as sa

from dispatch.api import schemas as s
from dispatch.api.core import CONFLICT_BUSY, CONFLICT_STALE, ApiError, blueprint, idempotent, principal, roles
from dispatch.api.paging import page_of, page_schema
from dispatch.models.service_request import ServiceRequest
from dispatch.models.site import MealSite
from dispatch.platform import clock
from dispatch.platform.access import get_senior_or_404, sites_visible_to
from dispatch.services.care import requests as request_service

bp = blueprint("api_requests", "Home-service requests and their review.")

RequestPage = page_schema(s.RequestOut, "RequestPage")


@bp.route("/service-requests")
@roles("staff")
@bp.arguments(s.RequestQuery, location="query")
@bp.response(200, RequestPage)
def service_requests(args):
    """List the requests of the sites this token may see, soonest first."""
    sites = sites_visible_to(principal()).with_only_columns(MealSite.id)
    query = sa.select(ServiceRequest).where(ServiceRequest.site_id.in_(sites))
    if "site_id" in args:
        query = query.where(ServiceRequest.site_id == args["site_id"])
    if "status" in args:
        query = query.where(ServiceRequest.status == args["status"])
    if "date" in args:
        query = query.where(ServiceRequest.requested_date == args["date"])
    return page_of(query.order_by(ServiceRequest.requested_date, ServiceRequest.window_start,
                                  ServiceRequest.id), args)


@bp.route("/service-requests/<id:request_id>")
@roles("staff")
@bp.response(200, s.RequestOut)
@bp.alt_response(404, response="NOT_FOUND")
def service_request(request_id):
    """One service request."""
    return request_service.get_request_or_404(request_id, principal())


@bp.route("/service-requests", methods=["POST"])
@roles("staff")
@idempotent
@bp.arguments(s.RequestIn)
@bp.response(201, s.RequestOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_BUSY)
@bp.alt_response(422, schema=s.ErrorOut, description=s.STATE_CONFLICT)
def create_service_request(data):
    """Ask a service for a senior at one of the token's sites; it starts as *requested*."""
    senior = get_senior_or_404(data["senior_id"], principal(), for_edit=True)
    return request_service.create_request(
        senior, service_type=data["service_type"], day=data["requested_date"], start=data["window_start"],
        end=data["window_end"], duration=data["duration_minutes"], required_skill=data.get("required_skill"),
        priority=data["priority"], recurrence=data["recurrence"], notes=data["notes"], by=principal(),
        today=clock.local_today())


@bp.route("/service-requests/<id:request_id>", methods=["PATCH"])
@roles("staff")
@idempotent
@bp.arguments(s.RequestPatch)
@bp.response(200, s.RequestOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_STALE)
@bp.alt_response(422, schema=s.ErrorOut, description=s.STATE_CONFLICT)
def review_service_request(data, request_id):
    """Approve, decline (``reason``) or reschedule (``requested_date``, ``window_start``, ``window_end``)."""
    record = request_service.get_request_or_404(request_id, principal(), for_edit=True)
    version, action = data["version"], data["action"]
    if action == "approve":
        return request_service.approve(record, version=version, by=principal())
    if action == "decline":
        return request_service.decline(record, data.get("reason", ""), version=version, by=principal())
    missing = [f for f in ("requested_date", "window_start", "window_end") if f not in data]
    if missing:
        raise ApiError(422, "Rescheduling needs a day and a window.",
                       [{"field": f, "location": "json", "reason": "Missing data for required field."}
                        for f in missing])
    return request_service.reschedule(record, data["requested_date"], data["window_start"], data["window_end"],
                                      version=version, by=principal(), today=clock.local_today())
