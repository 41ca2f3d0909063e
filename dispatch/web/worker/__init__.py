"""The worker's phone: today's route and outcomes (`day`), volunteer shifts (`shifts`), the join link (`join`).

One blueprint, ``worker``; each module adds its views to ``bp`` when imported below.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("worker", __name__, url_prefix="/worker")

from dispatch.web.worker import day, join, shifts  # noqa: E402,F401
