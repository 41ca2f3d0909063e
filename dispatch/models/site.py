"""Meal sites (community canteens, central kitchens) and their meal windows.

A site is where meals leave from and where routes start and end; its
capacity, hold limit and service circle are the constraints planning respects.
"""
from __future__ import annotations

import enum
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow


class SiteKind(enum.StrEnum):
    CANTEEN = "canteen"
    CENTRAL_KITCHEN = "central_kitchen"


class TravelMode(enum.StrEnum):
    """How a worker moves between stops; also the mode a service circle is measured in."""

    WALK = "walk"
    E_BIKE = "e_bike"
    CAR = "car"


class MealType(enum.StrEnum):
    BREAKFAST = "breakfast"
    LUNCH = "lunch"
    DINNER = "dinner"


class MealSite(db.Model):
    """A kitchen or canteen that serves the seniors inside its service circle."""

    __tablename__ = "meal_site"
    __table_args__ = (
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
        sa.CheckConstraint("daily_capacity >= 0", name="capacity_nonneg"),
        sa.CheckConstraint("hold_limit_minutes BETWEEN 1 AND 240", name="hold_limit_range"),
        sa.CheckConstraint("circle_minutes BETWEEN 1 AND 120", name="circle_minutes_range"),
        sa.CheckConstraint("request_cutoff_hours BETWEEN 0 AND 168", name="request_cutoff_hours_range"),
        sa.CheckConstraint("shift_cancel_cutoff_hours BETWEEN 0 AND 168", name="shift_cancel_cutoff_hours_range"),
        sa.CheckConstraint("reload_trips BETWEEN 1 AND 6", name="reload_trips_range"),
        sa.CheckConstraint("load_minutes BETWEEN 0 AND 60", name="load_minutes_range"),
        sa.CheckConstraint("packing_rate IS NULL OR packing_rate BETWEEN 1 AND 1000", name="packing_rate_range"),
        sa.CheckConstraint("ready_lead_minutes BETWEEN 0 AND 180", name="ready_lead_range"),
        sa.CheckConstraint("insulated_hold_minutes IS NULL OR (insulated_hold_minutes > hold_limit_minutes"
                           " AND insulated_hold_minutes <= 480)", name="insulated_hold_range"),
        sa.CheckConstraint("trunk_trip_meals IS NULL OR trunk_trip_meals BETWEEN 1 AND 2000", name="trunk_trip_meals_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name_zh: Mapped[str | None] = mapped_column(sa.String(120))
    kind: Mapped[SiteKind] = mapped_column(enum_type(SiteKind, "kind"), default=SiteKind.CANTEEN)
    address: Mapped[str] = mapped_column(sa.String(255))
    address_zh: Mapped[str | None] = mapped_column(sa.String(255))
    district: Mapped[str | None] = mapped_column(sa.String(80))
    neighbourhood: Mapped[str | None] = mapped_column(sa.String(80))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    daily_capacity: Mapped[int] = mapped_column(default=0, server_default="0")
    # Minutes a hot meal may spend between leaving the kitchen and the door.
    hold_limit_minutes: Mapped[int] = mapped_column(default=45, server_default="45")
    # Loads a rider may take at the kitchen for one meal: with small boxes and many meals, coming back to load
    # again serves meals one load would leave out (each load's meals held from that load's departure).
    reload_trips: Mapped[int] = mapped_column(default=1, server_default="1")
    load_minutes: Mapped[int] = mapped_column(default=5, server_default="5")  # a reload at the kitchen
    # The kitchen hands out this many meals per 10 minutes from when cooking ends, ``ready_lead_minutes``
    # before a meal window opens; None: as fast as riders come (departures are then not staggered).
    packing_rate: Mapped[int | None] = mapped_column()
    ready_lead_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    # A kitchen that supplies village points: minutes a meal may spend in its insulated boxes, from the car
    # leaving the kitchen to the table or the door (longer than ``hold_limit_minutes``; None: that limit), and
    # meals the car's boxes hold per trunk trip (None: what the driver's record says they carry).
    insulated_hold_minutes: Mapped[int | None] = mapped_column()
    trunk_trip_meals: Mapped[int | None] = mapped_column()
    circle_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    circle_mode: Mapped[TravelMode] = mapped_column(
        enum_type(TravelMode, "circle_mode"), default=TravelMode.WALK, server_default=TravelMode.WALK.value
    )
    # Families may cancel or reschedule a visit until this many hours before its window starts.
    request_cutoff_hours: Mapped[int] = mapped_column(default=12, server_default="12")
    # A volunteer cancelling later than this before their shift starts makes the site offer the place to others.
    shift_cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    windows: Mapped[list[MealWindow]] = relationship(
        back_populates="site", cascade="all, delete-orphan", passive_deletes=True,
        order_by="MealWindow.start_time",
    )

    def window_for(self, meal: MealType) -> MealWindow | None:
        """The site's serving window for ``meal``, if it serves that meal."""
        return next((w for w in self.windows if w.meal == meal), None)

    def __repr__(self) -> str:
        return f"<MealSite {self.id} {self.name!r}>"


class MealWindow(db.Model):
    """When a site serves one meal, in the site's local time (e.g. lunch 11:00-12:30)."""

    __tablename__ = "meal_window"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "meal"),
        sa.CheckConstraint("end_time > start_time", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"))
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)

    site: Mapped[MealSite] = relationship(back_populates="windows")
