"""An independent feasibility check that reads only the routes and the problem.

It recomputes every arrival from the travel matrix, the stop order and the
departure time, so a solver bug (or a hand edit of a published route) cannot
hide behind the solver's own ETAs. It shares no code with the solver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable, Sequence

from .problem import Problem, Stop


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


@dataclass(frozen=True)
class Violation:
    kind: Kind
    message: str
    worker_id: str | None = None
    stop_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"



def walk(problem: Problem, v: int, nodes: Sequence[int], depart: int, break_leg: int | None):
    """Earliest times along the route; the break, if any, is taken during leg `break_leg`.

    Returns (starts, end_time, late_stops, break_ok). A break may be taken while
    travelling or waiting (as OR-Tools models it), never during a service.
    """
    worker = problem.workers[v]
    brk = worker.breaks[0] if worker.breaks else None
    path = [problem.start_node(v), *nodes, problem.end_node(v)]
    t = depart
    starts, late, break_ok = [], [], True
    for leg, (a, b) in enumerate(zip(path, path[1:])):
        travel = problem.travel(v, a, b)
        arrival = t + travel
        if brk is not None and leg == break_leg:
            begin = max(t, brk.window.start)
            if begin > brk.window.end:
                break_ok = False
            arrival = max(arrival + brk.duration, begin + brk.duration)
        if b == path[-1]:
            return starts, arrival, late, break_ok
        stop = problem.stops[b]
        start = stop.service_start(arrival)
        if start is None:
            late.append((b, arrival))
            start = arrival
        starts.append(start)
        t = start + stop.service
    raise AssertionError("unreachable")


def check(problem: Problem, routes: Iterable, unassigned: Iterable = ()) -> list[Violation]:
    """Every broken rule in the plan; an empty list means feasible."""
    out: list[Violation] = []
    stop_index = {s.id: i for i, s in enumerate(problem.stops)}
    worker_index = {w.id: i for i, w in enumerate(problem.workers)}
    seen_stops: dict[str, str] = {}
    seen_workers: set[str] = set()

    for route in routes:
        wid = route.worker_id
        if wid not in worker_index:
            out.append(Violation(Kind.UNKNOWN_WORKER, f"route for unknown worker {wid!r}", wid))
            continue
        if wid in seen_workers:
            out.append(Violation(Kind.DUPLICATE_WORKER, f"worker {wid} has more than one route", wid))
        seen_workers.add(wid)
        v = worker_index[wid]
        nodes = []
        for sid in route.stops:
            if sid not in stop_index:
                out.append(Violation(Kind.UNKNOWN_STOP, f"route of {wid} visits unknown stop {sid!r}", wid, sid))
                continue
            if sid in seen_stops:
                out.append(Violation(Kind.DUPLICATE_STOP, f"{sid} visited by {seen_stops[sid]} and {wid}", wid, sid))
            seen_stops[sid] = wid
            nodes.append(stop_index[sid])
        if not nodes:
            continue
        out.extend(check_route(problem, v, nodes, int(route.depart)))

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


def check_route(problem: Problem, v: int, nodes: list[int], depart: int) -> list[Violation]:
    out = []
    worker = problem.workers[v]
    wid = worker.id
    stops = [problem.stops[i] for i in nodes]

    for pos, s in enumerate(stops):
        if not s.skills <= worker.skills:
            missing = ", ".join(sorted(s.skills - worker.skills))
            out.append(Violation(Kind.SKILL, f"{wid} lacks {missing} for {s.id}", wid, s.id))
        if s.hot_meal and worker.depot != s.depot:
            out.append(Violation(Kind.KITCHEN, f"{s.id} is a hot meal from {s.depot} but {wid} leaves from "
                                 f"{worker.depot}", wid, s.id))
        if s.pinned_position is not None and s.pinned_worker == wid and s.pinned_position != pos:
            out.append(Violation(Kind.PIN, f"{s.id} pinned at position {s.pinned_position}, found at {pos}",
                                 wid, s.id))

    cap = problem.capacity(worker)
    if cap is not None:
        for d, c in enumerate(cap):
            load = sum(problem.demand(s)[d] for s in stops)
            if load > c:
                name = problem.dimensions[d] if problem.dimensions else f"dimension {d}"
                out.append(Violation(Kind.CAPACITY, f"{wid} carries {load} > {c} ({name})", wid))

    if depart < worker.shift.start:
        out.append(Violation(Kind.SHIFT, f"{wid} leaves at {depart}, before the shift starts at "
                             f"{worker.shift.start}", wid))
    if problem.now is not None and depart < problem.now and not stops[0].served:
        # A route that has not begun cannot begin in the past (one under way begins with served stops).
        out.append(Violation(Kind.PAST, f"{wid} leaves at {depart}, before now ({problem.now})", wid))

    # The break may sit on any leg; the route is fine if some placement breaks nothing.
    legs = range(len(nodes) + 1) if worker.breaks else [None]
    best = None
    for leg in legs:
        found = _timing(problem, v, nodes, stops, depart, leg)
        if best is None or len(found) < len(best):
            best = found
        if not found:
            break
    out.extend(best)
    return out


def _timing(problem: Problem, v: int, nodes: list[int], stops: list[Stop], depart: int,
            leg: int | None) -> list[Violation]:
    worker = problem.workers[v]
    wid = worker.id
    out = []
    starts, end, late, break_ok = walk(problem, v, nodes, depart, leg)
    if not break_ok:
        out.append(Violation(Kind.BREAK, f"{wid}: the break cannot start within its window", wid))
    for node, arrival in late:
        s = problem.stops[node]
        out.append(Violation(Kind.TIME_WINDOW, f"{wid} reaches {s.id} at {arrival}, after its windows "
                             f"{[(w.start, w.end) for w in s.windows]}", wid, s.id))
    if end > worker.shift.end:
        out.append(Violation(Kind.SHIFT, f"{wid} finishes at {end}, after the shift ends at {worker.shift.end}", wid))
    if worker.max_work is not None and end - depart > worker.max_work:
        out.append(Violation(Kind.MAX_WORK, f"{wid} works {end - depart} s > {worker.max_work} s", wid))
    for s, start in zip(stops, starts):
        if problem.now is not None and not s.served and start < problem.now:
            out.append(Violation(Kind.PAST, f"{wid} is due at {s.id} at {start}, before now ({problem.now})",
                                 wid, s.id))
        if s.hot_meal:
            depot = problem.depot(s.depot)
            if depot is not None and depot.hold_limit is not None and start - depart > depot.hold_limit:
                out.append(Violation(Kind.HOLD_LIMIT, f"{s.id} handed over {start - depart} s after leaving "
                                     f"{depot.id} (limit {depot.hold_limit} s)", wid, s.id))
    return out
