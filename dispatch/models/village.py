"""Village meal points of a rural county, and the trunk leg of a county plan.

A kitchen (a ``MealSite``) supplies village points (a rural happiness home, a village committee, a
shop): a car takes each point's batch out in insulated boxes (the trunk run), seniors dine at the
point or a local volunteer walks the last stretch (the last-mile round). A stored county plan is an
ordinary ``Plan``: its trunk routes (``Route.leg == "trunk"``) hold one ``TrunkDrop`` per point they
supply instead of stops, its last-mile routes (``Route.leg == "last_mile"``) hold ordinary meal
stops walked from ``Route.village_point``.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.site import MealSite


class VillagePointKind(enum.StrEnum):
    HAPPINESS_HOME = "happiness_home"  # 农村幸福院
    VILLAGE_COMMITTEE = "village_committee"
    SHOP = "shop"


class VillagePoint(db.Model):
    """A village meal point one kitchen supplies; seniors may dine there when it has seats."""

    __tablename__ = "village_point"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "name"),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
        sa.CheckConstraint("(dine_in AND seats IS NOT NULL AND seats >= 1) OR (NOT dine_in AND seats IS NULL)",
                           name="seats_with_dine_in"),
        sa.CheckConstraint("unload_minutes BETWEEN 0 AND 60", name="unload_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_zh: Mapped[str | None] = mapped_column(sa.String(120))
    kind: Mapped[VillagePointKind] = mapped_column(enum_type(VillagePointKind, "kind"))
    address: Mapped[str] = mapped_column(sa.String(255))
    address_zh: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    dine_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    seats: Mapped[int | None] = mapped_column()
    # Handing the boxes over before a volunteer can set out.
    unload_minutes: Mapped[int] = mapped_column(default=5, server_default="5")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MealSite] = relationship()

    def __repr__(self) -> str:
        return f"<VillagePoint {self.id} {self.name!r}>"
