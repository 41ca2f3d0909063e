"""Plans off the screen: printable route sheets, GPX per route, iCalendar for visits.

All carry personal data, so each is limited to staff of the plan's site and
written to the audit trail by the export service.
"""
from __future__ import annotations

import re

from flask import Response, render_template, request
from flask_login import current_user

from dispatch.platform.access import get_worker_or_404, role_required
from dispatch.platform.labels import label
from dispatch.services.planning import exports as export_service
from dispatch.web.staff import bp


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "plan"


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/plans/<id:plan_id>/sheets")
@role_required("admin", "staff")
def route_sheets(plan_id: int):
    """Print the plan's route sheets, one A4 page per route."""
    plan = export_service.get_plan_or_404(plan_id, current_user)
    zone, sheets = export_service.route_sheets(plan)
    export_service.record_export(plan, "sheets", by=current_user)
    response = Response(render_template("staff/print/sheets.html", plan=plan, sheets=sheets, label=label))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/routes/<id:route_id>.gpx")
@role_required("admin", "staff")
def route_gpx(route_id: int):
    """Download one route as GPX 1.1 for a satnav or map app."""
    route = export_service.get_route_or_404(route_id, current_user)
    plan = route.plan
    body = export_service.route_gpx(route)
    export_service.record_export(plan, "gpx", by=current_user, route=route)
    name = f"{_slug(plan.site.name)}-{plan.service_date.isoformat()}-route-{route.position + 1}.gpx"
    return _download(body, "application/gpx+xml", name)


@bp.route("/plans/<id:plan_id>/visits.ics")
@bp.route("/plans/<id:plan_id>/workers/<id:worker_id>/visits.ics")
@role_required("admin", "staff")
def visits_ics(plan_id: int, worker_id: int | None = None):
    """Download the plan's visits (all, or one worker's) as an iCalendar file."""
    plan = export_service.get_plan_or_404(plan_id, current_user)
    if worker_id is not None:
        get_worker_or_404(worker_id, current_user)
    routes = export_service.load_plan_routes(plan, worker_id=worker_id)
    body = export_service.visits_ics(plan, routes, host=request.host.split(":")[0] or "doorstep")
    export_service.record_export(plan, "ics", by=current_user, worker_id=worker_id)
    suffix = f"-worker-{worker_id}" if worker_id is not None else ""
    name = f"{_slug(plan.site.name)}-{plan.service_date.isoformat()}-visits{suffix}.ics"
    return _download(body, "text/calendar", name)
