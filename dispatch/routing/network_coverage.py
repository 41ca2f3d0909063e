"""Coverage through village points: a senior is reached when a village point is within their minutes of it.

In a county network a senior is fed from the point in their village, not from the township
kitchen 20 km away, so coverage measures the walk to the nearest point. Each point becomes a
service circle (`circles.CircleSite`) and the circles' sparse reachability does the measuring,
so street networks, the geodesic approximation and its note behave exactly as for sites.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .circles import CircleSite, Person, reachability
from .location import InvalidProblem, Location


def reached_through_points(seniors: Sequence[Location], points: Sequence, minutes: int | Sequence[int],
                           travel: Any = None, mode: str = "walk") -> list[str | None]:
    """Per senior, the id of the quickest village point within their minutes, or None when none is.

    `points` are `VillagePoint`s (anything with `id` and `location`); `minutes` is one limit for
    everyone or one per senior.
    """
    per = [minutes] * len(seniors) if isinstance(minutes, (int, float)) else list(minutes)
    if len(per) != len(seniors):
        raise InvalidProblem(f"{len(per)} minute limits for {len(seniors)} seniors")
    if any(not (isinstance(m, (int, float)) and m > 0) for m in per):
        raise InvalidProblem("every senior's minutes must be positive")
    out: list[str | None] = [None] * len(seniors)
    if not seniors or not points:
        return out
    widest = max(per)
    sites = [CircleSite(p.id, p.location.lat, p.location.lon, minutes=widest, mode=mode) for p in points]
    people = [Person(i, s.lat, s.lon) for i, s in enumerate(seniors)]
    reach = reachability(sites, people, travel)
    limit = np.array(per, dtype=float)[reach.person] * 60
    keep = reach.seconds <= limit
    best = np.full(len(seniors), np.iinfo(np.int64).max, dtype=np.int64)
    for person, site, seconds in zip(reach.person[keep], reach.site[keep], reach.seconds[keep]):
        if seconds < best[person]:
            best[person] = seconds
            out[int(person)] = points[int(site)].id
    return out
