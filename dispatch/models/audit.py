"""The audit trail: who read or changed what, especially seniors' personal data.

Append-only by intent: services add events, nothing updates or deletes them.
``user_id`` and ``senior_id`` are plain integers, not foreign keys, so the
record outlives the account or senior it describes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, utcnow


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

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.entity_type}:{self.entity_id}>"
