"""Family pages: the seniors linked to me, their meals, requests and open alerts."""
from __future__ import annotations

from babel.dates import get_day_names
from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user

from dispatch.services import today as today_service
from dispatch.services.access import get_senior_or_404, role_required

bp = Blueprint("family", __name__, url_prefix="/family")


@bp.context_processor
def _helpers() -> dict:
    return {
        "tel_uri": today_service.tel_uri,
        # babel numbers days 0 = Monday, as ``date.weekday()`` and enrollments do.
        "weekday_names": get_day_names("abbreviated", locale=get_locale()),
    }


@bp.route("/")
@role_required("family")
def home():
    """List my linked seniors with their meals, holds, requests and open alerts."""
    return render_template("family/home.html", overviews=today_service.family_overview(current_user))


@bp.route("/seniors/<int:senior_id>")
@role_required("family")
def senior(senior_id: int):
    """Show one linked senior; any other senior is a 404."""
    record = get_senior_or_404(senior_id, current_user)
    overview = today_service.senior_overview(record, relation=today_service.relation_of(current_user, record))
    return render_template("family/senior.html", ov=overview)
