"""API tokens for integrations, and the replies the API remembers per idempotency key.

A token is shown once when an admin creates it; only its SHA-256 is stored,
so a copy of the database grants nothing. A token acts for one account, as
one of that account's roles and (for staff) within a subset of its sites,
until it expires or is revoked.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, utcnow
from dispatch.models.user import User


class ApiToken(db.Model):
    """A bearer token an admin issued for an integration (call centre, data platform)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # First characters of the token, shown in lists so an admin can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    # Staff tokens: the sites the token may reach (a subset of the account's); None for other roles.
    site_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_dt is None and now < self.expires_dt and bool(self.user and self.user.active)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… {self.role}>"


class ApiIdempotency(db.Model):
    """The first reply to an API write, replayed when the same key comes again."""

    __tablename__ = "api_idempotency"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))
    # Method, path and body digest: the same key sent with another request is refused, not replayed.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    # The reply's HTTP status; 0 while the request runs, 1 once its write committed but before its reply is stored.
    status_code: Mapped[int] = mapped_column()
    body: Mapped[Any] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
