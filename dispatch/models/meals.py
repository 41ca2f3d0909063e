"""Meals: standing enrollments, holds that pause them, and the daily orders they produce.

Enrollments and holds are the intent; ``MealOrder`` is the fact for one day,
generated from them. Regenerating a day must be idempotent, hence the unique
key on (senior, day, meal).
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.senior import Diet, Senior
from dispatch.models.site import MealSite, MealType
from dispatch.models.types import UTCDateTime, enum_type, utcnow

ALL_WEEKDAYS = 0b1111111


class MealMode(enum.StrEnum):
    DELIVERY = "delivery"
    DINE_IN = "dine_in"


class MealOrderStatus(enum.StrEnum):
    ORDERED = "ordered"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"
    DINED_IN = "dined_in"
    MISSED = "missed"


def weekdays_to_mask(weekdays: list[int] | set[int]) -> int:
    """Bitmask of weekdays, bit 0 = Monday (``date.weekday()`` numbering)."""
    mask = 0
    for day in weekdays:
        if not 0 <= day <= 6:
            raise ValueError(f"weekday must be 0..6, got {day}")
        mask |= 1 << day
    return mask


class MealEnrollment(db.Model):
    """A senior's standing order: this meal, from this site, on these weekdays."""

    __tablename__ = "meal_enrollment"
    __table_args__ = (
        sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays_range"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_not_before_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"), index=True)
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    weekdays: Mapped[int] = mapped_column(default=ALL_WEEKDAYS)
    mode: Mapped[MealMode] = mapped_column(enum_type(MealMode, "mode"), default=MealMode.DELIVERY)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    senior: Mapped[Senior] = relationship()
    site: Mapped[MealSite] = relationship()

    @property
    def weekday_list(self) -> list[int]:
        """The enrolled weekdays, 0 = Monday."""
        return [d for d in range(7) if self.weekdays & (1 << d)]

    def applies_on(self, day: date) -> bool:
        """Whether this enrollment asks for a meal on ``day`` (holds aside)."""
        in_period = self.start_date <= day and (self.end_date is None or day <= self.end_date)
        return self.is_active and in_period and bool(self.weekdays & (1 << day.weekday()))


class MealHold(db.Model):
    """A pause in all of a senior's meals (hospital stay, family visit), both dates included.

    ``away`` says the senior is not at home on those days: home visits are not
    planned then either (``services.care.away``). A pause alone (the family cooks
    this week) leaves the visits as they are.
    """

    __tablename__ = "meal_hold"
    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="end_not_before_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    away: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    senior: Mapped[Senior] = relationship()

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class MealOrder(db.Model):
    """One meal for one senior on one day: what the kitchen cooks and the route carries.

    ``diet`` is copied from the senior when the order is made, so a later diet
    change does not rewrite what was cooked and billed.
    """

    __tablename__ = "meal_order"
    __table_args__ = (
        sa.UniqueConstraint("senior_id", "service_date", "meal"),
        sa.Index("ix_meal_order_service_date_site_id", "service_date", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: orders are billing history; retire a senior with is_active instead.
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"))
    service_date: Mapped[date] = mapped_column(sa.Date)
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    mode: Mapped[MealMode] = mapped_column(enum_type(MealMode, "mode"))
    diet: Mapped[Diet] = mapped_column(enum_type(Diet, "diet"))
    status: Mapped[MealOrderStatus] = mapped_column(
        enum_type(MealOrderStatus, "status"),
        default=MealOrderStatus.ORDERED, server_default=MealOrderStatus.ORDERED.value,
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    senior: Mapped[Senior] = relationship()
    site: Mapped[MealSite] = relationship()
