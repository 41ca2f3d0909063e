"""Family invitations: a single-use, expiring link staff send so a relative can join.

Only a SHA-256 hash of the token is stored: a database leak does not hand out
working links. A link is spent once accepted; staff may revoke it before that.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.types import UTCDateTime, utcnow
from dispatch.models.user import User


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(db.Model):
    """An invitation for one person (by e-mail) to follow one senior as family."""

    __tablename__ = "invitation"
    __table_args__ = (sa.CheckConstraint("expires_dt > created_dt", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(255))
    relation: Mapped[str] = mapped_column(sa.String(60))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    senior: Mapped[Senior] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    def state(self, now: datetime) -> InvitationState:
        if self.accepted_dt is not None:
            return InvitationState.ACCEPTED
        if self.revoked_dt is not None:
            return InvitationState.REVOKED
        if now >= self.expires_dt:
            return InvitationState.EXPIRED
        return InvitationState.PENDING
