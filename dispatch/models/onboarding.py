"""Bringing workers in: an invitation link to a volunteer, and the certificates that unlock skills.

Like family invitations, only the token's SHA-256 is stored and a link works
once, until it expires. A certificate (bathing course, nursing licence) with an
expiry date vouches for one skill; once every certificate for that skill has
expired, the planner stops giving the worker that kind of visit.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow
from dispatch.models.worker import Skill

if TYPE_CHECKING:
    from dispatch.models.worker import Worker


class WorkerInvitation(db.Model):
    """A single-use, expiring link for one worker record to get its own login."""

    __tablename__ = "worker_invitation"
    __table_args__ = (sa.CheckConstraint("expires_dt > created_dt", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(255))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    worker: Mapped[Worker] = relationship()


class WorkerCertificate(db.Model):
    """Training or a licence that vouches for ``skill`` until ``expires_on`` (None: does not expire)."""

    __tablename__ = "worker_certificate"
    __table_args__ = (sa.CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issued"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    skill: Mapped[Skill] = mapped_column(enum_type(Skill, "skill"))
    name: Mapped[str] = mapped_column(sa.String(120))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship()

    def valid_on(self, day: date) -> bool:
        return self.issued_on <= day and (self.expires_on is None or day <= self.expires_on)
