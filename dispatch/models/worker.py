"""Workers: the drivers, caregivers, nurses and volunteers who become routes.

Skills decide who may take a visit, travel mode and capacity shape a route,
and weekly shifts say when someone can be planned at all.
"""
from __future__ import annotations

import enum
from datetime import datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.site import TravelMode
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.site import MealSite
    from dispatch.models.user import User
    from dispatch.models.village import VillagePoint


class WorkerKind(enum.StrEnum):
    DRIVER = "driver"
    CAREGIVER = "caregiver"
    NURSE = "nurse"
    VOLUNTEER = "volunteer"


class MapApp(enum.StrEnum):
    """Where the phone page's one directions button sends the worker (their own choice)."""

    OPENSTREETMAP = "openstreetmap"
    AMAP = "amap"
    PHONE = "phone"  # the phone's own map app, through a geo: link


class Skill(enum.StrEnum):
    """What a worker is trained for; a service request may require one."""

    MEAL_DELIVERY = "meal_delivery"
    BATHING = "bathing"
    CLEANING = "cleaning"
    WALKING_ASSISTANCE = "walking_assistance"
    MEDICAL_ASSISTANCE = "medical_assistance"
    EMERGENCY_ASSISTANCE = "emergency_assistance"
    COMPANIONSHIP = "companionship"
    NURSING = "nursing"
    VISITATION = "visitation"  # trained to make welfare visits and fill in the checklist


class Worker(db.Model):
    """A person who can be given a route; may or may not have a login."""

    __tablename__ = "worker"
    __table_args__ = (
        sa.CheckConstraint("capacity_meals >= 0", name="capacity_nonneg"),
        sa.CheckConstraint("max_minutes_per_day > 0", name="max_minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    full_name_zh: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    kind: Mapped[WorkerKind] = mapped_column(enum_type(WorkerKind, "kind"))
    travel_mode: Mapped[TravelMode] = mapped_column(
        enum_type(TravelMode, "travel_mode"), default=TravelMode.E_BIKE, server_default=TravelMode.E_BIKE.value
    )
    # Meals the worker can carry at once (insulated boxes on the bike).
    capacity_meals: Mapped[int] = mapped_column(default=0, server_default="0")
    home_site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"), index=True)
    # A village volunteer walks meals from this village point (their home site's); None for everyone else.
    village_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("village_point.id", ondelete="SET NULL"), index=True
    )
    max_minutes_per_day: Mapped[int] = mapped_column(default=480, server_default="480")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    map_app: Mapped[MapApp] = mapped_column(
        enum_type(MapApp, "map_app"), default=MapApp.OPENSTREETMAP, server_default=MapApp.OPENSTREETMAP.value
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()
    home_site: Mapped[MealSite] = relationship()
    village_point: Mapped[VillagePoint | None] = relationship()
    skills: Mapped[list[WorkerSkill]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", passive_deletes=True
    )
    shifts: Mapped[list[WorkerShift]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: [WorkerShift.weekday, WorkerShift.start_time],
    )

    @property
    def skill_values(self) -> set[Skill]:
        return {s.skill for s in self.skills}

    def has_skill(self, skill: Skill) -> bool:
        return skill in self.skill_values

    def __repr__(self) -> str:
        return f"<Worker {self.id} {self.full_name!r}>"


class WorkerSkill(db.Model):
    __tablename__ = "worker_skill"
    __table_args__ = (sa.UniqueConstraint("worker_id", "skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"))
    skill: Mapped[Skill] = mapped_column(enum_type(Skill, "skill"))

    worker: Mapped[Worker] = relationship(back_populates="skills")


class WorkerShift(db.Model):
    """A recurring weekly availability at one site (weekday 0 = Monday), in site-local time."""

    __tablename__ = "worker_shift"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("end_time > start_time", name="end_after_start"),
        sa.CheckConstraint("break_minutes >= 0", name="break_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column()
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    break_minutes: Mapped[int] = mapped_column(default=0, server_default="0")

    worker: Mapped[Worker] = relationship(back_populates="shifts")
