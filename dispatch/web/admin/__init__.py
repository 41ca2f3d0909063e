"""Administrators' pages: accounts (`accounts`), API tokens and the audit trail (`security`).

The ``admin`` blueprint holds the account pages; the security pages keep their own ``admin_security``
blueprint (its endpoint names are in links and bookmarks).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from dispatch.web.admin import accounts, security, visitation  # noqa: E402,F401
