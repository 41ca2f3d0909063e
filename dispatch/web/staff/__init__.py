"""Staff pages: the records a meal site keeps (seniors, enrollments, sites, workers).

One blueprint for the audience, one module per record type; each module adds
its views to ``bp`` when imported below.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Each module registers its routes on ``bp``; import them for that side effect.
from dispatch.web.staff import board, enrollments, exports, invitations, kitchen, seniors, sites, workers  # noqa: E402,F401
from dispatch.web.staff import imports, locations, onboarding, planning, requests, shifts  # noqa: E402,F401
from dispatch.web.staff import counter, dashboard, statements, subsidies  # noqa: E402,F401
