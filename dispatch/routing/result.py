"""What the solver returns: routes with times and loads, and the stops it could not place.

A `Solution` keeps a reference to its `Problem`, so it can explain itself
(`summary()`) and prove itself (`is_feasible()` runs the independent checker
rather than trusting the numbers stored here).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .problem import Problem


def clock(seconds: int) -> str:
    """Seconds since the reference midnight as H:MM, for people reading a summary."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class Visit:
    """One stop on a route: when the worker gets there, starts, and leaves, and what is still on board."""

    stop_id: str
    arrival: int
    start: int
    departure: int
    load: tuple[int, ...] = ()
    trip: int = 0

    @property
    def wait(self) -> int:
        return self.start - self.arrival


@dataclass(frozen=True)
class Route:
    """One worker's day: leave `depart`, visit `stops` in order, finish at `end`.

    Only `worker_id`, `stops`, `depart`, `reloads` and `trip_departs` are decisions; the rest
    are the solver's estimates, which the checker recomputes instead of believing.

    `stops` holds the real stops only, so readers that know nothing of reloads keep working.
    `reloads` are the positions in `stops` before which the worker is back at its kitchen to
    load again (increasing, each < len(stops)); they split the route into trips, trip 0
    before the first. `trip_departs[k]` is when trip k leaves: trip 0 the route's start
    (`depart`), each later one the kitchen; empty means "as soon as loaded" for every trip.
    """

    worker_id: str
    stops: tuple[str, ...]
    depart: int
    visits: tuple[Visit, ...] = ()
    end: int | None = None
    travel_time: int = 0
    break_start: int | None = None
    reloads: tuple[int, ...] = ()
    trip_departs: tuple[int, ...] = ()

    @property
    def trips(self) -> list[tuple[str, ...]]:
        """The stops of each trip, in order."""
        cuts = [0, *self.reloads, len(self.stops)]
        return [self.stops[a:b] for a, b in zip(cuts, cuts[1:])]

    @property
    def duration(self) -> int:
        return (self.end if self.end is not None else self.depart) - self.depart


class Reason(enum.Enum):
    """Why a stop is not on any route, in words a coordinator can act on."""

    NO_SKILL = "no worker with the required skills"
    NO_KITCHEN_WORKER = "no worker leaves from the stop's kitchen"
    OUTSIDE_SHIFTS = "outside every eligible worker's shift"
    CAPACITY = "demand exceeds every eligible worker's capacity"
    WINDOW_UNREACHABLE = "time window cannot be reached in time, even directly"
    HOLD_LIMIT = "hot meal cannot reach the door within the hold limit, even directly"
    PIN = "pinned to a worker who cannot serve it"
    NO_ROOM = "no room in any route within the time limit"


@dataclass(frozen=True)
class Unassigned:
    stop_id: str
    reason: Reason
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


@dataclass(frozen=True, eq=False)
class Solution:
    problem: Problem
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    cost: int = 0
    status: str = ""
    wall_time: float = 0.0

    @property
    def travel_time(self) -> int:
        return sum(r.travel_time for r in self.routes)

    def route_of(self, worker_id: str) -> Route | None:
        return next((r for r in self.routes if r.worker_id == worker_id), None)

    def worker_of(self, stop_id: str) -> str | None:
        return next((r.worker_id for r in self.routes if stop_id in r.stops), None)

    def violations(self):
        from .checker import check

        return check(self.problem, self.routes, self.unassigned)

    def is_feasible(self) -> bool:
        return not self.violations()

    def summary(self) -> str:
        used = [r for r in self.routes if r.stops]
        lines = [
            f"{len(used)} routes, {sum(len(r.stops) for r in used)} stops placed, "
            f"{len(self.unassigned)} unassigned; travel {self.travel_time // 60} min"
            + (f"; {self.status}" if self.status else "")
        ]
        for r in used:
            lines.append(
                f"  {r.worker_id}: {len(r.stops)} stops, {clock(r.depart)}–{clock(r.end or r.depart)}, "
                f"travel {r.travel_time // 60} min"
                + (f", break {clock(r.break_start)}" if r.break_start is not None else "")
            )
            for k, v in enumerate(r.visits):
                if k in r.reloads:
                    trip = r.reloads.index(k) + 1
                    leave = f", leaves {clock(r.trip_departs[trip])}" if len(r.trip_departs) > trip else ""
                    lines.append(f"    back at the kitchen to load trip {trip + 1}{leave}")
                wait = f" (wait {v.wait // 60} min)" if v.wait >= 60 else ""
                lines.append(f"    {clock(v.start)} {v.stop_id}{wait}")
        for u in self.unassigned:
            lines.append(f"  unassigned {u.stop_id}: {u.message}")
        return "\n".join(lines)
