"""Reasons a stop cannot be served by anyone, found before searching.

Each test is a necessary condition checked against one worker at a time, with
the stop alone on the route, so a stop that fails it for every worker is
certainly unservable and the coordinator gets a specific reason instead of
"no room". What survives is the set of workers the solver may use per stop.
"""

from __future__ import annotations

from .problem import Problem, Stop, TimeWindow, Worker
from .result import Reason, Unassigned


def _overlaps_shift(stop: Stop, worker: Worker) -> bool:
    if not stop.windows:
        return True
    return any(w.end >= worker.shift.start and w.start <= worker.shift.end for w in stop.windows)


def eligible_workers(problem: Problem) -> tuple[list[list[int]], dict[int, Unassigned]]:
    """Per stop, the workers that pass every single-stop test; and why the others have none."""
    allowed: list[list[int]] = []
    reasons: dict[int, Unassigned] = {}
    workers = problem.workers
    for i, stop in enumerate(problem.stops):
        cands = list(range(len(workers)))
        steps = [
            (Reason.PIN, lambda v: stop.pinned_worker is None or workers[v].id == stop.pinned_worker,
             f"pinned to {stop.pinned_worker}"),
            (Reason.NO_SKILL, lambda v: stop.skills <= workers[v].skills,
             "needs " + ", ".join(sorted(stop.skills))),
            (Reason.NO_KITCHEN_WORKER, lambda v: not stop.hot_meal or workers[v].depot == stop.depot,
             f"kitchen {stop.depot}"),
            (Reason.CAPACITY, lambda v: _fits(problem, stop, workers[v]), f"demand {stop.demand}"),
            (Reason.OUTSIDE_SHIFTS, lambda v: _overlaps_shift(stop, workers[v]), ""),
            (Reason.WINDOW_UNREACHABLE, lambda v: _direct_ok(problem, i, v, check_hold=False), ""),
            (Reason.HOLD_LIMIT, lambda v: _direct_ok(problem, i, v, check_hold=True), ""),
        ]
        for reason, test, detail in steps:
            cands = [v for v in cands if test(v)]
            if not cands:
                if stop.pinned_worker is not None and reason is not Reason.PIN:
                    detail = f"{stop.pinned_worker}: {reason.value}"
                    reason = Reason.PIN
                reasons[i] = Unassigned(stop.id, reason, detail)
                break
        allowed.append(cands)
    return allowed, reasons


def _fits(problem: Problem, stop: Stop, worker: Worker) -> bool:
    cap = problem.capacity(worker)
    return cap is None or all(d <= c for d, c in zip(problem.demand(stop), cap))


def _direct_ok(problem: Problem, i: int, v: int, *, check_hold: bool) -> bool:
    """Serve only this stop, leaving just in time to wait nothing: does it fit?

    Leaving just in time is the best case for every rule here (shift end,
    working time, hold limit), so failing it means no route can do better. A hot
    meal waits for its kitchen's `ready`, and a worker whose first trip does not
    leave the kitchen goes there first to load it.
    """
    worker = problem.workers[v]
    stop = problem.stops[i]
    depot = problem.depot(stop.depot) if stop.hot_meal else None
    lead, origin = 0, problem.start_node(v)
    if depot is not None and not problem.first_trip_loaded(v):
        origin = problem.kitchen_node(worker.depot)
        lead = problem.travel(v, problem.start_node(v), origin) + depot.load_time
    ready = depot.ready if depot is not None and depot.ready is not None else None
    to = problem.travel(v, origin, i)
    back = problem.travel(v, i, problem.end_node(v))
    limit = None
    if check_hold and depot is not None:
        limit = depot.hold_limit
    for w in stop.windows or (TimeWindow(worker.shift.start, max(worker.shift.start, worker.shift.end)),):
        leave = max(worker.shift.start + lead, w.start - to)
        if ready is not None:
            leave = max(leave, ready)
        depart = leave - lead
        start = max(leave + to, w.start)
        if leave + to > w.end:
            continue
        finish = start + stop.service + back
        if finish > worker.shift.end:
            continue
        if worker.max_work is not None and finish - depart > worker.max_work:
            continue
        if limit is not None and start - leave > limit:
            continue
        return True
    return False
