"""Coverage through village points: a rural senior is reached when a village point is within their minutes.

A county's kitchen may be 20 km from a village, but its point (a happiness home, a village committee,
a shop) is in the village: a senior whose walk to an active point takes no longer than their home site's
circle minutes (15 by default) is covered through that point (``routing.network_coverage``).
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.site import MealSite
from dispatch.models.village import VillagePoint
from dispatch.routing.network_coverage import reached_through_points

DEFAULT_MINUTES = 15


def active_points() -> list[VillagePoint]:
    return list(db.session.scalars(sa.select(VillagePoint).join(MealSite, MealSite.id == VillagePoint.site_id).where(
        VillagePoint.is_active.is_(True), MealSite.is_active.is_(True)).order_by(VillagePoint.id)))


def through_points(people: Sequence[tuple[float, float, int | None]], travel) -> list[VillagePoint | None]:
    """Per (lat, lon, minutes) the quickest active village point within those walking minutes, or None."""
    points = active_points()
    if not people or not points:
        return [None] * len(people)
    by_key = {str(p.id): p for p in points}
    keyed = [routing.network.VillagePoint(str(p.id), routing.Location(p.lat, p.lon), str(p.site_id),
                                          routing.TimeWindow(0, 1)) for p in points]
    reached = reached_through_points([routing.Location(lat, lon) for lat, lon, _ in people], keyed,
                                     [m or DEFAULT_MINUTES for _, _, m in people], travel, mode="walk")
    return [by_key[r] if r is not None else None for r in reached]
