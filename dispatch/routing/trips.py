"""What the solver must know about reload trips before it searches: the reload places and the
earliest moment each load may leave the kitchen.

A worker allowed more trips than it starts with gets one optional reload place per further
load, at its kitchen, that only it may visit. The kitchen's packing rate is kept by a pre-pass
rather than inside the search: every load of every worker of the kitchen gets a slot, slots
are ordered (first loads before second loads, riders from the kitchen before workers from
home), and a slot may leave no earlier than the kitchen can have packed every meal the slots
up to it could carry. Whatever loads are then used, the meals out by any moment fit the rate
(the proof is in `departure_floors`), at the price of sometimes making a load wait that the
rate would have let go: the floor assumes full boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .problem import PACKING_PERIOD, Problem


@dataclass(frozen=True)
class ReloadPlace:
    """An optional visit of `worker` to its kitchen (problem node `kitchen`) to take load `load`.

    Loads are counted from 1: a worker leaving from the kitchen took load 1 there, so its
    first reload is load 2; one starting from home takes load 1 at its first reload.
    """

    worker: int
    load: int
    kitchen: int
    load_time: int


def reload_places(problem: Problem) -> list[ReloadPlace]:
    """Every reload a worker may make, per worker in order of the load it gives."""
    places = []
    for v, w in enumerate(problem.workers):
        if w.trips == 1:
            continue
        first = 2 if problem.first_trip_loaded(v) else 1
        kitchen = problem.kitchen_node(w.depot)
        load_time = problem.depot(w.depot).load_time
        places += [ReloadPlace(v, load, kitchen, load_time) for load in range(first, w.trips + 1)]
    return places


def meals_per_trip(problem: Problem, v: int, hot: list[int]) -> int:
    """The most hot-meal stops of the worker's kitchen one of its trips can carry."""
    cap = problem.capacity(problem.workers[v])
    most = len(hot)
    if cap is None:
        return most
    for d, c in enumerate(cap):
        need = [problem.demand(problem.stops[i])[d] for i in hot]
        if need and min(need) > 0:
            # The cheapest meals first: no trip carries more of them than this.
            most = min(most, sum(1 for x in _prefix(sorted(need)) if x <= c))
    return most


def _prefix(values):
    total = 0
    for x in values:
        total += x
        yield total


def departure_floors(problem: Problem) -> dict[int, list[int]]:
    """Per worker, the earliest moment each of its loads (index load - 1) may leave with hot meals.

    Only kitchens with a `ready` time appear; without a packing rate the floor is `ready`.
    With one, slot j of the kitchen's order carries at most c_j meals, so by the time
    T_j = ready + 600 * (ceil(C_j / rate) - 1), C_j = min(c_0 + ... + c_j, the kitchen's hot meals),
    the kitchen has packed what slots 0..j can take. T_j never decreases with j, so the loads
    out by a moment t sit in slots 0..J with T_J <= t and carry at most C_J <= rate * (period of
    t + 1) meals: the checker's rule.
    """
    floors: dict[int, list[int]] = {}
    for depot in problem.depots:
        if depot.ready is None:
            continue
        team = [v for v, w in enumerate(problem.workers) if w.depot == depot.id]
        for v in team:
            floors[v] = [depot.ready] * problem.workers[v].trips
        if depot.packing_rate is None:
            continue
        hot = [i for i, s in enumerate(problem.stops) if s.hot_meal and s.depot == depot.id]
        if not hot:
            continue
        slots = sorted(((load, not problem.first_trip_loaded(v), v) for v in team
                        for load in range(1, problem.workers[v].trips + 1)))
        carried = 0
        for load, _, v in slots:
            carried = min(len(hot), carried + meals_per_trip(problem, v, hot))
            batches = max(1, math.ceil(carried / depot.packing_rate))
            floors[v][load - 1] = depot.ready + PACKING_PERIOD * (batches - 1)
    return floors


RELOAD = "<reload>"
"""In a warm start's stop list (`SolveOptions.initial_routes`): the worker is back at the kitchen here to load
again. A start that names its reloads is taken as written (the day's separate plans joined keep each plan's
own loads); one without gets them placed by `with_reloads`."""


def named_reloads(ids, index: dict[str, int], places: list[int]) -> list[int]:
    """A warm start's stops with each `RELOAD` replaced by the worker's next reload place (extras dropped)."""
    out, left = [], list(places)
    for sid in ids:
        if sid == RELOAD:
            if left:
                out.append(left.pop(0))
        elif sid in index:
            out.append(index[sid])
    return out


def with_reloads(problem: Problem, v: int, stops: list[int], places: list[int]) -> list[int]:
    """A warm start's stops for worker `v` with its reload places (model nodes, in order) put
    where a load must begin: where the box would overflow, before the first hot meal of a trip
    from home, before the first hot meal after other work on the same load (a morning of visits
    from the kitchen), and before a hot meal whose window opens more than the hold limit after
    the load's first one did (lunch, then dinner).

    A published plan, or the day's separate plans joined, is handed back as stops only
    (`SolveOptions.initial_routes`); without its reloads OR-Tools would refuse it as a start.
    Finer hold limits are left to OR-Tools: a start it refuses only costs the warm start.
    """
    cap = problem.capacity(problem.workers[v])
    depot = problem.depot(problem.workers[v].depot)
    hold = depot.hold_limit if depot is not None else None
    out, load, left, loaded = [], None, list(places), problem.first_trip_loaded(v)
    other_work, first_hot = False, None  # since the last load: work that was not a hot meal; the first one's opening
    for i in stops:
        stop = problem.stops[i]
        demand = problem.demand(stop)
        load = load or [0] * len(demand)
        full = cap is not None and any(a + d > c for a, d, c in zip(load, demand, cap))
        opens = stop.windows[0].start if stop.windows else None
        stale = stop.hot_meal and (
            (first_hot is None and other_work)
            or (hold is not None and first_hot is not None and opens is not None and opens - first_hot > hold))
        if left and ((stop.hot_meal and not loaded) or full or stale):
            out.append(left.pop(0))
            load, loaded, other_work, first_hot = [0] * len(demand), True, False, None
        out.append(i)
        load = [a + d for a, d in zip(load, demand)]
        if stop.hot_meal:
            if first_hot is None:
                first_hot = opens
        else:
            other_work = True
    return out
