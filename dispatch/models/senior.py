"""Seniors: the people Doorstep serves, with what a worker at the door must know.

Diet and mobility drive the kitchen's counts and which worker can serve;
categories drive subsidies; contacts and family links are who staff call when
a welfare alert is raised.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.site import MealSite
    from dispatch.models.user import User
    from dispatch.models.village import VillagePoint


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class GeocodeStatus(enum.StrEnum):
    """How far the senior's coordinates can be trusted for routing."""

    OK = "ok"
    PENDING = "pending"
    DOUBTFUL = "doubtful"
    FAILED = "failed"
    MANUAL = "manual"


class Mobility(enum.StrEnum):
    INDEPENDENT = "independent"
    WALKER = "walker"
    WHEELCHAIR = "wheelchair"
    BEDRIDDEN = "bedridden"


class Diet(enum.StrEnum):
    REGULAR = "regular"
    DIABETIC = "diabetic"
    LOW_SALT = "low_salt"
    SOFT = "soft"
    MINCED = "minced"
    PUREED = "pureed"
    VEGETARIAN = "vegetarian"
    HALAL = "halal"


class SeniorCategoryType(enum.StrEnum):
    """Official categories that decide subsidies and priority."""

    LOW_INCOME = "low_income"
    EXTREME_POVERTY = "extreme_poverty"
    DISABLED = "disabled"
    AGED_80_PLUS = "aged_80_plus"
    LIVING_ALONE_PRIORITY = "living_alone_priority"


class Senior(db.Model):
    """A person served: where they live, how to reach them, and what they need."""

    __tablename__ = "senior"
    __table_args__ = (
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        sa.CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), index=True)
    full_name_zh: Mapped[str | None] = mapped_column(sa.String(120))
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, "gender"))
    date_of_birth: Mapped[date] = mapped_column(sa.Date)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(255))
    address_zh: Mapped[str | None] = mapped_column(sa.String(255))
    neighbourhood: Mapped[str | None] = mapped_column(sa.String(80))
    # Null until geocoded; routing skips seniors without coordinates.
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    geocode_status: Mapped[GeocodeStatus] = mapped_column(
        enum_type(GeocodeStatus, "geocode_status"),
        default=GeocodeStatus.PENDING, server_default=GeocodeStatus.PENDING.value,
    )
    lives_alone: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    mobility: Mapped[Mobility] = mapped_column(
        enum_type(Mobility, "mobility"), default=Mobility.INDEPENDENT, server_default=Mobility.INDEPENDENT.value
    )
    diet: Mapped[Diet] = mapped_column(enum_type(Diet, "diet"), default=Diet.REGULAR, server_default=Diet.REGULAR.value)
    allergies: Mapped[str | None] = mapped_column(sa.Text)
    # Gate code, dog, hard of hearing: what the worker needs at the door.
    access_notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    home_site_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meal_site.id", ondelete="SET NULL"), index=True
    )
    # A senior of a rural county gets meals through a village point of their home site: they dine there
    # (a dine-in enrollment) or a volunteer walks the meal from it (a delivery enrollment).
    village_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("village_point.id", ondelete="SET NULL"), index=True
    )
    # Staff chose the home site by hand; automatic reassignment leaves it alone.
    home_site_overridden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    home_site: Mapped[MealSite | None] = relationship()
    village_point: Mapped[VillagePoint | None] = relationship()
    categories: Mapped[list[SeniorCategory]] = relationship(
        back_populates="senior", cascade="all, delete-orphan", passive_deletes=True
    )
    contacts: Mapped[list[EmergencyContact]] = relationship(
        back_populates="senior", cascade="all, delete-orphan", passive_deletes=True,
        order_by="EmergencyContact.priority",
    )
    family_links: Mapped[list[FamilyLink]] = relationship(
        back_populates="senior", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def category_values(self) -> set[SeniorCategoryType]:
        return {c.category for c in self.categories}

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday turns over on 1 March)."""
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)

    def __repr__(self) -> str:
        return f"<Senior {self.id} {self.full_name!r}>"


class SeniorCategory(db.Model):
    """One official category a senior belongs to."""

    __tablename__ = "senior_category"
    __table_args__ = (sa.UniqueConstraint("senior_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"))
    category: Mapped[SeniorCategoryType] = mapped_column(enum_type(SeniorCategoryType, "category"))

    senior: Mapped[Senior] = relationship(back_populates="categories")


class EmergencyContact(db.Model):
    """Someone to call when the senior does not answer; lower ``priority`` is called first."""

    __tablename__ = "emergency_contact"
    __table_args__ = (sa.CheckConstraint("priority >= 1", name="priority_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    relation: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str] = mapped_column(sa.String(32))
    priority: Mapped[int] = mapped_column(default=1, server_default="1")

    senior: Mapped[Senior] = relationship(back_populates="contacts")


class FamilyLink(db.Model):
    """Lets a family user see and request services for one senior."""

    __tablename__ = "family_link"
    __table_args__ = (sa.UniqueConstraint("user_id", "senior_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(sa.String(60))  # daughter, son, niece...
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    senior: Mapped[Senior] = relationship(back_populates="family_links")
    user: Mapped[User] = relationship()
