"""Doorstep: meals and home care routed to seniors' doors."""
from __future__ import annotations

from typing import Any

from flask import Flask

from dispatch import api, appconfig, cli, hardening, i18n, logsafe, security_setup, web
from dispatch.extensions import csrf, db, migrate
from dispatch.paths import MIGRATIONS_DIR, TEMPLATES_DIR

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, commands. Never touches the schema."""
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder="static")
    appconfig.configure(app, test_config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    security_setup.init_app(app)
    web.init_app(app)
    api.init_app(app)
    hardening.init_app(app)
    logsafe.init_app(app)
    cli.init_app(app)
    return app
