"""The audit trail: who read or changed what, especially seniors' personal data.

Append-only: services add events, nothing updates or deletes them. The
database enforces it (a trigger refuses UPDATE and DELETE on ``audit_event``,
created by the migration on SQLite and PostgreSQL alike), and a keyed hash
chain shows tampering by anyone who gets past the trigger: each row stores
``hash = HMAC-SHA256(AUDIT_KEY, prev_hash + canonical(event))``, filled in just
before the insert (``_chain_new_events``), so every way of adding an event is
chained. The key lives in the app's environment (``DISPATCH_AUDIT_KEY``), never
in the database: whoever can rewrite rows cannot recompute the chain without it.
``platform.audit_chain.verify`` walks the chain and checks it against the
anchors written outside the database (``platform.audit_anchor``), which catch
the removal of the newest rows.

``user_id`` and ``senior_id`` are plain integers, not foreign keys, so the
record outlives the account or senior it describes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, utcnow

GENESIS = "0" * 64
# Serialises appends on PostgreSQL so two transactions never chain onto the same row.
CHAIN_LOCK_KEY = 0x6175646974  # "audit"


class AuditEvent(db.Model):
    """One recorded action, e.g. ``senior.read`` or ``plan.publish``."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity_type_entity_id", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[int | None] = mapped_column()
    senior_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    def canonical(self) -> str:
        """The event's content as one stable string (the id is left out: the chain orders rows)."""
        when = self.event_dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
        return json.dumps({
            "event_dt": when, "user_id": self.user_id, "action": self.action, "entity_type": self.entity_type,
            "entity_id": self.entity_id, "senior_id": self.senior_id, "detail": self.detail, "ip": self.ip,
        }, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)

    def expected_hash(self, prev_hash: str, key: bytes | None = None) -> str:
        return chain_hash(audit_key() if key is None else key, prev_hash, self.canonical())

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.entity_type}:{self.entity_id}>"


def chain_hash(key: bytes, prev_hash: str, canonical: str) -> str:
    """One link: an HMAC, so nobody without the key can recompute the chain after an edit."""
    return hmac.new(key, (prev_hash + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def audit_key() -> bytes:
    """The chain's key from the app's config (``AUDIT_KEY``; the app config always sets one)."""
    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("AUDIT_KEY is not configured: the audit trail cannot be chained")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _last_hash(connection: sa.Connection) -> str:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    table = AuditEvent.__table__
    last = connection.execute(sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()
    return last or GENESIS


@sa.event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _flush_context, _instances) -> None:
    """Give each new event its place in the chain, in the order they were added."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    prev = _last_hash(session.connection(bind_arguments={"mapper": AuditEvent.__mapper__}))
    key = audit_key()
    for event in new:
        if event.event_dt is None:
            event.event_dt = utcnow()
        # Stored as given on SQLite and PostgreSQL alike: microseconds, UTC.
        event.prev_hash = prev
        event.hash = prev = event.expected_hash(prev, key)


# The append-only guard, per dialect: created by the migration, lifted only by
# tests that empty every table between tests (``tests/conftest.py``).
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ),
}
DROP_APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": ("DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_append_only()"),
}
