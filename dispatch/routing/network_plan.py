"""Plan a county network in two legs: the vans' trunk runs, then each village point's walked rounds.

The legs are solved one after the other with the core's `solve`, because the rounds depend on the
trunk only through two numbers per point: when the batch is off the van (`ready`) and when that
van left the kitchen (the hold limit counts from then). A round is an ordinary `Problem` with the
point as its kitchen: volunteers' shifts start at `ready`, every hot meal gets a deadline of
departure + insulated limit (a window), and the point's depot holds what is left of the limit.

A batch can arrive too late for its round (the van came by after a long detour, or the
volunteers' shift or a senior's window closes soon after). Then the trunk is solved again with that
point's window ending earlier, by as much as the worst missed meal lacked, so the van must come
sooner (another van, or the point earlier in the run); the rounds of every point whose batch moved
are solved again, unless the earlier rounds still hold (batch no later, van left no earlier). This
repeats up to `attempts` times. The plan kept is the attempt with the most batches on a trunk run,
then the most door meals delivered; an attempt no better than the best ends the repair. Meals no
attempt could deliver stay unassigned with the round's reason. Tightening a window is a heuristic:
it bounds when the van arrives, not how long after leaving, so a van that could leave later and
still arrive by then may not help the hold limit; the attempts cap what that costs.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field, replace
from typing import Mapping

from .checker import check
from .network import NetworkProblem
from .options import SolveOptions
from .problem import Depot, Problem, Stop, TimeWindow
from .result import Reason, Route, Solution, Unassigned, clock
from .solver import solve

NO_BATCH = "its village point's batch is on no trunk run"
MIN_STEP = 300


@dataclass(frozen=True)
class Batch:
    """What one van carries to one village point: the meals eaten there and the door meals' stops."""

    point_id: str
    worker_id: str
    dine_in: int
    door_meals: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """Both legs of a network's window and which batch each door meal rode in.

    `trunk_routes`, `rounds`, `batches` and `unassigned` are the plan (`check_network` reads only
    them and the network); `trunk` and `round_solutions` are the legs as solved, with the planner's
    own problems, for summaries and for checking each leg on its own. `latest_arrival` lists the
    points whose window the late-batch repair tightened, and to what.
    """

    trunk_routes: tuple[Route, ...]
    rounds: tuple[Route, ...]
    batches: tuple[Batch, ...]
    unassigned: tuple[Unassigned, ...] = ()
    trunk: Solution | None = None
    round_solutions: Mapping[str, Solution] = field(default_factory=dict)
    latest_arrival: Mapping[str, int] = field(default_factory=dict)
    attempts: int = 1
    wall_time: float = 0.0

    def batch_of(self, stop_id: str) -> Batch | None:
        """The batch a door meal rode in."""
        return next((b for b in self.batches if stop_id in b.door_meals), None)

    def delivered(self) -> int:
        return sum(len(r.stops) for r in self.rounds)

    def summary(self) -> str:
        lines = [f"{len(self.batches)} batches on {sum(1 for r in self.trunk_routes if r.stops)} trunk runs, "
                 f"{self.delivered()} door meals walked, {len(self.unassigned)} unassigned"]
        for r in self.trunk_routes:
            if r.stops:
                lines.append(f"  {r.worker_id} leaves {clock(r.depart)}: "
                             + ", ".join(f"{v.stop_id} {clock(v.start)}" for v in r.visits))
        for u in self.unassigned:
            lines.append(f"  unassigned {u.stop_id}: {u.message}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Arrival:
    worker_id: str
    depart: int
    start: int
    ready: int


def plan_network(network: NetworkProblem, options: SolveOptions | None = None, *,
                 round_options: SolveOptions | None = None, attempts: int = 3) -> NetworkPlan:
    """Plan the trunk runs, then every point's rounds, repairing late batches (see the module doc).

    `options` drive the trunk; `round_options` each round (default: `options` with at most one
    second, since a round is a few dozen meals around one point; a `solution_limit` run keeps
    `options`). Raises `InvalidProblem` before planning anything when a point is out of every
    van's reach.
    """
    began = _time.monotonic()
    options = options or SolveOptions()
    if round_options is None:
        # A fixed amount of work repeats only if no clock cuts it, so only a timed search is shortened.
        timed = options.solution_limit is None
        round_options = replace(options, time_limit=min(options.time_limit, 1.0)) if timed else options
    network.trunk_problem()  # refuses bad input before any search
    windows: dict[str, TimeWindow] = {}
    cache: dict[tuple, Solution] = {}
    best = None
    for attempt in range(1, max(1, attempts) + 1):
        trunk = solve(network.trunk_problem(windows), options)
        arrivals = _arrivals(trunk)
        rounds = {p.id: _round(network, p.id, arrivals.get(p.id), round_options, cache)
                  for p in network.points if network.door_of(p.id)}
        plan = _plan(network, trunk, arrivals, rounds, dict(windows), attempt, began)
        if best is None or _score(plan) > _score(best):
            best = plan
        late = _tightened(network, arrivals, rounds)
        if not late or plan is not best:
            break  # nothing an earlier batch can fix, or the last repair made things worse
        windows.update(late)
    return replace(best, wall_time=_time.monotonic() - began)


def _score(plan: NetworkPlan) -> tuple[int, int]:
    """More batches on a trunk, then more door meals delivered; earlier attempts win ties."""
    return (len(plan.batches), plan.delivered())


def _arrivals(trunk: Solution) -> dict[str, _Arrival]:
    out = {}
    for r in trunk.routes:
        for v in r.visits:
            out[v.stop_id] = _Arrival(r.worker_id, r.depart, v.start, v.departure)
    return out


def _round(network: NetworkProblem, point_id: str, arrival: _Arrival | None, options: SolveOptions,
           cache: dict) -> Solution | None:
    """The point's rounds once its batch is off the van, or None when no van brings it."""
    if arrival is None:
        return None
    key = (point_id, arrival.depart, arrival.ready)
    if key not in cache:
        problem = round_problem(network, point_id, arrival.depart, arrival.ready)
        solution = None if problem is None else _kept(problem, key, cache) or solve(problem, options)
        cold = cold_meals(network, point_id, arrival.depart)
        if solution is not None and cold:
            solution = replace(solution, unassigned=solution.unassigned + cold)
        cache[key] = solution
    return cache[key]


def _kept(problem: Problem, key: tuple, cache: dict) -> Solution | None:
    """An earlier attempt's complete rounds for the point, when its batch is now no later and no older.

    A batch off the van no later, from a van that left no earlier, only loosens the round (shifts
    start sooner, deadlines come later), so the same rounds still hold; keeping them saves a solve and
    keeps the volunteers' rounds the same. The core's checker confirms it on the new problem.
    """
    point_id, depart, ready = key
    for (pid, old_depart, old_ready), solution in cache.items():
        if (pid == point_id and solution is not None and not solution.unassigned and old_ready >= ready
                and old_depart <= depart and not check(problem, solution.routes)):
            return Solution(problem, solution.routes, (), solution.cost, solution.status + " (kept)", 0.0)
    return None


def round_problem(network: NetworkProblem, point_id: str, trunk_depart: int, ready: int) -> Problem | None:
    """One point's last mile given its batch: None when the batch leaves no time for any round.

    The deadline window is exact (handed over by departure + limit, however late the volunteer
    sets out); the point's hold limit, what is left of the insulated limit at `ready`, says the
    same to the leg's own checker for a round that leaves on time. Meals with no window open
    before the deadline are left out (`cold_meals` reports them): the leg could otherwise serve
    them late, since its own hold counts from the volunteer's departure.
    """
    point = network.point(point_id)
    deadline = trunk_depart + network.insulated_hold_limit
    left = deadline - ready
    volunteers = []
    for w in network.volunteers_of(point_id):
        if max(w.shift.start, ready) <= w.shift.end:
            volunteers.append(replace(w, shift=TimeWindow(max(w.shift.start, ready), w.shift.end)))
    if left < 1 or not volunteers:
        return None
    stops = [_with_deadline(s, deadline) for s in network.door_of(point_id)]
    depot = Depot(point.id, point.location, hold_limit=left)
    return Problem.build([s for s in stops if s is not None], volunteers, (depot,), travel=network.travel,
                         dimensions=("meals",))


def cold_meals(network: NetworkProblem, point_id: str, trunk_depart: int) -> tuple[Unassigned, ...]:
    """The point's hot meals whose every window opens after the insulated limit runs out."""
    deadline = trunk_depart + network.insulated_hold_limit
    return tuple(Unassigned(s.id, Reason.HOLD_LIMIT, "no window opens before the insulated limit runs out")
                 for s in network.door_of(point_id) if _with_deadline(s, deadline) is None)


def _with_deadline(stop: Stop, deadline: int) -> Stop | None:
    if not stop.hot_meal:
        return stop
    if not stop.windows:
        return replace(stop, windows=(TimeWindow(0, deadline),))
    windows = tuple(TimeWindow(w.start, min(w.end, deadline)) for w in stop.windows if w.start <= deadline)
    return replace(stop, windows=windows) if windows else None


def _tightened(network: NetworkProblem, arrivals: Mapping[str, _Arrival],
               rounds: Mapping[str, Solution | None]) -> dict[str, TimeWindow]:
    """New latest arrivals for points whose round missed meals; empty when no earlier batch can help."""
    out = {}
    for point_id, solution in rounds.items():
        arrival = arrivals.get(point_id)
        if arrival is None:
            continue
        missed = _missed(network, point_id, solution)
        if not missed:
            continue
        point = network.point(point_id)
        step = max(MIN_STEP, _shortfall(network, point_id, arrival, missed))
        end = arrival.start - step
        if end < point.window.start:
            continue
        out[point_id] = TimeWindow(point.window.start, end)
    return out


def _missed(network: NetworkProblem, point_id: str, solution: Solution | None) -> list[Stop]:
    if solution is None:
        return list(network.door_of(point_id))
    left = {u.stop_id for u in solution.unassigned}
    return [s for s in network.door_of(point_id) if s.id in left]


def _shortfall(network: NetworkProblem, point_id: str, arrival: _Arrival, missed: list[Stop]) -> int:
    """How much sooner the batch must be ready for a volunteer walking straight to each missed meal."""
    point = network.point(point_id)
    worst = 0
    for s in missed:
        for w in network.volunteers_of(point_id):
            walk = network.travel.seconds(point.location, s.location, w.mode) if s.location else 0
            due = [arrival.depart + network.insulated_hold_limit] if s.hot_meal else []
            due += [max(x.end for x in s.windows)] if s.windows else []
            due.append(w.shift.end - walk - s.service)
            worst = max(worst, arrival.ready + walk - min(due))
    return worst


def _plan(network: NetworkProblem, trunk: Solution, arrivals: Mapping[str, _Arrival],
          rounds: Mapping[str, Solution | None], windows: Mapping[str, TimeWindow], attempt: int,
          began: float) -> NetworkPlan:
    batches = tuple(Batch(p.id, arrivals[p.id].worker_id, p.dine_in, tuple(s.id for s in network.door_of(p.id)))
                    for p in network.points if p.id in arrivals)
    unassigned = list(trunk.unassigned)
    routes = []
    for point_id, solution in rounds.items():
        if solution is None:
            why = NO_BATCH if point_id not in arrivals else "the batch arrives after every volunteer's shift " \
                                                            "or after its meals go cold"
            reason = Reason.NO_ROOM if point_id not in arrivals else Reason.HOLD_LIMIT
            unassigned += [Unassigned(s.id, reason, why) for s in network.door_of(point_id)]
            continue
        routes += [r for r in solution.routes]
        unassigned += list(solution.unassigned)
    latest = {pid: w.end for pid, w in windows.items()}
    solved = {pid: s for pid, s in rounds.items() if s is not None}
    return NetworkPlan(tuple(trunk.routes), tuple(routes), batches, tuple(unassigned), trunk, solved, latest,
                       attempt, _time.monotonic() - began)


__all__ = ["Batch", "NetworkPlan", "plan_network", "round_problem"]
