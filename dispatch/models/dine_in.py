"""Meals eaten at the canteen, recorded at the counter: the dine-in proof of service.

One row per meal served. ``seq`` is 1 for a senior's meal in a window and 2, 3...
for extra meals staff let through with a reason, so the UNIQUE key on
(senior, day, meal, seq) makes the database refuse a second ordinary meal even
when two counters race. ``client_id`` comes from the counter form, so a retried
post (double tap, flaky Wi-Fi) finds the first row instead of adding one.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.site import MealType
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.senior import Senior
    from dispatch.models.site import MealSite


class DineInMeal(db.Model):
    """One meal a senior ate at a site's counter; never updated, never deleted."""

    __tablename__ = "dine_in_meal"
    __table_args__ = (
        sa.UniqueConstraint("senior_id", "service_date", "meal", "seq", name="uq_dine_in_meal_one_per_window"),
        sa.UniqueConstraint("client_id", name="uq_dine_in_meal_client_id"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint("seq = 1 OR override_reason IS NOT NULL", name="extra_meal_has_reason"),
        sa.Index("ix_dine_in_meal_site_id_service_date", "site_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"))
    service_date: Mapped[date] = mapped_column(sa.Date)
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    seq: Mapped[int] = mapped_column(default=1, server_default="1")
    override_reason: Mapped[str | None] = mapped_column(sa.String(255))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    senior: Mapped[Senior] = relationship()
    site: Mapped[MealSite] = relationship()

    @property
    def is_extra(self) -> bool:
        return self.seq > 1
