"""Names for audit rows: who acted and on whom, for a viewer allowed to know.

The trail stores ids only (names change, and a row must never be rewritten), so
a page of events showed "#4" and "senior #14". A reader needs names, but a name
is itself personal data: each id is resolved through the viewer's own access
scopes (``access.*_visible_to``), so an administrator reads every name, staff
only those of their sites' seniors, workers and people, and anything else stays
an id. One query per kind of record for the whole page, not one per row.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.models.user import StaffSite, User
from dispatch.models.worker import Worker
from dispatch.platform import access
from dispatch.platform.labels import shown_name

# What kind of record an event is about, in words (the stored ``entity_type`` is the table's name).
KINDS = {
    "senior": _l("Senior"),
    "plan": _l("Plan"),
    "worker": _l("Worker"),
    "service_request": _l("Service request"),
    "meal_site": _l("Meal site"),
    "open_shift": _l("Shift"),
    "meal_hold": _l("Meal pause"),
    "user": _l("Account"),
    "invitation": _l("Invitation"),
    "welfare_alert": _l("Welfare alert"),
    "subsidy_rule": _l("Subsidy rule"),
    "statement_month": _l("Monthly statement"),
    "meal_enrollment": _l("Meal enrollment"),
    "api_token": _l("API token"),
    "subsidy_budget": _l("Subsidy budget"),
    "stop": _l("Stop"),
    "enrollment_request": _l("Enrollment request"),
    "dine_in_meal": _l("Counter meal"),
    "trunk_drop": _l("Village point drop"),
}


def kind(entity_type: str | None) -> str:
    """The record kind in the reader's language; an unknown one as stored."""
    word = KINDS.get(entity_type or "")
    return str(word) if word is not None else (entity_type or "")


@dataclass(frozen=True)
class AuditNames:
    """Names the viewer may read, by id; ``None`` from a lookup means "show the id"."""

    users: dict[int, str] = field(default_factory=dict)
    seniors: dict[int, str] = field(default_factory=dict)
    records: dict[tuple[str, int], str] = field(default_factory=dict)

    def user(self, user_id: int | None) -> str | None:
        return self.users.get(user_id) if user_id is not None else None

    def senior(self, senior_id: int | None) -> str | None:
        return self.seniors.get(senior_id) if senior_id is not None else None

    def kind(self, entity_type: str | None) -> str:
        return kind(entity_type)

    def record(self, entity_type: str, entity_id: int | None) -> str | None:
        return self.records.get((entity_type, entity_id)) if entity_id is not None else None


def _users_visible_to(viewer) -> sa.Select:
    """Accounts whose names ``viewer`` may read: all for admins; staff their sites' staff and workers."""
    query = sa.select(User.id, User.display_name, User.email)
    if access.is_admin(viewer):
        return query
    own_sites = access.staff_site_ids(viewer)
    colleagues = sa.select(StaffSite.user_id).where(StaffSite.site_id.in_(own_sites))
    crew = sa.select(Worker.user_id).where(Worker.home_site_id.in_(own_sites), Worker.user_id.is_not(None))
    return query.where(sa.or_(User.id == viewer.id, User.id.in_(colleagues), User.id.in_(crew)))


def _named(query: sa.Select, id_column, name_column, ids: set[int], zh_column=None) -> dict[int, str]:
    """Names by id, in the reader's language (the Chinese form on record in the Chinese UI)."""
    if not ids:
        return {}
    columns = (id_column, name_column) + ((zh_column,) if zh_column is not None else ())
    rows = db.session.execute(query.with_only_columns(*columns).where(id_column.in_(ids)))
    return {row[0]: shown_name(SimpleNamespace(name=row[1], name_zh=row[2] if zh_column is not None else None))
            for row in rows if row[1]}


def names_for(events: Iterable[AuditEvent], viewer) -> AuditNames:
    """Resolve the actors, seniors and records of ``events`` that ``viewer`` may see by name."""
    events = list(events)
    user_ids = {e.user_id for e in events if e.user_id is not None}
    senior_ids = {e.senior_id for e in events if e.senior_id is not None}
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.entity_id is not None:
            wanted.setdefault(e.entity_type, set()).add(e.entity_id)
    user_ids |= wanted.get("user", set())
    senior_ids |= wanted.get("senior", set())

    users = {}
    if user_ids:
        for user_id, name, email in db.session.execute(_users_visible_to(viewer).where(User.id.in_(user_ids))):
            users[user_id] = name or email
    seniors = _named(access.seniors_visible_to(viewer), Senior.id, Senior.full_name, senior_ids, Senior.full_name_zh)
    records: dict[tuple[str, int], str] = {}
    records.update({("user", k): v for k, v in users.items() if k in wanted.get("user", set())})
    records.update({("senior", k): v for k, v in seniors.items() if k in wanted.get("senior", set())})
    for entity_type, query, id_column, name_column, zh_column in (
            ("worker", access.workers_visible_to(viewer), Worker.id, Worker.full_name, Worker.full_name_zh),
            ("meal_site", access.sites_visible_to(viewer), MealSite.id, MealSite.name, MealSite.name_zh)):
        records.update({(entity_type, k): v for k, v in _named(query, id_column, name_column,
                                                                wanted.get(entity_type, set()), zh_column).items()})
    return AuditNames(users=users, seniors=seniors, records=records)
