"""HTTP hardening: security headers with a strict Content-Security-Policy, and rate limits.

CSP: scripts and styles only from Doorstep itself (no 'unsafe-inline'; the
pages keep JSON data in ``<script type="application/json">`` blocks, which are
never executed); images also from the map tile host (``MAP_TILE_URL``) and
``data:``; no framing, no plugins, forms post only to Doorstep.

Rate limits (Flask-Limiter, per client address): the login, two-factor,
re-authentication and invitation endpoints, where guessing passwords, codes
or invitation links would happen; the login's own limits and back-off are
keyed on address and account (``platform.login_throttle``). Storage is Redis
when ``REDIS_URL`` is set (so every gunicorn worker shares the counts), memory
otherwise.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from dispatch.platform import login_throttle

LIMITER = "doorstep.limiter"  # app.extensions key of the app's own Limiter


def limiter_of(app: Flask | None = None) -> Limiter:
    """The app's rate limiter.

    One per app, not one per process: Flask-Limiter keeps the limits decorated
    onto views by the view's name in the Limiter, so apps sharing one (the test
    suite builds many, with other limits) would add up each other's limits.
    """
    return (app or current_app).extensions[LIMITER]

# Endpoints whose POSTs are limited by RATELIMIT_AUTH.
LIMITED_ENDPOINTS = (
    "security.login",
    "security.two_factor_token_validation",
    "security.two_factor_rescue",
    "security.tf_select",
    "security.verify",
    "security.two_factor_setup",
    "family.join",
    "staff.senior_invitations",
)


# Longest request line (method, target, version) and header line the app answers itself: over these,
# a JSON (API) or page 414 / 431. gunicorn.conf.py sets gunicorn's own, HTML-answering limits higher.
MAX_REQUEST_LINE = 4096
MAX_HEADER_FIELD = 8190

# Files that are the same for everybody and may be cached; every other response is no-store.
STATIC_ENDPOINTS = frozenset({"static", "security.static"})


def tile_origin(url_template: str) -> str | None:
    """``https://tile.openstreetmap.org`` from a tile URL template (None when maps draw without tiles)."""
    if not url_template:
        return None
    parts = urlsplit(url_template.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc
    if url_template.startswith(f"{parts.scheme}://{{s}}."):
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    images = ["'self'", "data:"]
    if origin := tile_origin(tile_url):
        images.append(origin)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _headers_for(app: Flask):
    csp = content_security_policy(app.config.get("MAP_TILE_URL") or "")
    secure = bool(app.config.get("SECURE_COOKIES"))

    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "=True" in headers.get("Cache-Control", ""):
            # Flask-Security sets boolean cache directives that this Werkzeug renders as "no-store=True",
            # which is not the standard directive; write them the standard way.
            headers["Cache-Control"] = headers["Cache-Control"].replace("=True", "")
        if request.endpoint not in STATIC_ENDPOINTS:
            # Pages, the phone's JSON (door-access notes), the board's polls, the API, redirects and errors
            # alike: any of them may carry personal data, so no cache (shared or the browser's) keeps one.
            # A view that means otherwise (the service worker script: no-cache) says so itself.
            headers.setdefault("Cache-Control", "no-store")
        return response

    return add_headers


def _refuse_oversized() -> None:
    """414 for an over-long request line, 431 for an over-long header: the app's own error, not gunicorn's."""
    target = request.environ.get("RAW_URI") or request.full_path
    if len(request.method) + len(target) + len(" HTTP/1.1") + 1 > MAX_REQUEST_LINE:
        raise RequestURITooLarge()
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD:
            raise RequestHeaderFieldsTooLarge()


def _limit_auth_endpoints(app: Flask, limiter: Limiter) -> None:
    rule = app.config["RATELIMIT_AUTH"]
    for endpoint in LIMITED_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        if endpoint == "security.login":
            # Per address and account, so a stranger's guesses (or a shared proxy address) never
            # count against another account; plus a looser cap per address over all accounts.
            # The back-off goes outside, so its 429 keeps its own Retry-After.
            view = limiter.limit(rule, methods=["POST"], scope="auth:" + endpoint,
                                 key_func=login_throttle.address_and_account)(view)
            view = limiter.limit(app.config["RATELIMIT_AUTH_ADDRESS"], methods=["POST"],
                                 scope="auth:" + endpoint + ":address")(view)
            view = login_throttle.with_backoff(view, limiter)
        else:
            view = limiter.limit(rule, methods=["POST"], scope="auth:" + endpoint)(view)
        app.view_functions[endpoint] = view


def init_app(app: Flask) -> None:
    """Call after every blueprint is registered (the limits wrap their views)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "doorstep-limits")
    limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
    limiter.init_app(app)
    app.extensions[LIMITER] = limiter
    _limit_auth_endpoints(app, limiter)
    app.before_request(_refuse_oversized)
    app.after_request(_headers_for(app))
