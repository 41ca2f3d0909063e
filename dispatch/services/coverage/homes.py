"""One new senior's home site: the nearest active site that still has room.

The same model as the district's assignment (``circles.compute_district``): a
site holds at most ``daily_capacity`` seniors, a site whose circle holds the
senior comes before any site outside its circle, and among those the
quickest to reach wins (each site measured in its own circle's mode, on
streets when a network is built). A senior with no coordinates yet goes to the
site with the most room. Reads only.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.routing.circles import Person, nearest_sites, reachability
from dispatch.services.coverage.circles import circle_site, travel

__all__ = ["homed_counts", "nearest_site_with_room"]


def homed_counts(site_ids: Iterable[int]) -> dict[int, int]:
    """Active seniors homed at each of ``site_ids``."""
    ids = list(site_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Senior.home_site_id, sa.func.count()).where(Senior.is_active.is_(True), Senior.home_site_id.in_(ids))
        .group_by(Senior.home_site_id))
    return {site_id: n for site_id, n in rows}


def nearest_site_with_room(sites: Iterable[MealSite], lat: float | None, lon: float | None) -> MealSite | None:
    """Among ``sites`` (inactive ones are skipped), the nearest to (lat, lon) with a place left; None if all are full."""
    candidates = [s for s in sites if s.is_active]
    load = homed_counts(s.id for s in candidates)
    room = [s for s in candidates if load.get(s.id, 0) < s.daily_capacity]
    if not room:
        return None
    if lat is None or lon is None:
        return max(room, key=lambda s: (s.daily_capacity - load.get(s.id, 0), -s.id))
    shapes = [circle_site(s) for s in room]
    person = [Person(0, lat, lon)]
    geo = travel()
    reach = reachability(shapes, person, geo)
    if reach.site.size:  # inside at least one circle with room: the quickest of those
        return room[int(reach.site[int(reach.seconds.argmin())])]
    index, _seconds = nearest_sites(shapes, person, geo, k=len(shapes))
    return room[int(index[0, 0])]
