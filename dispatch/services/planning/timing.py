"""When each stop of a stored arrangement is reached: the checker's walk over a worker's nodes.

Planning and the editor both re-time routes after a change; they use the independent checker's
own timing, so the ETAs staff see and the checker's verdict never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from dispatch import routing
from dispatch.routing.checker import walk  # the checker's timing walk: one ETA calculator, not two


@dataclass(frozen=True)
class Timing:
    starts: list[int]
    end: int
    depart: int
    travel: int
    loads: list[int]
    rest: tuple[int, int] | None = None  # (start, seconds) of the worker's break, in day seconds


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
    """The leg (0 = before the first stop) on which the worker rests: the first that breaks no rule.

    The checker accepts a route if *some* leg fits the break; ETAs must use
    such a leg too, or they would ignore the rest and promise times too early.
    """
    if not problem.workers[v].breaks:
        return None
    shift_end = problem.workers[v].shift.end
    best, best_faults = None, None
    for leg in range(len(nodes) + 1):
        _starts, end, late, fits = walk(problem, v, nodes, depart, leg)
        faults = (not fits) + len(late) + (end > shift_end)
        if faults == 0:
            return leg
        if best_faults is None or faults < best_faults:
            best, best_faults = leg, faults
    return best


def timing(problem: routing.Problem, v: int, nodes: list[int], depart: int) -> Timing:
    """ETAs along a route through the checker's own walk, plus travel, load left on board and the break."""
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
