"""Volunteer shifts: dated places staff open at a site, volunteers' sign-ups, and offers to substitutes.

Weekly ``WorkerShift`` rows say when a regular worker is usually free; an
``OpenShift`` is one dated need ("Saturday lunch, 2 drivers") that volunteers
pick from their phone. Whoever is signed up on the day is a worker the planner
may use for that time.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.site import MealSite
    from dispatch.models.worker import Worker


class ShiftRole(enum.StrEnum):
    DRIVER = "driver"
    SERVER = "server"
    CAREGIVER = "caregiver"


class SignupStatus(enum.StrEnum):
    SIGNED_UP = "signed_up"
    CANCELLED = "cancelled"


class OfferStatus(enum.StrEnum):
    """An offer of a place freed by a late cancellation: the first to accept gets it."""

    OPEN = "open"
    ACCEPTED = "accepted"
    TAKEN = "taken"  # someone else accepted first, or the place was filled otherwise


class OpenShift(db.Model):
    """One dated need at a site, in site-local time: ``needed`` people for ``role``."""

    __tablename__ = "open_shift"
    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="end_after_start"),
        sa.CheckConstraint("needed BETWEEN 1 AND 100", name="needed_range"),
        sa.Index("ix_open_shift_site_date", "site_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"))
    service_date: Mapped[date] = mapped_column(sa.Date)
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    role: Mapped[ShiftRole] = mapped_column(enum_type(ShiftRole, "role"))
    needed: Mapped[int] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MealSite] = relationship()
    signups: Mapped[list[ShiftSignup]] = relationship(back_populates="shift", cascade="all, delete-orphan",
                                                      passive_deletes=True)

    @property
    def active_signups(self) -> list[ShiftSignup]:
        return [s for s in self.signups if s.status == SignupStatus.SIGNED_UP]

    @property
    def free_places(self) -> int:
        return max(0, self.needed - len(self.active_signups))


class ShiftSignup(db.Model):
    """A volunteer's place on a shift; cancelling keeps the row (who cancelled late is worth knowing)."""

    __tablename__ = "shift_signup"
    __table_args__ = (sa.UniqueConstraint("shift_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("open_shift.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(enum_type(SignupStatus, "status"))
    signed_up_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_cancel: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[OpenShift] = relationship(back_populates="signups")
    worker: Mapped[Worker] = relationship()


class ShiftOffer(db.Model):
    """A freed place offered to one substitute."""

    __tablename__ = "shift_offer"
    __table_args__ = (sa.UniqueConstraint("shift_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("open_shift.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    status: Mapped[OfferStatus] = mapped_column(enum_type(OfferStatus, "status"))
    # Knows the route: has served this site before (first wave), or another volunteer of the site.
    knows_route: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    offered_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[OpenShift] = relationship()
    worker: Mapped[Worker] = relationship()
