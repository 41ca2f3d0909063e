"""Staff pages: the records a meal site keeps (seniors, enrollments, sites, workers).

One blueprint for the audience, one module per record type; each module adds
its views to ``bp`` when imported below.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Each module registers its routes on ``bp``; import them for that side effect.
from dispatch.web.staff import (  # noqa: E402,F401  # noqa: E402,F401  # noqa: E402,F401
    board,
    counter,
    dashboard,
    enrollments,
    exports,
    follow_ups,
    imports,
    invitations,
    kitchen,
    locations,
    onboarding,
    planning,
    requests,
    seniors,
    shifts,
    sites,
    statements,
    subsidies,
    village,
    visitation,
    workers,
)
