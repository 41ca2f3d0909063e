"""A day already under way: routes go on from where each worker is, at the earliest from now.

A plan made while its day runs (a re-plan of a published lunch, an urgent visit, even a first
plan made late) must not promise a stop at a time that has passed. So the problem it builds:

* starts a worker who has not begun no earlier than now (``from_now``);
* keeps a worker's recorded stops as the served head of their route, in the order they were
  served, and has them go on from the last one no earlier than the later of now and its
  recorded time (``Resume``); the served stops are facts, so they carry no windows, service
  or load of their own;
* keeps the hot meals such a worker has on board with them (a kitchen of their own, the
  ``on-board depot``) and due within the hold limit of the route's real departure;
* cuts every window to what is left after now, and flags a stop whose window (or hold limit)
  has passed with a reason, instead of promising it (``WINDOW_PASSED``, ``HOLD_PASSED``).

There is no live position of the worker in the data: their last recorded stop stands for it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dispatch import routing
from dispatch.models.plan import Stop, StopKind

WINDOW_PASSED = "WINDOW_PASSED"  # the stop's window closed before the plan was made
HOLD_PASSED = "HOLD_PASSED"  # the meal on board cannot reach the door within the hold limit any more
_OPEN_END = 2 * 24 * 3600  # "no later limit" for the moment a worker goes on from their last stop


@dataclass(frozen=True)
class Pin:
    worker: str
    position: int | None = None
    served: bool = False


@dataclass(frozen=True)
class Resume:
    """Where and when a worker who has begun goes on: after their last recorded stop."""

    worker: str
    served: tuple[str, ...]  # stop keys, in the order they were served
    ready: datetime  # the later of now and the last recorded moment
    departed: datetime  # when the route left the kitchen: the hold limit counts from it
    on_board: frozenset[str]  # meals of the route not yet handed over (in the worker's box)

    @property
    def last(self) -> str:
        return self.served[-1]

    def depot(self, kitchen: str) -> str:
        """The worker's own "kitchen": only they can hand over the meals they carry."""
        return f"{kitchen}~{self.worker}"


def is_started(stop: Stop) -> bool:
    return stop.outcome is not None or stop.arrival_dt is not None


def _recorded(stop: Stop) -> datetime | None:
    moments = [t for t in (stop.outcome_dt, stop.departure_dt, stop.arrival_dt) if t is not None]
    return max(moments) if moments else None


def resume_points(by_worker: dict[str, list[Stop]], now: datetime | None, key_of, *, by_load: bool = False
                  ) -> tuple[dict[str, Pin], dict[str, Resume]]:
    """The served head of each route that has begun (as pins) and where each such worker goes on.

    ``by_worker`` maps worker keys to their stops in route order; ``key_of`` names a stop. With ``by_load``
    (a day plan: lunch and dinner on one route), only the meals of the loads taken so far are on board; a
    later load's meals are still in the kitchen.
    """
    pins: dict[str, Pin] = {}
    resume: dict[str, Resume] = {}
    for wkey, stops in by_worker.items():
        done = [s for s in stops if is_started(s)]
        if not done:
            continue
        epoch = min((_recorded(s) for s in done if _recorded(s) is not None), default=None)
        done.sort(key=lambda s: (_recorded(s) or epoch, s.position))
        for i, s in enumerate(done):
            pins[key_of(s)] = Pin(wkey, i, served=True)
        last = max((_recorded(s) for s in done if _recorded(s) is not None), default=now)
        ready = max(t for t in (now, last) if t is not None)
        route = done[0].route
        departed = route.start_dt if route is not None and route.start_dt is not None else (epoch or ready)
        taken = max(s.trip for s in done) if by_load else None
        on_board = frozenset(key_of(s) for s in stops if s.kind == StopKind.MEAL and not is_started(s)
                             and (taken is None or s.trip <= taken))
        resume[wkey] = Resume(wkey, tuple(key_of(s) for s in done), ready, departed, on_board)
    return pins, resume


def head_first(keys: list[str], under_way: Resume | None) -> list[str]:
    """A stored route's stop keys with its served head in the order it was served (as the problem pins it)."""
    if under_way is None:
        return keys
    served = [k for k in under_way.served if k in keys]
    return served + [k for k in keys if k not in set(served)]


def from_now(shift: routing.TimeWindow, rest: routing.Break | None, now: int | None
             ) -> tuple[routing.TimeWindow, routing.Break | None]:
    """A worker who has not begun: their shift from now on, and their break if it still fits."""
    if now is None or now <= shift.start:
        return shift, rest
    shift = routing.TimeWindow(min(now, shift.end), shift.end)
    if rest is not None:
        if rest.window.end < shift.start:
            rest = None  # its time has passed: taken, or not to be had any more
        else:
            rest = routing.Break(routing.TimeWindow(max(rest.window.start, shift.start), rest.window.end),
                                 rest.duration)
            if rest.window.start + rest.duration > shift.end:
                rest = None
    return shift, rest


def window_left(start: int, end: int, now: int | None, deadline: int | None = None) -> tuple[int, int] | None:
    """What is left of a window after now (and before a hold-limit deadline); None when nothing is."""
    if deadline is not None:
        end = min(end, deadline)
    if now is not None:
        start = max(start, now)
    return (start, end) if end >= start else None


def served_stop(base: dict, ready: int | None) -> routing.Stop:
    """A recorded stop as the routing core sees it: a place on the route, its time a fact already.

    The last one holds the worker until ``ready``: the rest of the route starts from there, then.
    """
    windows = (routing.TimeWindow(ready, max(ready, _OPEN_END)),) if ready is not None else ()
    return routing.Stop(**base, windows=windows)


def settle(problem: routing.Problem, resume: dict[str, Resume], ready: dict[str, int]) -> routing.Problem:
    """Give each worker under way the time to get back from their last stop, and no new work if that is
    past their shift; the solver must never find their served head impossible."""
    index = {s.id: i for i, s in enumerate(problem.stops)}
    workers = list(problem.workers)
    changed = False
    for v, w in enumerate(workers):
        r = resume.get(w.id)
        if r is None or r.last not in index:
            continue
        back = problem.travel(v, index[r.last], problem.end_node(v))
        need = ready[w.id] + back
        if need > w.shift.end:
            workers[v] = replace(w, shift=routing.TimeWindow(w.shift.start, need), skills=frozenset(),
                                 breaks=(), max_work=None)
            changed = True
        else:
            # Already at work: the hours done are recorded, so the day's cap is not judged again, and the
            # break is kept only if its time is still ahead.
            _shift, rest = from_now(routing.TimeWindow(w.shift.start, w.shift.end),
                                    w.breaks[0] if w.breaks else None, ready[w.id])
            workers[v] = replace(w, max_work=None, breaks=(rest,) if rest else ())
            changed = True
    if not changed:
        return problem
    return routing.Problem(problem.stops, tuple(workers), problem.matrices, problem.depots, problem.dimensions,
                           problem.now)
