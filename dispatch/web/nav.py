"""Navigation per role, declared once so the layout and tests agree on it.

Items whose endpoint is not registered (a feature not yet built) are left out
rather than shown as dead links.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[str, ...]


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("staff.today", _l("Today"), ("admin", "staff")),
    NavItem("staff.seniors", _l("Seniors"), ("admin", "staff")),
    NavItem("staff.locations", _l("Locations"), ("admin", "staff")),
    NavItem("staff.enrollments", _l("Enrollments"), ("admin", "staff")),
    NavItem("staff.sites", _l("Meal sites"), ("admin", "staff")),
    NavItem("staff.workers", _l("Workers"), ("admin", "staff")),
    NavItem("coverage.index", _l("Coverage"), ("admin", "staff")),
    NavItem("staff.board", _l("Live board"), ("admin", "staff")),
    NavItem("staff.follow_ups", _l("Follow-ups"), ("admin", "staff")),
    NavItem("staff.kitchen", _l("Kitchen"), ("admin", "staff")),
    NavItem("staff.counter", _l("Counter"), ("admin", "staff")),
    NavItem("staff.dashboard", _l("Dashboard"), ("admin", "staff")),
    NavItem("staff.subsidy_rules", _l("Subsidies"), ("admin", "staff")),
    NavItem("staff.visitation", _l("Visitation"), ("admin", "staff")),
    NavItem("worker.today", _l("Today's route"), ("worker",)),
    NavItem("worker.shifts", _l("Shifts"), ("worker",)),
    NavItem("family.home", _l("My family"), ("family",)),
    NavItem("admin.users", _l("Users"), ("admin",)),
    NavItem("admin_security.audit_log", _l("Audit log"), ("admin",)),
    NavItem("admin_security.api_tokens_page", _l("API tokens"), ("admin",)),
    NavItem("admin.visitation_rules", _l("Visitation rules"), ("admin",)),
)


def nav_for(user) -> list[tuple[str, object, str]]:
    """(url, label, endpoint) for each item this user's roles may use."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    role_names = {role.name for role in getattr(user, "roles", [])}
    items = []
    for item in NAV_ITEMS:
        if role_names.intersection(item.roles) and item.endpoint in current_app.view_functions:
            items.append((url_for(item.endpoint), item.label, item.endpoint))
    return items


def account_name(user) -> str:
    """The signed-in person as the header names them: as their account reads, except that in the Chinese UI
    a worker with a Chinese name on their worker record is named by it (梁佳怡, as their route page says)."""
    import sqlalchemy as sa

    from dispatch.extensions import db
    from dispatch.models.worker import Worker
    from dispatch.platform.labels import is_chinese_ui

    typed = getattr(user, "display_name", None) or getattr(user, "email", "") or ""
    # Only a worker's account has a worker record: no query on other people's pages.
    if not (getattr(user, "is_authenticated", False) and is_chinese_ui() and user.has_role("worker")):
        return typed
    chinese = db.session.scalar(sa.select(Worker.full_name_zh).where(Worker.user_id == user.id).limit(1))
    return chinese or typed
