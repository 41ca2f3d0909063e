"""The routing problem as data: stops, workers, kitchens and travel matrices.

Everything here is a frozen dataclass that checks itself when it is built, so a
bad value fails at the caller's line with `InvalidProblem` instead of deep in
the solver. Times are integer seconds from a reference the caller chooses
(usually midnight of the day in the site's timezone); the core never looks at
clocks or timezones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .location import InvalidProblem, Location
from .travel import GeodesicTravel


def _int(name: str, value, *, minimum: int | None = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidProblem(f"{name} must be an integer number of seconds/units, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise InvalidProblem(f"{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True, order=True)
class TimeWindow:
    """When something may happen: [start, end] in integer seconds, inclusive."""

    start: int
    end: int

    def __post_init__(self):
        _int("time window start", self.start)
        _int("time window end", self.end)
        if self.end < self.start:
            raise InvalidProblem(f"time window ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, t: int) -> bool:
        return self.start <= t <= self.end


class Priority(enum.IntEnum):
    """How much dropping a stop hurts; CRITICAL is dropped only if nothing else works.

    The ``OPTIONAL*`` levels are for stops worth making when there is room (a welfare visit the
    programme made due, not one anybody booked): dropped before any booked stop, the urgent ones last.
    """

    OPTIONAL = -2
    OPTIONAL_SOON = -1
    OPTIONAL_URGENT = 0
    LOW = 1
    NORMAL = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True)
class Break:
    """A rest the worker must take somewhere on the route, starting within `window`."""

    window: TimeWindow
    duration: int

    def __post_init__(self):
        _int("break duration", self.duration)


PACKING_PERIOD = 600
"""Seconds per batch of `Depot.packing_rate`: kitchens count their hand-out in meals per 10 minutes."""


@dataclass(frozen=True)
class Depot:
    """A kitchen or meal site; hot meals leave from it and must arrive within `hold_limit`.

    A hot meal is held from the departure of the trip that carries it, so a worker who comes
    back to reload (`Worker.trips`) starts a new hold. `load_time` is the time a reload takes
    at the kitchen. `ready` is when cooking ends: no hot meal leaves before it. `packing_rate`
    is how many hot meals the kitchen hands out per 10 minutes from `ready`: counting every
    worker's every trip, at most ``packing_rate * (k + 1)`` hot meals have left by any moment
    of the ``k``-th 10-minute period after `ready` (the first batch is packed as cooking ends).
    """

    id: str
    location: Location | None = None
    hold_limit: int | None = None
    load_time: int = 0
    ready: int | None = None
    packing_rate: int | None = None

    def __post_init__(self):
        if not self.id:
            raise InvalidProblem("depot needs an id")
        if self.hold_limit is not None:
            _int(f"depot {self.id} hold_limit", self.hold_limit, minimum=1)
        _int(f"depot {self.id} load_time", self.load_time)
        if self.ready is not None:
            _int(f"depot {self.id} ready", self.ready)
        if self.packing_rate is not None:
            if isinstance(self.packing_rate, bool) or not isinstance(self.packing_rate, (int, np.integer)) \
                    or self.packing_rate < 1:
                raise InvalidProblem(f"depot {self.id} packing_rate must be a whole number of meals per 10 "
                                     f"minutes, at least 1, got {self.packing_rate!r}")
            if self.ready is None:
                raise InvalidProblem(f"depot {self.id} has a packing_rate but no ready time to count it from")


@dataclass(frozen=True)
class Stop:
    """A meal drop or a home visit.

    Windows bound the start of service (the moment the meal is handed over or the
    visit begins), the convention of the Solomon benchmarks. No windows means any
    time within the worker's shift. A hot meal must come from a kitchen (`depot`)
    and be handed over within that kitchen's hold limit of the route leaving it.
    """

    id: str
    location: Location | None = None
    demand: tuple[int, ...] = ()
    service: int = 0
    windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[str] = frozenset()
    priority: Priority = Priority.NORMAL
    droppable: bool = True
    senior_id: str | None = None
    hot_meal: bool = False
    depot: str | None = None
    previous_worker: str | None = None
    pinned_worker: str | None = None
    pinned_position: int | None = None
    served: bool = False

    def __post_init__(self):
        if not self.id:
            raise InvalidProblem("stop needs an id")
        object.__setattr__(self, "demand", tuple(_int(f"stop {self.id} demand", d) for d in self.demand))
        _int(f"stop {self.id} service duration", self.service)
        windows = self.windows
        if isinstance(windows, TimeWindow):
            windows = (windows,)
        windows = tuple(sorted(windows))
        for w in windows:
            if not isinstance(w, TimeWindow):
                raise InvalidProblem(f"stop {self.id} windows must be TimeWindow values, got {w!r}")
        for a, b in zip(windows, windows[1:]):
            if b.start <= a.end:
                raise InvalidProblem(f"stop {self.id} has overlapping windows {a} and {b}")
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "priority", Priority(self.priority))
        if self.hot_meal and self.depot is None:
            raise InvalidProblem(f"hot-meal stop {self.id} must name the depot (kitchen) it comes from")
        if self.pinned_position is not None:
            _int(f"stop {self.id} pinned_position", self.pinned_position)
            if self.pinned_worker is None:
                raise InvalidProblem(f"stop {self.id} has a pinned position but no pinned worker")
        if self.served and (self.pinned_worker is None or self.pinned_position is None):
            raise InvalidProblem(f"served stop {self.id} must keep its worker and position (pin both)")

    def service_start(self, arrival: int) -> int | None:
        """Earliest allowed start of service at or after ``arrival``; None when every window has closed."""
        if not self.windows:
            return arrival
        for w in self.windows:
            if arrival <= w.end:
                return max(arrival, w.start)
        return None

    @property
    def must_serve(self) -> bool:
        """Whether dropping is a last resort rather than a trade-off."""
        return (not self.droppable) or self.priority >= Priority.CRITICAL or self.hot_meal or self.served


@dataclass(frozen=True)
class Worker:
    """A driver, caregiver or volunteer, seen by the solver as a vehicle.

    A worker with a `depot` starts at that kitchen (unless `start` says otherwise)
    and may carry its hot meals. A route ends at `end`, or back at `start` when
    `end` is None; `returns=False` ends it at the last stop instead (the worker
    goes home off the clock), so the way back costs nothing.

    `trips` is the most loads the worker may take at its kitchen in the day; `capacity` is per
    trip (the box is refilled at each reload). With ``trips == 1`` the route is one trip and
    its start counts as the kitchen, as it always has: hot meals are held from the route's
    departure. With ``trips > 1`` a worker who starts at the kitchen has loaded once on
    leaving and may come back ``trips - 1`` times; one who starts elsewhere (a caregiver from
    home) loads only at the kitchen, up to ``trips`` times, and carries no hot meal before
    the first load: a hot meal cannot be on a trip that did not leave the kitchen.
    """

    id: str
    shift: TimeWindow
    start: Location | None = None
    end: Location | None = None
    depot: str | None = None
    skills: frozenset[str] = frozenset()
    capacity: tuple[int, ...] = ()
    mode: str = "car"
    max_work: int | None = None
    breaks: tuple[Break, ...] = ()
    returns: bool = True
    trips: int = 1

    def __post_init__(self):
        if not self.id:
            raise InvalidProblem("worker needs an id")
        if isinstance(self.trips, bool) or not isinstance(self.trips, (int, np.integer)) or self.trips < 1:
            raise InvalidProblem(f"worker {self.id} trips must be a whole number of loads, at least 1, "
                                 f"got {self.trips!r}")
        object.__setattr__(self, "trips", int(self.trips))
        if self.trips > 1 and self.depot is None:
            raise InvalidProblem(f"worker {self.id} has {self.trips} trips but no kitchen (depot) to reload at")
        if not isinstance(self.shift, TimeWindow):
            raise InvalidProblem(f"worker {self.id} shift must be a TimeWindow")
        object.__setattr__(self, "capacity", tuple(_int(f"worker {self.id} capacity", c) for c in self.capacity))
        object.__setattr__(self, "skills", frozenset(self.skills))
        if self.max_work is not None:
            _int(f"worker {self.id} max_work", self.max_work)
        breaks = self.breaks
        if isinstance(breaks, Break):
            breaks = (breaks,)
        object.__setattr__(self, "breaks", tuple(breaks))
        if len(self.breaks) > 1:
            raise InvalidProblem(f"worker {self.id}: at most one break per shift is supported")
        for b in self.breaks:
            if max(b.window.start, self.shift.start) + b.duration > self.shift.end or b.window.end < self.shift.start:
                raise InvalidProblem(f"worker {self.id}: the break cannot be taken within the shift")


@dataclass(frozen=True, eq=False)
class Problem:
    """One site's window or shift: the stops to place, the workers and their travel matrices.

    Matrices are indexed by `nodes`: every stop, then every worker's start, then
    every worker's end, then the kitchens workers reload at (`kitchens`: the depots
    of workers with ``trips > 1``, none in a problem without reloads), in that
    order, so equal positions always mean the same place without a lookup table. Build them with `Problem.build` from
    coordinates, or pass them in (the Solomon reader does).

    `now` is the moment a plan of a day already under way is made: no stop not yet
    served may be scheduled before it (the checker fails such a plan). The solver
    does not read it; the caller says the same with shifts and windows that start
    no earlier than `now`. None means the day has not begun.
    """

    stops: tuple[Stop, ...]
    workers: tuple[Worker, ...]
    matrices: Mapping[str, np.ndarray]
    depots: tuple[Depot, ...] = ()
    dimensions: tuple[str, ...] = ()
    now: int | None = None
    kitchens: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self):
        if self.now is not None:
            object.__setattr__(self, "now", _int("now", self.now, minimum=None))
        stops, workers, depots = tuple(self.stops), tuple(self.workers), tuple(self.depots)
        object.__setattr__(self, "stops", stops)
        object.__setattr__(self, "workers", workers)
        object.__setattr__(self, "depots", depots)
        if not workers:
            raise InvalidProblem("no workers: nobody can serve any stop")
        for kind, items in (("stop", stops), ("worker", workers), ("depot", depots)):
            ids = [x.id for x in items]
            if len(set(ids)) != len(ids):
                dup = sorted({i for i in ids if ids.count(i) > 1})
                raise InvalidProblem(f"duplicate {kind} ids: {dup}")
        ndim = max([len(s.demand) for s in stops] + [len(w.capacity) for w in workers] + [len(self.dimensions)])
        if self.dimensions and len(self.dimensions) != ndim:
            raise InvalidProblem(f"{len(self.dimensions)} dimension names for {ndim} capacity dimensions")
        for s in stops:
            if len(s.demand) not in (0, ndim):
                raise InvalidProblem(f"stop {s.id} has {len(s.demand)} demands, expected {ndim}")
        for w in workers:
            if len(w.capacity) not in (0, ndim):
                raise InvalidProblem(f"worker {w.id} has {len(w.capacity)} capacities, expected {ndim}")
        depot_ids = {d.id for d in depots}
        worker_ids = {w.id for w in workers}
        for s in stops:
            if s.depot is not None and s.depot not in depot_ids:
                raise InvalidProblem(f"stop {s.id} comes from unknown depot {s.depot!r}")
            if s.pinned_worker is not None and s.pinned_worker not in worker_ids:
                raise InvalidProblem(f"stop {s.id} is pinned to unknown worker {s.pinned_worker!r}")
        for w in workers:
            if w.depot is not None and w.depot not in depot_ids:
                raise InvalidProblem(f"worker {w.id} starts from unknown depot {w.depot!r}")
        reloading = {w.depot for w in workers if w.trips > 1}
        object.__setattr__(self, "kitchens", tuple(d.id for d in depots if d.id in reloading))
        n = self.num_nodes
        matrices = {}
        for mode, m in dict(self.matrices).items():
            m = np.asarray(m)
            if m.shape != (n, n):
                extra = (f" (stops, worker starts, worker ends, then the kitchens workers reload at: "
                         f"{', '.join(self.kitchens)})" if self.kitchens else "")
                raise InvalidProblem(f"travel matrix for {mode!r} has shape {m.shape}, expected {(n, n)}{extra}")
            if not np.issubdtype(m.dtype, np.integer):
                raise InvalidProblem(f"travel matrix for {mode!r} must hold integer seconds, got {m.dtype}")
            if (m < 0).any():
                raise InvalidProblem(f"travel matrix for {mode!r} has negative times")
            m = m.astype(np.int64, copy=True)
            m.setflags(write=False)
            matrices[mode] = m
        object.__setattr__(self, "matrices", matrices)
        for w in workers:
            if w.mode not in matrices:
                raise InvalidProblem(f"worker {w.id} travels by {w.mode!r} but there is no matrix for it")
        pins: dict[tuple[str, int], str] = {}
        for s in stops:
            if s.pinned_position is not None:
                key = (s.pinned_worker, s.pinned_position)
                if key in pins:
                    raise InvalidProblem(f"stops {pins[key]} and {s.id} are pinned to the same position")
                pins[key] = s.id
        for w in workers:
            positions = sorted(p for (wid, p) in pins if wid == w.id)
            if positions != list(range(len(positions))):
                raise InvalidProblem(f"pinned positions of worker {w.id} must be 0..k-1 (the route's head), "
                                     f"got {positions}")

    @classmethod
    def build(cls, stops: Sequence[Stop], workers: Sequence[Worker], depots: Sequence[Depot] = (),
              *, travel=None, dimensions: tuple[str, ...] = (), now: int | None = None) -> "Problem":
        """Resolve worker starts at their kitchens and compute one matrix per travel mode."""
        travel = travel or GeodesicTravel()
        by_id = {d.id: d for d in depots}
        resolved = []
        for w in workers:
            if w.start is None and w.depot is not None and w.depot in by_id:
                loc = by_id[w.depot].location
                end = w.end if w.end is not None or not w.returns else loc
                w = Worker(**{**w.__dict__, "start": loc, "end": end})
            elif w.end is None and w.returns and w.start is not None:
                w = Worker(**{**w.__dict__, "end": w.start})
            resolved.append(w)
        reloading = {w.depot for w in resolved if w.trips > 1}
        kitchens = [d for d in depots if d.id in reloading]
        places = node_locations(stops, resolved) + [d.location for d in kitchens]
        for i, loc in enumerate(places):
            if loc is None and not _is_open_end(i, len(stops), resolved):
                name = (_node_name(i, stops, resolved) if i < len(stops) + 2 * len(resolved)
                        else f"kitchen {kitchens[i - len(stops) - 2 * len(resolved)].id} (workers reload there)")
                raise InvalidProblem(f"{name} has no coordinates")
        modes = sorted({w.mode for w in resolved})
        matrices = {mode: travel.matrix(places, mode) for mode in modes}
        return cls(tuple(stops), tuple(resolved), matrices, tuple(depots), dimensions, now)

    # --- node numbering shared by solver and checker ---------------------------------
    @property
    def num_nodes(self) -> int:
        return len(self.stops) + 2 * len(self.workers) + len(self.kitchens)

    def kitchen_node(self, depot_id: str) -> int:
        """The node of a kitchen some worker reloads at."""
        return len(self.stops) + 2 * len(self.workers) + self.kitchens.index(depot_id)

    @property
    def has_reloads(self) -> bool:
        return any(w.trips > 1 for w in self.workers)

    def first_trip_loaded(self, v: int) -> bool:
        """Whether the route's first trip carries hot meals: it leaves the kitchen, or the worker
        has one trip, whose start has always counted as the kitchen."""
        w = self.workers[v]
        if w.trips == 1:
            return True
        d = self.depot(w.depot)
        if w.start is not None and d.location is not None:
            return w.start == d.location
        m, s, k = self.matrices[w.mode], self.start_node(v), self.kitchen_node(w.depot)
        return int(m[s, k]) == 0 and int(m[k, s]) == 0

    def start_node(self, v: int) -> int:
        return len(self.stops) + v

    def end_node(self, v: int) -> int:
        return len(self.stops) + len(self.workers) + v

    @property
    def num_dimensions(self) -> int:
        return max([len(s.demand) for s in self.stops] + [len(w.capacity) for w in self.workers] + [0])

    def demand(self, stop: Stop) -> tuple[int, ...]:
        return stop.demand or (0,) * self.num_dimensions

    def capacity(self, worker: Worker) -> tuple[int, ...] | None:
        """None means unlimited: a worker with no capacity listed carries anything."""
        return worker.capacity or None

    def travel(self, v: int, a: int, b: int) -> int:
        """Seconds for worker v from node a to node b; an open route's end costs nothing."""
        w = self.workers[v]
        if b == self.end_node(v) and not w.returns:
            return 0
        return int(self.matrices[w.mode][a, b])

    def depot(self, depot_id: str | None) -> Depot | None:
        return next((d for d in self.depots if d.id == depot_id), None)

    def can_serve(self, worker: Worker, stop: Stop) -> bool:
        """Skills, kitchen and pin: the yes/no rules that make a worker eligible."""
        if not stop.skills <= worker.skills:
            return False
        if stop.hot_meal and worker.depot != stop.depot:
            return False
        if stop.pinned_worker is not None and stop.pinned_worker != worker.id:
            return False
        return True

    def horizon(self) -> int:
        ends = [w.shift.end for w in self.workers] + [tw.end for s in self.stops for tw in s.windows]
        return max(ends)


def node_locations(stops: Sequence[Stop], workers: Sequence[Worker]) -> list[Location | None]:
    return ([s.location for s in stops] + [w.start for w in workers]
            + [w.end if w.returns else None for w in workers])


def _is_open_end(i: int, n: int, workers: Sequence[Worker]) -> bool:
    m = len(workers)
    return i >= n + m and not workers[i - n - m].returns


def _node_name(i: int, stops, workers) -> str:
    n, m = len(stops), len(workers)
    if i < n:
        return f"stop {stops[i].id}"
    if i < n + m:
        return f"start of worker {workers[i - n].id}"
    return f"end of worker {workers[i - n - m].id}"
