"""Entry pages shared by every role: the home redirect and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from dispatch.platform.i18n import LANGUAGES

bp = Blueprint("main", __name__)

# Where each role starts, most privileged first. Staff start on the day's work.
HOME_BY_ROLE = (
    ("admin", "staff.today"),
    ("staff", "staff.today"),
    ("worker", "worker.today"),
    ("family", "family.home"),
)


@bp.route("/")
def index():
    """Send a signed-in user to their role's home page; others to the welcome page."""
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    for role, endpoint in HOME_BY_ROLE:
        if current_user.has_role(role) and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("main/welcome.html")


@bp.route("/favicon.ico")
def favicon():
    """Clients that ask for /favicon.ico without reading the page's icon link get the SVG, not a 404."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative paths, never an open redirect."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen UI language for this browser session."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
