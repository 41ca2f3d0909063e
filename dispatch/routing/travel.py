"""Travel-time matrices in integer seconds, from coordinates or from an OSRM server.

The default is deliberately simple and offline: great-circle distance times a
circuity factor (streets are not straight) divided by the mode's speed. It is
good enough to plan a neighbourhood and never fails. OSRM gives real street
times when a server is configured; any failure falls back to the default so a
plan can always be made.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from geopy.distance import great_circle

from .location import InvalidProblem, Location

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.009  # geopy's mean radius, so matrices and single pairs agree
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {"walk": 4.5, "e_bike": 15.0, "car": 25.0}
DEFAULT_CIRCUITY = 1.3


@dataclass(frozen=True)
class GeodesicTravel:
    """Great-circle travel times; the provider used when nothing better is configured."""

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    circuity: float = DEFAULT_CIRCUITY

    def __post_init__(self):
        if self.circuity <= 0:
            raise InvalidProblem("circuity factor must be positive")
        for mode, speed in self.speeds_kmh.items():
            if not speed or speed <= 0:
                raise InvalidProblem(f"speed for {mode!r} must be positive")

    def _speed_ms(self, mode: str) -> float:
        try:
            return self.speeds_kmh[mode] / 3.6
        except KeyError:
            raise InvalidProblem(f"unknown travel mode {mode!r}; known: {sorted(self.speeds_kmh)}") from None

    def seconds(self, a: Location, b: Location, mode: str) -> int:
        """One pair, through geopy, for callers that need a single ETA."""
        metres = great_circle((a.lat, a.lon), (b.lat, b.lon)).meters * self.circuity
        return int(round(metres / self._speed_ms(mode)))

    def matrix(self, places: Sequence[Location | None], mode: str) -> np.ndarray:
        """All pairs at once (haversine in numpy); a missing place gets zero rows."""
        speed = self._speed_ms(mode)
        n = len(places)
        lat = np.array([p.lat if p else 0.0 for p in places], dtype=float)
        lon = np.array([p.lon if p else 0.0 for p in places], dtype=float)
        lat, lon = np.radians(lat), np.radians(lon)
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        metres = 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        out = np.rint(metres * self.circuity / speed).astype(np.int64)
        missing = np.array([p is None for p in places], dtype=bool)
        if missing.any():
            out[missing, :] = 0
            out[:, missing] = 0
        return out.reshape(n, n)


@dataclass(frozen=True)
class OsrmTravel:
    """Street travel times from an OSRM server's table API, falling back when it fails.

    The URL comes from the caller (the app reads `DISPATCH_OSRM_URL`); the core
    reads no configuration. OSRM's profiles do not know an e-bike, so modes map to
    profiles and speeds can be rescaled by `speed_factor` per mode.
    """

    url: str
    profiles: Mapping[str, str] = field(default_factory=lambda: {"car": "driving", "walk": "foot", "e_bike": "bike"})
    timeout: float = 10.0
    fallback: GeodesicTravel = field(default_factory=GeodesicTravel)
    speed_factor: Mapping[str, float] = field(default_factory=dict)

    def seconds(self, a: Location, b: Location, mode: str) -> int:
        return int(self.matrix([a, b], mode)[0, 1])

    def matrix(self, places: Sequence[Location | None], mode: str) -> np.ndarray:
        present = [i for i, p in enumerate(places) if p is not None]
        base = self.fallback.matrix(places, mode)
        if len(present) < 2:
            return base
        try:
            durations = self._table([places[i] for i in present], mode)
        except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError) as exc:
            log.warning("OSRM table request failed (%s); using great-circle times", exc)
            return base
        sub = np.asarray([[np.nan if x is None else float(x) for x in row] for row in durations], dtype=float)
        if sub.shape != (len(present), len(present)):
            log.warning("OSRM returned a %s table for %d places; using great-circle times", sub.shape, len(present))
            return base
        sub = sub / self.speed_factor.get(mode, 1.0)
        idx = np.array(present)
        block = base[np.ix_(idx, idx)].astype(float)
        sub = np.where(np.isfinite(sub), sub, block)  # unroutable pairs keep the estimate
        base[np.ix_(idx, idx)] = np.rint(sub).astype(np.int64)
        return base

    def _table(self, places: Sequence[Location], mode: str):
        profile = self.profiles.get(mode, "driving")
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in places)
        url = f"{self.url.rstrip('/')}/table/v1/{profile}/{coords}?annotations=duration"
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
        if body.get("code") != "Ok":
            raise ValueError(f"OSRM answered {body.get('code')!r}: {body.get('message', '')}")
        return body["durations"]
