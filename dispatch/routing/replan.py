"""Changing a published plan: insert an urgent stop while disturbing workers as little as possible.

Seniors and workers have been told who comes when, so a re-plan first tries to
fit the new stop without moving any existing stop to another worker (orders
within a route may shift). Only if that fails are stops allowed to change
worker, each move charged so that few happen.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from .problem import InvalidProblem, Priority, Problem
from .result import Solution


def published_routes(plan: Solution | Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    if isinstance(plan, Solution):
        return {r.worker_id: tuple(r.stops) for r in plan.routes if r.stops}
    return {w: tuple(s) for w, s in plan.items()}


def moved_stops(before: Solution | Mapping[str, Sequence[str]], after: Solution) -> set[str]:
    """Stops that now have a different worker than in the published plan."""
    old = {s: w for w, stops in published_routes(before).items() for s in stops}
    new = {s: w for w, stops in published_routes(after).items() for s in stops}
    return {s for s, w in old.items() if new.get(s) != w}


def insert_urgent(problem: Problem, published: Solution | Mapping[str, Sequence[str]], stop_ids: Sequence[str] | str,
                  options=None, *, move_cost: int | None = None, **overrides) -> Solution:
    """Place the urgent stop(s) of `problem` into the `published` routes.

    `problem` holds every stop of the day including the urgent ones (so its
    matrices cover them); the urgent stops are made critical.
    """
    from .solver import SolveOptions, drop_penalties, solve

    if isinstance(stop_ids, str):
        stop_ids = [stop_ids]
    urgent = set(stop_ids)
    known = {s.id for s in problem.stops}
    if not urgent <= known:
        raise InvalidProblem(f"urgent stops {sorted(urgent - known)} are not in the problem")
    routes = published_routes(published)
    owner = {s: w for w, stops in routes.items() for s in stops}
    options = options or SolveOptions()
    if overrides:
        options = SolveOptions(**{**options.__dict__, **overrides})
    options = replace(options, initial_routes=routes)

    def variant(stop_rule):
        stops = tuple(stop_rule(s) for s in problem.stops)
        return Problem(stops, problem.workers, problem.matrices, problem.depots, problem.dimensions, problem.now)

    def critical(s):
        return replace(s, priority=Priority.CRITICAL, droppable=False) if s.id in urgent else s

    # 1. Nobody changes worker: everything published is pinned to its worker.
    def keep(s):
        s = critical(s)
        if s.id in owner and s.pinned_worker is None:
            s = replace(s, pinned_worker=owner[s.id])
        return s

    first = solve(variant(keep), options)
    if all(first.worker_of(s) is not None for s in urgent):
        return _as(problem, first)

    # 2. Moves allowed, each one charged like a long detour.
    unit = move_cost or max(drop_penalties(problem, options)[:1] or [1]) // 10

    def prefer(s):
        s = critical(s)
        return replace(s, previous_worker=owner[s.id]) if s.id in owner else s

    second = solve(variant(prefer), replace(options, continuity_weight=max(unit, 1)))
    return _as(problem, second)


def _as(problem: Problem, solution: Solution) -> Solution:
    """The same plan, judged against the caller's problem rather than the internal variant."""
    return Solution(problem, solution.routes, solution.unassigned, solution.cost, solution.status,
                    solution.wall_time)
