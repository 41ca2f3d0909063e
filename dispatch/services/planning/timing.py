"""When each stop of a stored arrangement is reached: the checker's walk over a worker's nodes.

Planning and the editor both re-time routes after a change; they use the independent checker's
own timing, so the ETAs staff see and the checker's verdict never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from dispatch import routing
from dispatch.routing.checker import (  # the checker's timing walk: one ETA calculator
    break_leg_of,
    check_route,
    walk,
    walk_trips,
)


@dataclass(frozen=True)
class Timing:
    starts: list[int]
    end: int
    depart: int
    travel: int
    loads: list[int]
    rest: tuple[int, int] | None = None  # (start, seconds) of the worker's break, in day seconds
    reloads: tuple[int, ...] = ()  # positions before which the worker is back at the kitchen to load again
    departs: tuple[int, ...] = ()  # each load's departure from the kitchen, with reloads


def natural_depart(problem: routing.Problem, v: int, nodes: list[int]) -> int:
    """Leave just in time for the first stop's window: the latest start that wastes nothing.

    Used for routes a person edited (the solver's own departure no longer fits them).
    """
    worker = problem.workers[v]
    if not nodes:
        return worker.shift.start
    first = problem.stops[nodes[0]]
    lead = problem.travel(v, problem.start_node(v), nodes[0])
    opens = first.windows[0].start if first.windows else worker.shift.start
    return max(worker.shift.start, opens - lead)


def break_leg(problem: routing.Problem, v: int, nodes: list[int], depart: int) -> int | None:
    """The leg (0 = before the first stop) on which the worker rests: the one the checker accepts.

    The checker accepts a route if *some* leg fits the break; ETAs must use
    such a leg too, or they would ignore the rest and promise times too early
    (or rest with hot meals on board, past their hold limit).
    """
    return break_leg_of(problem, v, nodes, depart)


def timing(problem: routing.Problem, v: int, nodes: list[int], depart: int, reloads=(), trip_departs=()) -> Timing:
    """ETAs along a route through the checker's own walk, plus travel, load left on board and the break.

    ``reloads`` (positions in ``nodes``) send the worker back to the kitchen to load again, leaving at
    ``trip_departs`` (or as soon as loaded); the break sits on the first leg where it breaks no rule, kitchen
    legs included (a day plan's workers reload and rest).
    """
    if reloads:
        return _timing_with_reloads(problem, v, nodes, depart, tuple(reloads), tuple(trip_departs))
    leg = break_leg(problem, v, nodes, depart)
    starts, end, _late, _brk = walk(problem, v, nodes, depart, leg)
    rest = None
    if leg is not None:
        brk = problem.workers[v].breaks[0]
        free = depart if leg == 0 else starts[leg - 1] + problem.stops[nodes[leg - 1]].service
        rest = (max(free, brk.window.start), brk.duration)
    path = [problem.start_node(v), *nodes, problem.end_node(v)]
    travel = sum(problem.travel(v, a, b) for a, b in zip(path, path[1:]))
    demand = [sum(problem.demand(problem.stops[i])) for i in nodes]
    total = sum(demand)
    loads, carried = [], total
    for d in demand:
        loads.append(carried)
        carried -= d
    return Timing(starts, end, depart, travel, loads, rest)


def _leg_frees(problem: routing.Problem, v: int, nodes: list[int], timed, reloads: tuple[int, ...]) -> list[int]:
    """When the worker sets off on each leg (the kitchen legs included), in the order ``walk_trips`` counts them."""
    frees, free, k = [], timed.departs[0], 0
    for pos, node in enumerate(nodes):
        if pos in reloads:
            frees.append(free)  # to the kitchen
            k += 1
            free = timed.departs[k]
        frees.append(free)
        free = timed.starts[pos] + problem.stops[node].service
    frees.append(free)  # home
    return frees


def _timing_with_reloads(problem: routing.Problem, v: int, nodes: list[int], depart: int, reloads: tuple[int, ...],
                         trip_departs: tuple[int, ...]) -> Timing:
    leg = break_leg_of(problem, v, nodes, depart, reloads, trip_departs)  # where the checker lets it sit
    timed = walk_trips(problem, v, nodes, depart, leg, reloads, trip_departs)
    worker = problem.workers[v]
    rest = None
    if leg is not None:
        brk = worker.breaks[0]
        rest = (max(_leg_frees(problem, v, nodes, timed, reloads)[leg], brk.window.start), brk.duration)
    kitchen = problem.kitchen_node(worker.depot)
    path, at = [problem.start_node(v)], set(reloads)
    for pos, node in enumerate(nodes):
        if pos in at:
            path.append(kitchen)
        path.append(node)
    path.append(problem.end_node(v))
    travel = sum(problem.travel(v, a, b) for a, b in zip(path, path[1:]))
    bounds = [0, *reloads, len(nodes)]
    loads = []
    for a, b in zip(bounds, bounds[1:]):  # what is on board when each stop is reached, within its load
        carried = sum(sum(problem.demand(problem.stops[i])) for i in nodes[a:b])
        for i in nodes[a:b]:
            loads.append(carried)
            carried -= sum(problem.demand(problem.stops[i]))
    return Timing(timed.starts, timed.end, depart, travel, loads, rest, reloads, tuple(timed.departs))


def split_loads(problem: routing.Problem, v: int, nodes: list[int], depart: int) -> tuple[int, ...]:
    """Where a route a person edited goes back to the kitchen: before the first stop that would break the
    box's capacity or the hold limit on the load it is on, while the worker has loads left.

    The solver places reloads itself; after a hand edit they are placed again this way, so an edited route
    never carries more than a box or a meal past its limit for want of a trip the worker could make.
    """
    worker = problem.workers[v]
    if worker.trips <= 1 or not nodes:
        return ()
    reloads: list[int] = []
    for pos in range(1, len(nodes)):
        if len(reloads) + 1 >= worker.trips:
            break
        head = nodes[:pos + 1]
        broken = check_route(problem, v, head, depart, tuple(reloads))
        if any(x.kind.name in ("CAPACITY", "HOLD_LIMIT") for x in broken):
            reloads.append(pos)
    return tuple(reloads)
