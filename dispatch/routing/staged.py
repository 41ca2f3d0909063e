"""A whole day planned in stages, then as one: the separate plans first, the day's problem started from them.

A day with reload trips (lunch, dinner and visits on one route per worker) is OR-Tools' alone: the engine's
kernels time one trip per route (`solver.solve`), so a day solved from scratch came out longer than the
same stops planned apart, each plan polished by the engine. `solve_staged` plans the stages first (lunch
meals, then dinner meals, then visits, say) as sub-problems of the day's problem: the same workers, places
and travel, each worker limited to what earlier stages left of their shift (a meal stage after what they
already did, a stage without hot meals in the longest free part), the working-time cap less what earlier
stages used, and the day's loads divided among the meal stages. Each stage is an ordinary `solve`, so the
engine polishes every stage that has no reloads. Each worker's stage routes are then joined in time order
(`RELOAD` before each meal stage's route, every stage's own reloads kept: the `initial_routes` form), and
one OR-Tools search of the whole day starts from that. The result is the better of the start and that
search by the solver's objective, never one that serves fewer stops than the start.

Measured on generated sites (tests/bench/combined_day.py): never fewer stops than the separate plans,
1.7-7.3 % less travel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable, Collection, Sequence

from .checker import check
from .options import SolveOptions
from .problem import Problem, TimeWindow, Worker
from .result import Reason, Route, Solution, Unassigned
from .trips import RELOAD

log = logging.getLogger(__name__)

__all__ = ["Staged", "busy_of", "longest_free", "plan_stages", "solve_staged", "stage_problem", "staged_start",
           "within"]

MIN_SPAN = 15 * 60  # a part of a shift shorter than this is no use to a stage


def within(worker: Worker, span: TimeWindow | None) -> Worker | None:
    """The worker on part of their shift (a break that no longer fits is dropped with the rest of the day);
    None when the part is missing or shorter than a quarter of an hour."""
    if span is None or span.end - span.start < MIN_SPAN:
        return None
    breaks = tuple(b for b in worker.breaks if max(b.window.start, span.start) + b.duration <= span.end
                   and b.window.end >= span.start)
    return replace(worker, shift=span, breaks=breaks)


def busy_of(solution: Solution) -> dict[str, tuple[int, int]]:
    """Each worker's (departure, return) on the solution's routes that have stops."""
    return {r.worker_id: (r.depart, r.end if r.end is not None else r.depart) for r in solution.routes if r.stops}


def longest_free(shift: TimeWindow, busy: Sequence[tuple[int, int]]) -> TimeWindow | None:
    """The longest part of `shift` outside every busy span; None when nothing is left."""
    gaps, t = [], shift.start
    for a, b in sorted(busy):
        if a > t:
            gaps.append((t, min(a, shift.end)))
        t = max(t, b)
    if t < shift.end:
        gaps.append((t, shift.end))
    gaps = [g for g in gaps if g[1] > g[0]]
    if not gaps:
        return None
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    return TimeWindow(a, b)


def stage_problem(problem: Problem, stop_ids: Collection[str], workers: Sequence[Worker]) -> Problem:
    """The sub-problem of `problem` with the stops `stop_ids` and `workers` (the problem's own workers,
    reshaped: same ids, places and modes), its matrices cut from the problem's, so no travel is recomputed."""
    n, m = len(problem.stops), len(problem.workers)
    wanted = set(stop_ids)
    s_idx = [i for i, s in enumerate(problem.stops) if s.id in wanted]
    w_pos = {w.id: v for v, w in enumerate(problem.workers)}
    v_idx = [w_pos[w.id] for w in workers]
    reloading = {w.depot for w in workers if w.trips > 1}
    kitchens = [d.id for d in problem.depots if d.id in reloading]
    nodes = (s_idx + [n + v for v in v_idx] + [n + m + v for v in v_idx]
             + [problem.kitchen_node(k) for k in kitchens])
    matrices = {mode: mat[:, nodes][nodes, :] for mode, mat in problem.matrices.items()
                if any(w.mode == mode for w in workers)}
    return Problem(tuple(problem.stops[i] for i in s_idx), tuple(workers), matrices, problem.depots,
                   problem.dimensions, problem.now)


@dataclass(frozen=True)
class Staged:
    """The staged start: the stages' own plans, the joined routes (`initial_routes` form) and, when
    OR-Tools reads them back on the day's problem, the start as a plan of the day."""

    stages: tuple[Solution, ...]
    routes: dict[str, list[str]]
    start: Solution | None


def _stage_options(options: SolveOptions, share: float, seconds: float) -> SolveOptions:
    iterations = options.search_iterations
    if iterations is not None:
        iterations = max(1, round(iterations * share))
    return replace(options, time_limit=seconds, initial_routes=None, search_iterations=iterations)


def _segments(problem: Problem, stages: Sequence[Collection[str]], options: SolveOptions, seconds: float,
              solve: Callable[..., Solution]):
    """Solve the stages in order; per worker, its stage routes as (departure, ids with RELOAD, trip departures)."""
    hot = [any(s.hot_meal for s in problem.stops if s.id in set(ids)) for ids in stages]
    meal_stages = max(1, sum(hot))
    known = {s.id for s in problem.stops}
    total = max(1, sum(len(known & set(ids)) for ids in stages))
    busy: dict[str, list[tuple[int, int]]] = {w.id: [] for w in problem.workers}
    segments: dict[str, list[tuple[int, list[str], list[int]]]] = {}
    solutions = []
    for ids, meals in zip(stages, hot):
        ids = known & set(ids)
        if not ids:
            continue
        stops = [s for s in problem.stops if s.id in ids]
        team = []
        for w in problem.workers:
            cap = problem.capacity(w)
            if not any(problem.can_serve(w, s) and (cap is None or all(
                    d <= c for d, c in zip(problem.demand(s), cap))) for s in stops):
                continue
            done = busy[w.id]
            if meals:
                # After what the worker already did, back at the kitchen and loaded again.
                load = problem.depot(w.depot).load_time if done and w.depot is not None else 0
                start = max([w.shift.start] + [b + load for _, b in done])
                span = TimeWindow(start, w.shift.end) if start < w.shift.end else None
            else:
                span = longest_free(w.shift, done)
            worker = within(w, span)
            if worker is None:
                continue
            used = sum(b - a for a, b in done)
            trips = max(1, w.trips // meal_stages) if meals and w.trips > 1 else 1
            worker = replace(worker, trips=trips,
                             max_work=None if w.max_work is None else max(0, w.max_work - used))
            team.append(worker)
        if not team:
            continue
        sub = stage_problem(problem, ids, team)
        solution = solve(sub, _stage_options(options, len(ids) / total, seconds * len(ids) / total))
        solutions.append(solution)
        for v, r in enumerate(solution.routes):
            if not r.stops:
                continue
            busy[r.worker_id].append((r.depart, r.end if r.end is not None else r.depart))
            marked = [x for pos, sid in enumerate(r.stops) for x in ([RELOAD] if pos in r.reloads else []) + [sid]]
            departs = list(r.trip_departs[1:]) if r.reloads else []
            if sub.first_trip_loaded(v) and any(s.hot_meal for s in stops if s.id in r.stops):
                # A meal stage's route leaves loaded from the kitchen: in the day, a load of its own.
                marked, departs = [RELOAD] + marked, [r.depart] + departs
            segments.setdefault(r.worker_id, []).append((r.depart, marked, departs))
    return solutions, segments


def _route(problem: Problem, v: int, parts: list[tuple[int, list[str], list[int]]]) -> Route:
    """One worker's stage routes joined in time order as a day route (its first load taken on leaving)."""
    worker = problem.workers[v]
    flat = [x for _t, ids, _d in parts for x in ids]
    departs = [d for _t, _ids, ds in parts for d in ds]
    depart = parts[0][0]
    stops, reloads, leaves, k = [], [], [], 0
    for x in flat:
        if x != RELOAD:
            stops.append(x)
            continue
        leave = departs[k] if k < len(departs) else None
        k += 1
        if reloads and reloads[-1] == len(stops):
            # A stage route that reloads straight after leaving (or a load on a load): one load, the later one.
            leaves[-1] = leave
        else:
            reloads.append(len(stops))
            leaves.append(leave)
    if reloads[:1] == [0] and problem.first_trip_loaded(v):
        # The first load is taken on leaving the kitchen, when that load leaves.
        depart = leaves[0] if leaves[0] is not None else depart
        reloads, leaves = reloads[1:], leaves[1:]
    trip_departs = (depart, *leaves) if reloads and None not in leaves else ()
    return Route(worker.id, tuple(stops), depart, reloads=tuple(reloads), trip_departs=trip_departs)


def _marked(route: Route) -> list[str]:
    return [x for pos, sid in enumerate(route.stops) for x in ([RELOAD] if pos in route.reloads else []) + [sid]]


def _joined(problem: Problem, segments) -> dict[str, list[tuple[int, list[str], list[int]]]]:
    """Each worker's stage routes in time order, a worker's later stages dropped until the joined day
    passes the checker on the day's problem."""
    index = {w.id: v for v, w in enumerate(problem.workers)}
    parts = {w: sorted(p, key=lambda x: x[0]) for w, p in segments.items()}
    for _round in range(sum(len(p) for p in parts.values()) + 1):
        routes = [_route(problem, index[w], p) for w, p in parts.items() if p]
        placed = {s for r in routes for s in r.stops}
        unassigned = [Unassigned(s.id, Reason.NO_ROOM) for s in problem.stops if s.id not in placed]
        violations = check(problem, routes, unassigned)
        if not violations:
            return parts
        bad = {v.worker_id for v in violations if v.worker_id in parts and parts[v.worker_id]}
        if not bad:  # a rule of the kitchen (its packing): drop the latest stage route of the day
            bad = {max((w for w in parts if parts[w]), key=lambda w: parts[w][-1][0])}
        for w in bad:
            log.info("staged start: %s's stage routes do not join (%s); dropping the latest", w,
                     "; ".join(str(v) for v in violations if v.worker_id == w) or "kitchen")
            parts[w] = parts[w][:-1]
    return {}


def _initial(problem: Problem, parts) -> dict[str, list[str]]:
    index = {w.id: v for v, w in enumerate(problem.workers)}
    out = {}
    for w, p in parts.items():
        if p:
            out[w] = _marked(_route(problem, index[w], p))
    return out


def plan_stages(problem: Problem, stages: Sequence[Collection[str]], options: SolveOptions,
            solve: Callable[..., Solution] | None = None) -> Staged:
    from .solver import read_routes
    from .solver import solve as plain

    solutions, segments = _segments(problem, stages, options, options.time_limit, solve or plain)
    parts = _joined(problem, segments)
    routes = _initial(problem, parts)
    start = read_routes(problem, replace(options, initial_routes=routes)) if routes else None
    if routes and start is None:
        # OR-Tools refuses the day as joined: find the workers whose routes it refuses alone, and drop
        # their later stage routes until it reads them back.
        for w in list(parts):
            while parts[w] and read_routes(problem, replace(options, initial_routes=_initial(
                    problem, {w: parts[w]}))) is None:
                parts[w] = parts[w][:-1]
        routes = _initial(problem, parts)
        start = read_routes(problem, replace(options, initial_routes=routes)) if routes else None
    if routes and start is None:
        log.warning("staged start: OR-Tools reads none of the joined day back")
    return Staged(tuple(solutions), routes, start)


def staged_start(problem: Problem, stages: Sequence[Collection[str]], options: SolveOptions | None = None,
                 solve: Callable[..., Solution] | None = None) -> dict[str, list[str]]:
    """Worker id -> stop ids with `RELOAD` markers: the stages (collections of stop ids, in order) planned
    one after another on what is left of each worker's day, joined in time order, valid on `problem`.
    `solve` plans each stage (`solver.solve` unless given)."""
    return plan_stages(problem, stages, options or SolveOptions(), solve).routes


def served(solution: Solution) -> int:
    return sum(len(r.stops) for r in solution.routes)


def solve_staged(problem: Problem, stages: Sequence[Collection[str]], options: SolveOptions | None = None,
                 solve: Callable[..., Solution] | None = None) -> Solution:
    """Plan the day in stages, then as one from them (see the module's docstring).

    The time limit is halved between the stages (shared by their stops) and the whole day; a fixed amount
    of search is split the same way: the engine's iterations by the stages' stops (the whole day, having
    reloads, uses none), OR-Tools' solution limit for each search. The same problem and options give the
    same plan whenever they would for `solve`. `solve` is the solver to use (`solver.solve` unless given).
    """
    if solve is None:
        from .solver import solve

    options = options or SolveOptions()
    half = replace(options, time_limit=options.time_limit / 2)
    staged = plan_stages(problem, stages, half, solve)
    start = staged.start
    if start is None:
        return solve(problem, half)
    combined = solve(problem, replace(half, initial_routes=staged.routes))
    worse = (served(combined) < served(start) or "repaired" in combined.status
             or combined.cost > start.cost)
    if worse:
        log.info("staged solve: the whole-day search did not improve its start (%d vs %d)", combined.cost,
                 start.cost)
        return Solution(problem, start.routes, start.unassigned, start.cost, "staged start",
                        start.wall_time + combined.wall_time)
    return Solution(problem, combined.routes, combined.unassigned, combined.cost,
                    combined.status + " (from the staged start)", combined.wall_time)
