"""Service circles: who a site can reach in its circle minutes, and the area that covers.

Plain data in, plain data out, no OR-Tools (that lives in ``coverage_solver``).
Reachability is computed sparsely: people are sorted by latitude once, and each
site looks only at the band of latitudes its circle can touch, so 50,000
people and 500 sites never build a dense 50,000 x 500 matrix. Times are those
of the geodesic travel provider (great-circle distance x circuity / speed),
computed for origin/destination blocks with the same formula and earth radius
as ``GeodesicTravel.matrix``; a provider that is not geodesic is measured by
its geodesic fallback, and the area drawn is then labelled an approximation,
which it honestly is for geodesic travel too: a circle of radius
speed x minutes / circuity.

The streets provider (``streets.StreetTravel``, or anything with its ``reach`` and
``isochrone``) is the exception: with it, a circle is the set of people within the
site's minutes along the network (one bounded search per site, still no dense
matrix), and the area is the real isochrone (``circle_area``; ``circle_polygon``
gives its outer ring). ``travel_note`` says which model produced the figures.
Fallback arcs to the nearest sites outside any circle stay geodesic estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .location import InvalidProblem, Location
from .travel import EARTH_RADIUS_KM, GeodesicTravel

APPROXIMATION_NOTE = "approximation: straight-line distance × circuity"
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM * 1000 / 180


@dataclass(frozen=True)
class CircleSite:
    """A site as circles see it: where it is, its circle, and how many it can serve a day."""

    id: Any
    lat: float
    lon: float
    minutes: int = 15
    mode: str = "walk"
    capacity: int = 0

    def __post_init__(self):
        _check_point(self.lat, self.lon, f"site {self.id!r}")
        if not (isinstance(self.minutes, (int, float)) and 0 < self.minutes <= 24 * 60):
            raise InvalidProblem(f"site {self.id!r}: circle minutes must be positive")
        if self.capacity < 0:
            raise InvalidProblem(f"site {self.id!r}: capacity must not be negative")


@dataclass(frozen=True)
class Person:
    """A senior as circles see them; ``fixed_site`` is a staff override the assignment keeps."""

    id: Any
    lat: float
    lon: float
    weight: int = 1
    fixed_site: Any = None

    def __post_init__(self):
        _check_point(self.lat, self.lon, f"person {self.id!r}")
        if self.weight < 0:
            raise InvalidProblem(f"person {self.id!r}: weight must not be negative")


def _check_point(lat: float, lon: float, what: str) -> None:
    for name, value, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > bound:
            raise InvalidProblem(f"{what}: {name} must be a finite number within ±{bound:g}")


def geodesic_of(travel: Any) -> GeodesicTravel:
    """The geodesic provider that measures circles: ``travel`` itself or its fallback."""
    if isinstance(travel, GeodesicTravel):
        return travel
    fallback = getattr(travel, "fallback", None)
    if isinstance(fallback, GeodesicTravel):
        return fallback
    return GeodesicTravel()


def street_provider(travel: Any):
    """``travel`` if it measures circles on a street network (has ``reach`` and ``isochrone``), else None."""
    if callable(getattr(travel, "reach", None)) and callable(getattr(travel, "isochrone", None)):
        return travel
    return None


def travel_note(travel: Any) -> str:
    """Which travel model the circles' figures come from, for the page and ``doorstep coverage``."""
    streets = street_provider(travel)
    if streets is None:
        return APPROXIMATION_NOTE
    info = getattr(getattr(streets, "network", None), "info", {}) or {}
    source = str(info.get("source", "")).rsplit("/", 1)[-1]
    built = str(info.get("built_at", ""))[:10]
    detail = ", ".join(x for x in (source, f"built {built}" if built else "") if x)
    return "streets: OpenStreetMap network" + (f" ({detail})" if detail else "")


def speed_ms(travel: GeodesicTravel, mode: str) -> float:
    try:
        return travel.speeds_kmh[mode] / 3.6
    except KeyError:
        raise InvalidProblem(f"unknown travel mode {mode!r}; known: {sorted(travel.speeds_kmh)}") from None


def radius_m(site: CircleSite, travel: GeodesicTravel) -> float:
    """Straight-line radius of the circle: speed x minutes / circuity."""
    return speed_ms(travel, site.mode) * site.minutes * 60 / travel.circuity


def block_metres(lat_a, lon_a, lat_b, lon_b) -> np.ndarray:
    """Great-circle metres from each of A to each of B (len(A) x len(B)), haversine as in ``GeodesicTravel.matrix``."""
    la, oa = np.radians(np.asarray(lat_a, float)), np.radians(np.asarray(lon_a, float))
    lb, ob = np.radians(np.asarray(lat_b, float)), np.radians(np.asarray(lon_b, float))
    h = (np.sin((la[:, None] - lb[None, :]) / 2) ** 2
         + np.cos(la)[:, None] * np.cos(lb)[None, :] * np.sin((oa[:, None] - ob[None, :]) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def block_seconds(travel: GeodesicTravel, mode: str, lat_a, lon_a, lat_b, lon_b) -> np.ndarray:
    """Travel seconds from each of A to each of B, rounded as ``GeodesicTravel.matrix`` rounds them."""
    metres = block_metres(lat_a, lon_a, lat_b, lon_b)
    return np.rint(metres * travel.circuity / speed_ms(travel, mode)).astype(np.int64)


@dataclass
class Reach:
    """Sparse reachability: pair k says person ``person[k]`` reaches site ``site[k]`` in ``seconds[k]``.

    Indices are positions in the people and sites sequences given to ``reachability``.
    """

    n_people: int
    n_sites: int
    person: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    site: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def covered(self) -> np.ndarray:
        """Boolean per person: inside at least one circle."""
        mask = np.zeros(self.n_people, dtype=bool)
        mask[self.person] = True
        return mask

    def reached_by_site(self) -> np.ndarray:
        """How many people each site's circle holds."""
        return np.bincount(self.site, minlength=self.n_sites)


def _lat_band(lats_sorted: np.ndarray, lat: float, radius: float) -> tuple[int, int]:
    dlat = radius / METRES_PER_DEGREE_LAT
    return (int(np.searchsorted(lats_sorted, lat - dlat, side="left")),
            int(np.searchsorted(lats_sorted, lat + dlat, side="right")))


def _lon_slack(lat: float, radius: float) -> float:
    """Degrees of longitude the radius can span at ``lat`` (generous near the poles)."""
    cos_lat = math.cos(math.radians(min(abs(lat) + radius / METRES_PER_DEGREE_LAT, 89.9)))
    return radius / (METRES_PER_DEGREE_LAT * max(cos_lat, 1e-6))


def reachability(sites: Sequence[CircleSite], people: Sequence[Person], travel: Any = None) -> Reach:
    """Every (person, site) pair whose travel time fits the site's circle, found without a dense matrix."""
    streets = street_provider(travel)
    if streets is not None:
        o, p, s = streets.reach([Location(x.lat, x.lon) for x in sites], [Location(x.lat, x.lon) for x in people],
                                [x.mode for x in sites], [x.minutes for x in sites])
        return Reach(len(people), len(sites), p.astype(np.int64), o.astype(np.int64), s.astype(np.int64))
    geo = geodesic_of(travel)
    lat = np.array([p.lat for p in people], dtype=float)
    lon = np.array([p.lon for p in people], dtype=float)
    order = np.argsort(lat, kind="stable")
    lat_sorted, lon_sorted = lat[order], lon[order]
    persons, site_idx, secs = [], [], []
    for j, site in enumerate(sites):
        radius = radius_m(site, geo) * 1.001 + 1.0  # a hair wide; the exact seconds decide
        lo, hi = _lat_band(lat_sorted, site.lat, radius)
        if lo >= hi:
            continue
        band_lon = lon_sorted[lo:hi]
        slack = _lon_slack(site.lat, radius)
        dlon = np.abs((band_lon - site.lon + 180.0) % 360.0 - 180.0)
        near = np.nonzero(dlon <= slack)[0]
        if near.size == 0:
            continue
        idx = order[lo + near]
        seconds = block_seconds(geo, site.mode, [site.lat], [site.lon], lat[idx], lon[idx])[0]
        inside = seconds <= site.minutes * 60
        persons.append(idx[inside])
        site_idx.append(np.full(int(inside.sum()), j, dtype=np.int64))
        secs.append(seconds[inside])
    if not persons:
        return Reach(len(people), len(sites))
    return Reach(len(people), len(sites), np.concatenate(persons).astype(np.int64),
                 np.concatenate(site_idx), np.concatenate(secs).astype(np.int64))


def nearest_sites(sites: Sequence[CircleSite], people: Sequence[Person], travel: Any = None, *,
                  k: int = 8, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """For each person, the ``k`` sites nearest by each site's own mode: (site indices, seconds), both n x k.

    Used for fallback arcs (a gap, or a person whose circle sites are full);
    computed in chunks so memory stays at chunk x sites.
    """
    geo = geodesic_of(travel)
    n, m = len(people), len(sites)
    k = max(0, min(k, m))
    out_idx = np.zeros((n, k), dtype=np.int64)
    out_sec = np.zeros((n, k), dtype=np.int64)
    if n == 0 or k == 0:
        return out_idx, out_sec
    lat = np.array([p.lat for p in people], dtype=float)
    lon = np.array([p.lon for p in people], dtype=float)
    s_lat = np.array([s.lat for s in sites], dtype=float)
    s_lon = np.array([s.lon for s in sites], dtype=float)
    # One distance block, scaled per site by its mode's speed: seconds = metres x circuity / speed.
    per_metre = np.array([geo.circuity / speed_ms(geo, s.mode) for s in sites])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        metres = block_metres(lat[start:stop], lon[start:stop], s_lat, s_lon)
        seconds = np.rint(metres * per_metre[None, :]).astype(np.int64)
        if k < m:
            part = np.argpartition(seconds, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(m), (stop - start, 1))
        chosen = np.take_along_axis(seconds, part, axis=1)
        ranked = np.argsort(chosen, axis=1, kind="stable")
        out_idx[start:stop] = np.take_along_axis(part, ranked, axis=1)
        out_sec[start:stop] = np.take_along_axis(chosen, ranked, axis=1)
    return out_idx, out_sec


def circle_polygon(site: CircleSite, travel: Any = None, *, points: int = 48) -> list[tuple[float, float]]:
    """The reachable area as a closed ring of (lat, lon): for geodesic travel, a circle of
    radius speed x minutes / circuity (see ``APPROXIMATION_NOTE``); on streets, the outer ring of
    the isochrone's largest part (``circle_area`` has all of it, holes included)."""
    streets = street_provider(travel)
    if streets is not None:
        area = streets.isochrone(Location(site.lat, site.lon), site.mode, site.minutes)
        if area.is_empty:
            return []
        largest = max(getattr(area, "geoms", [area]), key=lambda part: part.area)
        return [(round(lat, 6), round(lon, 6)) for lon, lat in list(largest.exterior.coords)[:-1]]
    geo = geodesic_of(travel)
    angular = radius_m(site, geo) / (EARTH_RADIUS_KM * 1000)
    lat1, lon1 = math.radians(site.lat), math.radians(site.lon)
    ring = []
    for i in range(points):
        bearing = 2 * math.pi * i / points
        lat2 = math.asin(math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
        lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                                 math.cos(angular) - math.sin(lat1) * math.sin(lat2))
        ring.append((round(math.degrees(lat2), 6), round((math.degrees(lon2) + 540) % 360 - 180, 6)))
    return ring


def circle_area(site: CircleSite, travel: Any = None):
    """The reachable area as a shapely geometry (x = lon, y = lat): the isochrone on streets, else the
    geodesic circle of ``circle_polygon``. Needs shapely (the ``streets`` extra)."""
    streets = street_provider(travel)
    if streets is not None:
        return streets.isochrone(Location(site.lat, site.lon), site.mode, site.minutes)
    import shapely

    return shapely.Polygon([(lon, lat) for lat, lon in circle_polygon(site, travel)])


def grid_candidates(people: Sequence[Person], *, spacing_m: float = 400.0, limit: int = 2000,
                    margin_m: float = 0.0) -> list[tuple[float, float]]:
    """Candidate points on a regular grid over the people's bounding box, widened until at most ``limit``."""
    if not people:
        return []
    lat = np.array([p.lat for p in people], dtype=float)
    lon = np.array([p.lon for p in people], dtype=float)
    mid = math.radians(float(lat.mean()))
    spacing = max(spacing_m, 10.0)
    while True:
        dlat = spacing / METRES_PER_DEGREE_LAT
        dlon = spacing / (METRES_PER_DEGREE_LAT * max(math.cos(mid), 1e-6))
        pad_lat = margin_m / METRES_PER_DEGREE_LAT
        pad_lon = margin_m / (METRES_PER_DEGREE_LAT * max(math.cos(mid), 1e-6))
        lats = np.arange(lat.min() - pad_lat, lat.max() + pad_lat + dlat / 2, dlat)
        lons = np.arange(lon.min() - pad_lon, lon.max() + pad_lon + dlon / 2, dlon)
        if len(lats) * len(lons) <= limit:
            break
        spacing *= 1.25
    return [(round(float(a), 6), round(float(b), 6)) for a in lats for b in lons
            if abs(a) <= 90 and abs(b) <= 180]
