"""An independent feasibility check that reads only the routes and the problem.

It recomputes every arrival from the travel matrix, the stop order and the
departure time, so a solver bug (or a hand edit of a published route) cannot
hide behind the solver's own ETAs. It shares no code with the solver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable, Sequence

from .problem import PACKING_PERIOD, Problem, Stop


class Kind(enum.Enum):
    UNKNOWN_WORKER = "unknown worker"
    DUPLICATE_WORKER = "worker has two routes"
    UNKNOWN_STOP = "unknown stop"
    DUPLICATE_STOP = "stop visited more than once"
    MISSING_STOP = "stop neither routed nor reported unassigned"
    SKILL = "worker lacks a required skill"
    KITCHEN = "hot meal carried by a worker not leaving its kitchen"
    CAPACITY = "load exceeds capacity"
    TIME_WINDOW = "service outside every time window"
    SHIFT = "route outside the worker's shift"
    MAX_WORK = "route longer than the worker's maximum working time"
    HOLD_LIMIT = "hot meal held longer than the kitchen's limit"
    BREAK = "no place for the worker's break"
    PIN = "pinned stop not where it was pinned"
    PAST = "scheduled before now"
    TRIPS = "more loads at the kitchen than the worker's trips"
    RELOAD = "reload that cannot happen as written"
    READY = "hot meal left the kitchen before cooking ended"
    PACKING = "more hot meals left the kitchen than it can pack"


@dataclass(frozen=True)
class Violation:
    kind: Kind
    message: str
    worker_id: str | None = None
    stop_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"



def walk(problem: Problem, v: int, nodes: Sequence[int], depart: int, break_leg: int | None):
    """Earliest times along a one-trip route; the break, if any, is taken during leg `break_leg`.

    Returns (starts, end_time, late_stops, break_ok). A break may be taken while
    travelling or waiting (as OR-Tools models it), never during a service.
    """
    timed = walk_trips(problem, v, nodes, depart, break_leg)
    return timed.starts, timed.end, timed.late, timed.break_ok


@dataclass
class Timed:
    """What `walk_trips` found: service starts, the end, the late stops and each trip's departure."""

    starts: list[int]
    end: int
    late: list[tuple[int, int]]
    break_ok: bool
    departs: list[int]
    # (trip, when the worker is back and loaded, when the route says the trip leaves) for a trip
    # that is said to leave before the worker can be ready.
    early: list[tuple[int, int, int]]


def walk_trips(problem: Problem, v: int, nodes: Sequence[int], depart: int, break_leg: int | None,
               reloads: Sequence[int] = (), trip_departs: Sequence[int] = ()) -> Timed:
    """Earliest times along the route, back at the kitchen before each position in `reloads`.

    The kitchen legs are legs like any other (the break may be taken on the way in, before
    loading, or on the way out, after leaving); loading takes the depot's `load_time`. A trip
    leaves at its `trip_departs` entry (waiting at the kitchen till then), or as soon as loaded.
    """
    worker = problem.workers[v]
    brk = worker.breaks[0] if worker.breaks else None
    kitchen = problem.kitchen_node(worker.depot) if reloads else None
    load_time = problem.depot(worker.depot).load_time if reloads else 0
    at_kitchen = set(reloads)
    state = {"t": depart, "prev": problem.start_node(v), "leg": 0, "break_ok": True}

    def reach(b: int) -> int:
        t = state["t"]
        arrival = t + problem.travel(v, state["prev"], b)
        if brk is not None and state["leg"] == break_leg:
            begin = max(t, brk.window.start)
            if begin > brk.window.end:
                state["break_ok"] = False
            arrival = max(arrival + brk.duration, begin + brk.duration)
        state["leg"] += 1
        state["prev"] = b
        return arrival

    starts, late, departs, early = [], [], [depart], []
    for pos, b in enumerate(nodes):
        if pos in at_kitchen:
            loaded = reach(kitchen) + load_time
            k = len(departs)
            leave = loaded
            if k < len(trip_departs):
                leave = int(trip_departs[k])
                if leave < loaded:
                    early.append((k, loaded, leave))
                    leave = loaded
            departs.append(leave)
            state["t"] = leave
        arrival = reach(b)
        stop = problem.stops[b]
        start = stop.service_start(arrival)
        if start is None:
            late.append((b, arrival))
            start = arrival
        starts.append(start)
        state["t"] = start + stop.service
    end = reach(problem.end_node(v))
    return Timed(starts, end, late, state["break_ok"], departs, early)


def check(problem: Problem, routes: Iterable, unassigned: Iterable = ()) -> list[Violation]:
    """Every broken rule in the plan; an empty list means feasible."""
    out: list[Violation] = []
    stop_index = {s.id: i for i, s in enumerate(problem.stops)}
    worker_index = {w.id: i for i, w in enumerate(problem.workers)}
    seen_stops: dict[str, str] = {}
    seen_workers: set[str] = set()
    handed_out: list[tuple[str, int, int]] = []

    for route in routes:
        wid = route.worker_id
        if wid not in worker_index:
            out.append(Violation(Kind.UNKNOWN_WORKER, f"route for unknown worker {wid!r}", wid))
            continue
        if wid in seen_workers:
            out.append(Violation(Kind.DUPLICATE_WORKER, f"worker {wid} has more than one route", wid))
        seen_workers.add(wid)
        v = worker_index[wid]
        nodes, positions = [], []
        for pos, sid in enumerate(route.stops):
            if sid not in stop_index:
                out.append(Violation(Kind.UNKNOWN_STOP, f"route of {wid} visits unknown stop {sid!r}", wid, sid))
                continue
            if sid in seen_stops:
                out.append(Violation(Kind.DUPLICATE_STOP, f"{sid} visited by {seen_stops[sid]} and {wid}", wid, sid))
            seen_stops[sid] = wid
            nodes.append(stop_index[sid])
            positions.append(pos)
        reloads = tuple(getattr(route, "reloads", ()) or ())
        trip_departs = tuple(getattr(route, "trip_departs", ()) or ())
        if not nodes:
            if reloads:
                out.append(Violation(Kind.RELOAD, f"{wid} reloads on a route without stops", wid))
            continue
        # A reload before an unknown stop's position stays before the next known one.
        if len(nodes) < len(route.stops):
            reloads = tuple(sum(1 for p in positions if p < r) if isinstance(r, int) and 0 <= r < len(route.stops)
                            else r for r in reloads)
        found, trips = _check_route(problem, v, nodes, int(route.depart), reloads, trip_departs, len(nodes))
        out.extend(found)
        handed_out.extend(trips)

    out.extend(_packing(problem, handed_out))
    reported = {u.stop_id for u in unassigned}
    for s in problem.stops:
        if s.id not in seen_stops and s.id not in reported:
            out.append(Violation(Kind.MISSING_STOP, f"{s.id} is not on any route and not reported unassigned",
                                 stop_id=s.id))
        if s.pinned_worker is not None and s.id in seen_stops and seen_stops[s.id] != s.pinned_worker:
            out.append(Violation(Kind.PIN, f"{s.id} is pinned to {s.pinned_worker} but served by "
                                 f"{seen_stops[s.id]}", seen_stops[s.id], s.id))
        if s.served and s.id not in seen_stops:
            out.append(Violation(Kind.PIN, f"{s.id} was already served but is no longer on its route", stop_id=s.id))
    return out


def check_route(problem: Problem, v: int, nodes: list[int], depart: int, reloads: Sequence[int] = (),
                trip_departs: Sequence[int] = ()) -> list[Violation]:
    """The rules of one worker's route, its hot meals' hand-out at the kitchen aside (see `check`)."""
    return _check_route(problem, v, nodes, depart, reloads, trip_departs, len(nodes))[0]


def _reload_positions(problem: Problem, v: int, reloads: Sequence, trip_departs: Sequence[int], length: int,
                      depart: int) -> tuple[list[int], list[Violation]]:
    """The reloads that can be timed, and what is wrong with the others."""
    worker = problem.workers[v]
    wid = worker.id
    out, kept = [], []
    for r in reloads:
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < length:
            out.append(Violation(Kind.RELOAD, f"{wid} reloads before position {r!r}, outside its {length} stops "
                                 f"(a reload must come before a stop)", wid))
        elif kept and r <= kept[-1]:
            out.append(Violation(Kind.RELOAD, f"{wid} reload positions {list(reloads)} are not increasing", wid))
        else:
            kept.append(r)
    if not kept:
        return kept, out
    if worker.depot is None:
        out.append(Violation(Kind.RELOAD, f"{wid} reloads but has no kitchen", wid))
        return [], out
    loads = len(kept) + (1 if problem.first_trip_loaded(v) else 0)
    if loads > worker.trips:
        out.append(Violation(Kind.TRIPS, f"{wid} loads {loads} times at {worker.depot}, more than its "
                             f"{worker.trips} trip(s)", wid))
    if worker.depot not in problem.kitchens:
        # Only kitchens of workers allowed more than one trip are places of the problem.
        return [], out
    if trip_departs and len(trip_departs) != len(kept) + 1:
        out.append(Violation(Kind.RELOAD, f"{wid} has {len(trip_departs)} trip departures for "
                             f"{len(kept) + 1} trips", wid))
    elif trip_departs and int(trip_departs[0]) != depart:
        out.append(Violation(Kind.RELOAD, f"{wid}'s first trip leaves at {trip_departs[0]}, not at the route's "
                             f"departure {depart}", wid))
    return kept, out


def _check_route(problem: Problem, v: int, nodes: list[int], depart: int, reloads: Sequence,
                 trip_departs: Sequence[int], length: int):
    """Violations of one route, and its hot meals leaving each kitchen: (depot, when, how many)."""
    out = []
    worker = problem.workers[v]
    wid = worker.id
    stops = [problem.stops[i] for i in nodes]
    reloads, bad = _reload_positions(problem, v, reloads, trip_departs, length, depart)
    out.extend(bad)
    if any(x.kind is Kind.RELOAD for x in bad):
        trip_departs = ()
    cuts = [0, *reloads, len(nodes)]
    trip_of = [k for k, (a, b) in enumerate(zip(cuts, cuts[1:])) for _ in range(a, b)]

    for pos, s in enumerate(stops):
        if not s.skills <= worker.skills:
            missing = ", ".join(sorted(s.skills - worker.skills))
            out.append(Violation(Kind.SKILL, f"{wid} lacks {missing} for {s.id}", wid, s.id))
        if s.hot_meal and worker.depot != s.depot:
            out.append(Violation(Kind.KITCHEN, f"{s.id} is a hot meal from {s.depot} but {wid} leaves from "
                                 f"{worker.depot}", wid, s.id))
        elif s.hot_meal and trip_of[pos] == 0 and not problem.first_trip_loaded(v):
            out.append(Violation(Kind.KITCHEN, f"{s.id} is a hot meal on {wid}'s first trip, which does not "
                                 f"leave the kitchen", wid, s.id))
        if s.pinned_position is not None and s.pinned_worker == wid and s.pinned_position != pos:
            out.append(Violation(Kind.PIN, f"{s.id} pinned at position {s.pinned_position}, found at {pos}",
                                 wid, s.id))

    cap = problem.capacity(worker)
    if cap is not None:
        for k, (a, b) in enumerate(zip(cuts, cuts[1:])):
            for d, c in enumerate(cap):
                load = sum(problem.demand(s)[d] for s in stops[a:b])
                if load > c:
                    name = problem.dimensions[d] if problem.dimensions else f"dimension {d}"
                    trip = f" on trip {k}" if reloads else ""
                    out.append(Violation(Kind.CAPACITY, f"{wid} carries {load} > {c} ({name}){trip}", wid))

    if depart < worker.shift.start:
        out.append(Violation(Kind.SHIFT, f"{wid} leaves at {depart}, before the shift starts at "
                             f"{worker.shift.start}", wid))
    if problem.now is not None and depart < problem.now and not stops[0].served:
        # A route that has not begun cannot begin in the past (one under way begins with served stops).
        out.append(Violation(Kind.PAST, f"{wid} leaves at {depart}, before now ({problem.now})", wid))

    # The break may sit on any leg; the route is fine if some placement breaks nothing.
    best = _best_leg(problem, v, nodes, stops, depart, reloads, trip_departs, trip_of)[1]
    out.extend(best[0])
    return out, best[1]


def _best_leg(problem: Problem, v: int, nodes: list[int], stops: list[Stop], depart: int, reloads: Sequence,
              trip_departs: Sequence[int], trip_of: Sequence[int]):
    """(leg, timing verdict) of the first break placement that breaks nothing, else the one breaking least."""
    legs = range(len(nodes) + 1 + len(reloads)) if problem.workers[v].breaks else [None]
    best = None
    for leg in legs:
        found = _timing(problem, v, nodes, stops, depart, leg, reloads, trip_departs, trip_of)
        if best is None or len(found[0]) < len(best[1][0]):
            best = (leg, found)
        if not found[0]:
            break
    return best


def break_leg_of(problem: Problem, v: int, nodes: list[int], depart: int, reloads: Sequence[int] = (),
                 trip_departs: Sequence[int] = ()) -> int | None:
    """The leg on which this checker lets worker v's break sit on this route (None without a break): the
    placement a caller must time the route by, or its ETAs would promise what the verdict did not check
    (a break taken with hot meals on board, say)."""
    if not problem.workers[v].breaks:
        return None
    cuts = [0, *reloads, len(nodes)]
    trip_of = [k for k, (a, b) in enumerate(zip(cuts, cuts[1:])) for _ in range(a, b)]
    stops = [problem.stops[i] for i in nodes]
    return _best_leg(problem, v, nodes, stops, depart, reloads, trip_departs, trip_of)[0]


def _timing(problem: Problem, v: int, nodes: list[int], stops: list[Stop], depart: int,
            leg: int | None, reloads: Sequence[int] = (), trip_departs: Sequence[int] = (),
            trip_of: Sequence[int] = ()):
    worker = problem.workers[v]
    wid = worker.id
    out = []
    timed = walk_trips(problem, v, nodes, depart, leg, reloads, trip_departs)
    starts, end, late = timed.starts, timed.end, timed.late
    if not timed.break_ok:
        out.append(Violation(Kind.BREAK, f"{wid}: the break cannot start within its window", wid))
    for k, loaded, leave in timed.early:
        out.append(Violation(Kind.RELOAD, f"{wid}'s trip {k} is said to leave the kitchen at {leave}, but "
                             f"{wid} is back and loaded only at {loaded}", wid))
    for node, arrival in late:
        s = problem.stops[node]
        out.append(Violation(Kind.TIME_WINDOW, f"{wid} reaches {s.id} at {arrival}, after its windows "
                             f"{[(w.start, w.end) for w in s.windows]}", wid, s.id))
    if end > worker.shift.end:
        out.append(Violation(Kind.SHIFT, f"{wid} finishes at {end}, after the shift ends at {worker.shift.end}", wid))
    if worker.max_work is not None and end - depart > worker.max_work:
        out.append(Violation(Kind.MAX_WORK, f"{wid} works {end - depart} s > {worker.max_work} s", wid))
    hot: dict[tuple[str, int], int] = {}
    for pos, (s, start) in enumerate(zip(stops, starts)):
        if problem.now is not None and not s.served and start < problem.now:
            out.append(Violation(Kind.PAST, f"{wid} is due at {s.id} at {start}, before now ({problem.now})",
                                 wid, s.id))
        if s.hot_meal:
            trip = trip_of[pos] if trip_of else 0
            leave = timed.departs[trip]
            hot[(s.depot, trip)] = hot.get((s.depot, trip), 0) + 1
            depot = problem.depot(s.depot)
            if depot is not None and depot.hold_limit is not None and start - leave > depot.hold_limit:
                since = f"leaving {depot.id}" if not trip else f"leaving {depot.id} on trip {trip}"
                out.append(Violation(Kind.HOLD_LIMIT, f"{s.id} handed over {start - leave} s after {since} "
                                     f"(limit {depot.hold_limit} s)", wid, s.id))
    handed = []
    for (depot_id, trip), count in sorted(hot.items()):
        depot = problem.depot(depot_id)
        leave = timed.departs[trip]
        handed.append((depot_id, leave, count))
        if depot is not None and depot.ready is not None and leave < depot.ready:
            out.append(Violation(Kind.READY, f"{wid}'s trip {trip} leaves {depot_id} with {count} hot meal(s) at "
                                 f"{leave}, before cooking ends at {depot.ready}", wid))
    return out, handed


def _packing(problem: Problem, handed_out: Sequence[tuple[str, int, int]]) -> list[Violation]:
    """Hot meals out of each kitchen by every moment, against what it can have packed by then.

    The count only grows at a departure and the allowance only grows with time, so checking
    at each departure is checking at every moment.
    """
    out = []
    for depot in problem.depots:
        if depot.packing_rate is None:
            continue
        events = sorted((t, c) for d, t, c in handed_out if d == depot.id)
        total = 0
        for i, (t, c) in enumerate(events):
            total += c
            if i + 1 < len(events) and events[i + 1][0] == t:
                continue
            if t < depot.ready:
                continue  # a READY violation already
            allowed = depot.packing_rate * ((t - depot.ready) // PACKING_PERIOD + 1)
            if total > allowed:
                out.append(Violation(Kind.PACKING, f"{total} hot meals have left {depot.id} by {t}, but it packs "
                                     f"{depot.packing_rate} per 10 minutes from {depot.ready}: {allowed} by then"))
                break
    return out
