"""A point on Earth and the error for input that cannot describe a routing problem.

Both the problem and the travel providers need them; keeping them here lets `problem` and `travel`
stay apart (neither imports the other).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class InvalidProblem(ValueError):
    """Raised when input cannot describe a routing problem at all."""


@dataclass(frozen=True)
class Location:
    """A point on Earth; the geodesic travel provider needs nothing more."""

    lat: float
    lon: float

    def __post_init__(self):
        for name, value, bound in (("lat", self.lat, 90.0), ("lon", self.lon, 180.0)):
            if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidProblem(f"location {name} must be a finite number, got {value!r}")
            if abs(value) > bound:
                raise InvalidProblem(f"location {name}={value} is outside ±{bound}")
