"""Accounts, login and roles: Flask-Security-Too configured for Doorstep.

Flask-Security (on Flask-Login) does the security work: argon2 hashing,
TOTP two-factor, re-authentication ("freshness"), login tracking and the
per-user ``fs_uniquifier`` that every session cookie carries, so resetting it
("log out everywhere", disabling an account) kills sessions on the server.
Logging out ends that one session on the server too: its ``dispatch_sid`` is
revoked (``platform.sessions``), so a copy of the cookie is refused afterwards.

This module adds what Doorstep needs on top:

* idle and absolute session timeouts, checked on the server each request
  (the cookie's own expiry is only a hint to the browser);
* two-factor required for admin and staff (``REQUIRE_2FA_FOR_STAFF``): such a
  user without an authenticator set up is sent to the setup page and can do
  nothing else until it is done.

Session fixation: Flask's session is a signed cookie with no server-side id to
fixate; still, at login every key a pre-login visitor could have planted is
dropped, a fresh session identifier (``dispatch_sid``) is issued and the CSRF
token is replaced (Flask-Security only does that at logout), so neither a
cookie nor a form token captured before login grants anything afterwards.

Flask-Security's generic responses are on: the login form answers a wrong
password and an unknown e-mail with the same words.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_out
from flask_security import SQLAlchemyUserDatastore, logout_user
from flask_security.signals import user_authenticated
from flask_security.utils import get_request_attr

from dispatch.extensions import db, security
from dispatch.paths import PACKAGE_DIR
from dispatch.platform import sessions

# Session keys Doorstep keeps next to Flask-Login's.
LOGIN_AT = "dispatch_login_at"  # epoch seconds of the password (and 2FA) login
SEEN_AT = "dispatch_seen_at"  # epoch seconds of the last request

# Roles that must use two-factor when REQUIRE_2FA_FOR_STAFF is on.
TWO_FACTOR_ROLES = ("admin", "staff")

# Endpoints a signed-in user may reach before two-factor is set up.
_TWO_FACTOR_SETUP_OPEN = {
    "static",
    "main.set_language",
    "security.logout",
    "security.two_factor_setup",
    "security.two_factor_setup_validate",
    "security.two_factor_token_validation",
    "security.verify",
    "security.tf_select",
}


def _datastore() -> SQLAlchemyUserDatastore:
    from dispatch.models.user import Role, User

    return SQLAlchemyUserDatastore(db, User, Role)


def _security_config(app: Flask) -> None:
    secret = app.config["SECRET_KEY"]
    defaults = {
        "SECURITY_PASSWORD_HASH": "argon2",
        "SECURITY_PASSWORD_LENGTH_MIN": 10,
        # Length alone lets "aaaaaaaaaa" through: zxcvbn refuses guessable passwords (score 0-4).
        "SECURITY_PASSWORD_COMPLEXITY_CHECKER": "zxcvbn",
        "SECURITY_ZXCVBN_MINIMUM_SCORE": 3,
        "SECURITY_PASSWORD_CHECK_BREACHED": False,  # no internet needed
        "SECURITY_TRACKABLE": True,
        "SECURITY_REGISTERABLE": False,  # staff and admins create accounts
        "SECURITY_SEND_REGISTER_EMAIL": False,
        "SECURITY_CONFIRMABLE": False,
        "SECURITY_RECOVERABLE": bool(app.config.get("MAIL_SERVER")),
        "SECURITY_CHANGEABLE": True,
        "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": bool(app.config.get("MAIL_SERVER")),
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_TWO_FACTOR_RESCUE_EMAIL": False,
        "SECURITY_TOTP_ISSUER": "Doorstep",
        # Encrypts each user's TOTP secret at rest; derived so the demo needs no setup.
        "SECURITY_TOTP_SECRETS": {"1": hashlib.sha256(("totp:" + secret).encode()).hexdigest()},
        # Sensitive pages (change password, two-factor) ask for the password again after this.
        "SECURITY_FRESHNESS": timedelta(minutes=10),
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(minutes=2),
        "SECURITY_DEFAULT_REMEMBER_ME": False,
        # One answer for a wrong password and an unknown e-mail: the form tells nobody who has an account.
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        "SECURITY_POST_LOGIN_VIEW": "/",
        "SECURITY_POST_LOGOUT_VIEW": "/",
        # Flask-Security's own catalogs (zh_Hans_CN ships with it), then ours,
        # which may hold a flask_security.po overriding some of its wording.
        "SECURITY_I18N_DIRNAME": ["builtin", str(PACKAGE_DIR / "translations")],
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)


# Session keys that survive login: the auth state Flask-Login/Flask-Security just wrote, and the language.
_KEPT_AT_LOGIN = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", "fs_cc", "fs_paa", "fs_gexp",
                  "lang", "tf_", "identity")
SESSION_ID = sessions.SESSION_ID


def _on_login(sender, user, **extra) -> None:
    """Start the session clocks with a new session identity (no pre-login state carries over)."""
    for key in list(session.keys()):
        if not key.startswith(_KEPT_AT_LOGIN):
            session.pop(key, None)  # the CSRF token too: a token seen before login is no good after it
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's cached copy
    session[SESSION_ID] = secrets.token_urlsafe(24)
    now = time.time()
    session.permanent = True
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def _on_logout(sender, user, **extra) -> None:
    """Revoke the session being logged out, so a copy of its cookie grants nothing afterwards."""
    sid = session.get(SESSION_ID)
    if sid and not sessions.is_revoked(sid):
        sessions.revoke(sid, getattr(user, "id", None))


def _session_expired() -> bool:
    if get_request_attr("fs_authn_via") != "session":
        return False  # API tokens carry their own expiry
    if sessions.is_revoked(session.get(SESSION_ID)):
        return True  # logged out on the server (a replayed copy of the cookie)
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT, login_at)
    if login_at is None or seen_at is None:
        # Restored from a remember cookie or a session from before the clocks:
        # no proof of a recent login, so ask for one.
        return True
    now = time.time()
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    absolute = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
    return now - seen_at > idle or now - login_at > absolute


def _enforce_session_limits():
    """End a session that has been idle or alive too long (server-side check)."""
    if request.endpoint == "static" or request.path.startswith("/api/") or not current_user.is_authenticated:
        return None  # the API ignores session cookies: bearer tokens only
    if _session_expired():
        logout_user()
        session.pop(LOGIN_AT, None)
        session.pop(SEEN_AT, None)
        flash(str(_l("Your session has ended. Please log in again.")), "info")
        return redirect(url_for("security.login", next=request.full_path if request.method == "GET" else None))
    session[SEEN_AT] = time.time()
    return None


def needs_two_factor_setup(user) -> bool:
    """True when ``user`` must set up two-factor before using the app."""
    if not current_app.config.get("REQUIRE_2FA_FOR_STAFF", True):
        return False
    if not any(user.has_role(role) for role in TWO_FACTOR_ROLES):
        return False
    return not getattr(user, "tf_primary_method", None)


def _enforce_two_factor():
    if request.path.startswith("/api/") or not current_user.is_authenticated \
            or request.endpoint in _TWO_FACTOR_SETUP_OPEN:
        return None
    if needs_two_factor_setup(current_user):
        flash(str(_l("Your account needs two-factor authentication. Set it up to continue.")), "info")
        return redirect(url_for("security.two_factor_setup"))
    return None


def init_app(app: Flask) -> None:
    _security_config(app)
    datastore = _datastore()
    security.init_app(app, datastore)
    user_authenticated.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    app.before_request(_enforce_session_limits)
    app.before_request(_enforce_two_factor)
