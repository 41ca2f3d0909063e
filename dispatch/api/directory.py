"""Seniors, meal sites and workers: read what the token may see; create and update seniors."""
from __future__ import annotations

from typing import Any

from dispatch.api import schemas as s
from dispatch.api.core import CONFLICT_BUSY, CONFLICT_STALE, blueprint, idempotent, principal, roles
from dispatch.api.paging import page_of, page_schema
from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.models.worker import Worker
from dispatch.platform.access import (
    get_senior_or_404,
    get_site_or_404,
    get_worker_or_404,
    sites_visible_to,
    workers_visible_to,
)
from dispatch.services.people import seniors as senior_service

bp = blueprint("api_directory", "Seniors, meal sites and workers.")

SeniorPage = page_schema(s.SeniorOut, "SeniorPage")
SitePage = page_schema(s.SiteOut, "SitePage")
WorkerPage = page_schema(s.WorkerOut, "WorkerPage")


@bp.route("/sites")
@roles("staff", "worker")
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, SitePage)
def sites(args):
    """List the meal sites this token may see."""
    return page_of(sites_visible_to(principal()).order_by(MealSite.name, MealSite.id), args)


@bp.route("/sites/<id:site_id>")
@roles("staff", "worker")
@bp.response(200, s.SiteOut)
@bp.alt_response(404, response="NOT_FOUND")
def site(site_id):
    """One meal site."""
    return get_site_or_404(site_id, principal())


@bp.route("/workers")
@roles("staff", "worker")
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, WorkerPage)
def workers(args):
    """List the workers this token may see (a worker token: itself)."""
    return page_of(workers_visible_to(principal()).order_by(Worker.full_name, Worker.id), args)


@bp.route("/workers/<id:worker_id>")
@roles("staff", "worker")
@bp.response(200, s.WorkerOut)
@bp.alt_response(404, response="NOT_FOUND")
def worker(worker_id):
    """One worker."""
    return get_worker_or_404(worker_id, principal())


@bp.route("/seniors")
@roles("staff")
@bp.arguments(s.SeniorQuery, location="query")
@bp.response(200, SeniorPage)
def seniors(args):
    """List the seniors this token may see, by name; ``q`` searches names, addresses and phones.

    The list is written to the audit trail (one event naming the seniors returned)."""
    filters = senior_service.SeniorFilters(site_id=args.get("site_id"), status="all")
    page = page_of(senior_service.search_seniors(principal(), args.get("q"), filters), args)
    senior_service.record_listed(page["items"], by=principal(), source="api")
    return page


@bp.route("/seniors/<id:senior_id>")
@roles("staff")
@bp.response(200, s.SeniorOut)
@bp.alt_response(404, response="NOT_FOUND")
def senior(senior_id):
    """One senior's record (the read is written to the audit trail)."""
    record = get_senior_or_404(senior_id, principal())
    senior_service.read_senior(record, by=principal(), recent=1)
    return record


@bp.route("/seniors", methods=["POST"])
@roles("staff")
@idempotent
@bp.arguments(s.SeniorIn)
@bp.response(201, s.SeniorOut)
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_BUSY)
@bp.alt_response(422, schema=s.ErrorOut, description=s.SENIOR_INVALID)
def create_senior(data):
    """Add a senior at one of the token's sites (send an Idempotency-Key to make retries safe)."""
    return senior_service.create_senior(data, by=principal())


def _current(record: Senior) -> dict[str, Any]:
    """The senior's editable facts as the create schema names them, for a partial update."""
    dumped = s.SeniorOut().dump(record)
    return {name: dumped.get(name) for name in s.SeniorIn().fields} | {"date_of_birth": record.date_of_birth}


@bp.route("/seniors/<id:senior_id>", methods=["PATCH"])
@roles("staff")
@idempotent
@bp.arguments(s.SeniorPatch)
@bp.response(200, s.SeniorOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, schema=s.ErrorOut, description=CONFLICT_STALE)
@bp.alt_response(422, schema=s.ErrorOut, description=s.SENIOR_INVALID)
def update_senior(data, senior_id):
    """Change some of a senior's facts; 409 if someone saved since ``version``."""
    record = get_senior_or_404(senior_id, principal(), for_edit=True)
    version = data.pop("version")
    merged = _current(record) | data
    senior_service.update_senior(record, merged, by=principal(), expected_version=version)
    db.session.refresh(record)
    return record
