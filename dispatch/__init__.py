"""Doorstep: meals and home care routed to seniors' doors.

The web pieces are imported inside `create_app`, not at module level: importing
any submodule (e.g. `python -m dispatch.routing.benchmarks.vrptw`, or an RQ worker's job)
runs this file first, and the routing core needs none of Flask, which costs
seconds to import on a loaded machine.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from flask import Flask

    from dispatch.platform.clock import Clock

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None, *, clock: Clock | None = None,
               solve: Callable[..., Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, commands. Never touches the schema.

    ``clock`` and ``solve`` replace the system clock and the routing solver (tests, the demo).
    """
    from flask import Flask

    from dispatch import api, appconfig, cli, error_handlers, security_setup, web
    from dispatch.extensions import csrf, db, migrate
    from dispatch.paths import MIGRATIONS_DIR, TEMPLATES_DIR
    from dispatch.platform import clock as app_clock
    from dispatch.platform import collaborators, hardening, i18n, input_guard, login_throttle, logsafe, transaction
    from dispatch.platform.validation import IdConverter

    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder="static")
    app.url_map.converters["id"] = IdConverter  # <id:senior_id>: 1..2**31-1, else 404
    appconfig.configure(app, test_config)
    app_clock.install(app, clock)
    collaborators.install(app, solve=solve)
    db.init_app(app)
    transaction.init_app(app)
    input_guard.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    security_setup.init_app(app)
    web.init_app(app)
    error_handlers.init_app(app)
    api.init_app(app)
    hardening.init_app(app)
    login_throttle.install_proxy_fix(app)
    logsafe.init_app(app)
    cli.init_app(app)
    return app
