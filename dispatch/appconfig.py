"""Turn Doorstep's settings (``dispatch.config``) into Flask and extension config."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from dispatch.config import load_settings


def _secret_key(data_dir: Path, name: str = "secret_key") -> str:
    """A per-install random key kept in the data dir, so the demo needs no setup
    and restarts keep sessions valid (and the audit chain verifiable)."""
    key_file = data_dir / name
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def configure(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    settings = load_settings(overrides)
    data_dir = Path(settings["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(settings)

    url = settings["DATABASE_URL"] or f"sqlite:///{data_dir / 'doorstep.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # Pre-ping so a restarted PostgreSQL does not leave dead pooled connections.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    secret = settings["SECRET_KEY"] or _secret_key(data_dir)
    app.config["SECRET_KEY"] = secret
    app.config["SECURITY_PASSWORD_SALT"] = (
        settings["SECURITY_PASSWORD_SALT"] or hashlib.sha256(("salt:" + secret).encode()).hexdigest()
    )

    # The audit chain's key: from the environment in production, else generated beside the SQLite file.
    app.config["AUDIT_KEY"] = settings["AUDIT_KEY"] or _secret_key(data_dir, "audit_key")
    app.config["AUDIT_ANCHOR_PATH"] = settings["AUDIT_ANCHOR_PATH"] or str(data_dir / "audit-anchors.jsonl")

    # Cookies: never readable by scripts, not sent cross-site, Secure behind HTTPS.
    secure = bool(settings["SECURE_COOKIES"])
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=int(settings["SESSION_IDLE_MINUTES"])),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LANGUAGE"],
        BABEL_DEFAULT_TIMEZONE=settings["TIMEZONE"],
        MAX_CONTENT_LENGTH=int(settings["UPLOAD_MAX_MB"]) * 1024 * 1024,
    )
    if overrides:
        # Tests may pass raw Flask keys (TESTING, WTF_CSRF_ENABLED, ...) too.
        app.config.update({k: v for k, v in overrides.items() if k not in settings})
