"""Accounts: who can sign in, with which roles, and which meal sites staff manage.

``User`` and ``Role`` are Flask-Security-Too's fsqla v3 models, so its views,
tokens and two-factor features work unchanged; Doorstep adds a display name,
phone and preferred locale, and the staff-to-site link that scopes what a
coordinator sees.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from dispatch.models.site import MealSite

fsqla.FsModels.set_db_info(db)

# The mixins' own ``roles_users`` has no primary key and no ON DELETE, so one
# role could be granted twice and deleting a user would fail on PostgreSQL.
# Swap in a keyed, cascading table before the mixin's ``roles`` reads it.
db.metadata.remove(fsqla.FsModels.roles_users)
roles_users = db.Table(
    "roles_users",
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.Integer, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)
fsqla.FsModels.roles_users = roles_users


class RoleName(enum.StrEnum):
    """The roles the app grants; each opens one audience's pages."""

    ADMIN = "admin"
    STAFF = "staff"
    WORKER = "worker"
    FAMILY = "family"


class Role(db.Model, fsqla.FsRoleMixin):
    """A named set of permissions (see ``RoleName``)."""

    __tablename__ = "role"


class User(db.Model, fsqla.FsUserMixin):
    """Anyone who signs in: administrators, site staff, workers and family members."""

    __tablename__ = "user"

    display_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    # The time step (30 s) of the last authenticator code accepted: a code is good once (no replay).
    tf_totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)

    staff_sites: Mapped[list[StaffSite]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def site_ids(self) -> set[int]:
        """The meal sites this staff user may manage (empty for everyone else)."""
        return {link.site_id for link in self.staff_sites}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    """A passkey/security key registered by a user (Flask-Security's WebAuthn feature).

    The fsqla v3 user mixin declares a ``webauthn`` relationship whenever the
    ``webauthn`` package is installed, which it is (``flask-security-too[mfa]``).
    """

    __tablename__ = "webauthn"


class StaffSite(db.Model):
    """Grants a staff user the right to manage one meal site."""

    __tablename__ = "staff_site"
    __table_args__ = (sa.UniqueConstraint("user_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="staff_sites")
    site: Mapped[MealSite] = relationship()


class RevokedSession(db.Model):
    """A login session ended on the server by logging out.

    The session cookie is signed but stateless, so a copy taken before logout
    would still be valid; its ``dispatch_sid`` (issued at login) is kept here,
    hashed, until the session would have reached its absolute limit anyway.
    """

    __tablename__ = "revoked_session"

    sid_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
