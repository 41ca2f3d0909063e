"""The worker's phone page: today's shifts and route, stop by stop."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from dispatch.services import today as today_service
from dispatch.services.access import role_required, worker_for

bp = Blueprint("worker", __name__, url_prefix="/worker")


@bp.context_processor
def _helpers() -> dict:
    return {"tel_uri": today_service.tel_uri}


@bp.route("/today")
@role_required("worker")
def today():
    """Show the signed-in worker's shifts today and their stops on published plans."""
    worker = worker_for(current_user)
    day = today_service.worker_today(worker) if worker is not None else None
    return render_template("worker/today.html", worker=worker, day=day)
