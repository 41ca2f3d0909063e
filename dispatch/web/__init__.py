"""Blueprints, one per audience: staff, worker, family, admin, auth."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from dispatch.platform.labels import (
    WEEKDAYS,
    WEEKDAYS_SHORT,
    label,
    second_form,
    shown_address,
    shown_name,
    word,
    words,
    yuan,
)
from dispatch.services.visitation import planning as visitation_planning
from dispatch.web import admin, coverage, family, main, staff, worker
from dispatch.web.nav import account_name, nav_for


def init_app(app: Flask) -> None:
    app.register_blueprint(main.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(worker.bp)
    app.register_blueprint(family.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(coverage.bp)
    app.register_blueprint(admin.security.bp)
    app.context_processor(lambda: {"nav_items": nav_for(current_user)})
    app.jinja_env.globals.update(label=label, weekdays=WEEKDAYS, weekdays_short=WEEKDAYS_SHORT)
    app.jinja_env.filters.update(yuan=yuan, local_name=shown_name, local_address=shown_address, word=word,
                                 words=words)
    app.jinja_env.globals["second_form"] = second_form
    app.jinja_env.globals["account_name"] = account_name
    app.jinja_env.globals["welfare_reason"] = visitation_planning.why_due
