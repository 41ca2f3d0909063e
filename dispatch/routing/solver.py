"""The OR-Tools model: the only module that imports OR-Tools.

Every stop is optional with a penalty (a disjunction), so the model always has a
solution — at worst the empty plan — and an over-full day degrades into
unassigned stops with reasons instead of a failure. Stops that must not be
dropped get a penalty larger than any plan's total travel, so they are dropped
only when no feasible plan holds them.

A route is one trip: a worker with hot meals loads them all at the kitchen when
the route starts; going back to reload (multi-trip) is out of scope.

OR-Tools searches for the first part of the time limit; `engine` (ruin and
recreate in plain Python, every rule of this model kept) improves its plan for
the rest, and a fresh model must accept the result with a lower objective before
it replaces OR-Tools' own plan, so OR-Tools stays the judge of what is feasible.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from .checker import check
from .engine.tables import travel_matrices
from .precheck import eligible_workers
from .problem import InvalidProblem, Priority, Problem
from .result import Reason, Route, Solution, Unassigned, Visit

log = logging.getLogger(__name__)

_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class SolveOptions:
    """How hard and how to search; the defaults suit a site's day in a few seconds.

    `continuity_weight` is what keeping a senior's usual worker is worth, in
    seconds of extra travel. `balance_weight` is charged per second a route's
    working time exceeds the day's fair share (0 = off). `initial_routes` warm-start
    the search (worker id -> stop ids), which is how re-planning stays close to
    the published plan. With a time limit the result depends on machine speed;
    `solution_limit` stops after a fixed amount of work and is repeatable, and with
    `search_iterations` as well the engine then polishes for exactly that many iterations:
    the same problem and seed give the same plan on any machine (unless the time limit
    cuts the search short first, which is logged).
    """

    time_limit: float = 5.0
    seed: int = 0
    continuity_weight: int = 600
    balance_weight: int = 0
    # Measured on generated sites (tests/bench/site_day.py, 10 s): sequential insertion
    # with a light GLS penalty and the operators that re-insert dropped stops placed
    # every meal where the OR-Tools defaults left 3 critical meals out.
    first_solution: str = "SEQUENTIAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.02
    initial_routes: Mapping[str, Sequence[str]] | None = None
    solution_limit: int | None = None
    search_iterations: int | None = None
    # "auto" (compiled when numba is there), "compiled" or "python"; None: $DOORSTEP_ENGINE.
    engine: str | None = None
    log_search: bool = False
    # `use_inactive_lns` was on here too: on the generated site it took ~80 % of the search
    # time (each neighbour is a small CP search) and never produced an accepted move.
    extra_operators: tuple[str, ...] = ("use_relocate_and_make_active", "use_exchange_and_make_active",
                                        "use_extended_swap_active")
    disabled_operators: tuple[str, ...] = ()
    # OR-Tools filters every move on a route that has a break and a working-time cap by
    # solving a small LP; on the generated site that halves the neighbours evaluated per
    # second. Without it the filters propagate breaks and spans themselves and the CP
    # constraints still reject any infeasible move, so plans stay exact; the schedule comes
    # from the finalizer's earliest/latest times either way, and the only cumul cost (the
    # optional balance soft bound) never needed the LP.
    lp_scheduling: bool = False
    # Small plans (district meal runs of ~100 stops) first descend to a local optimum from
    # each of these starts, then guided local search continues from the best one. Guided
    # search escapes a poor basin slowly: on the demo district's largest plans the
    # sequential-insertion optimum was 2-14 % longer than the savings one.
    # A descent on the 220-stop generated site costs most of a 10 s budget, so larger
    # plans use `first_solution` alone, as does a caller whose `first_solution` is not
    # one of `starts` (the Solomon benchmark picks its own) or who gives under a second.
    starts: tuple[str, ...] = ("SAVINGS", "SEQUENTIAL_CHEAPEST_INSERTION")
    starts_max_stops: int = 120
    search_text: str = ""
    # OR-Tools searches for this share of the time limit, then `engine` (ruin and
    # recreate, every site rule kept) improves its plan for the rest; OR-Tools must accept
    # the polished plan with a lower objective, else its own plan stands. Off for re-plans
    # from published routes (they must move little) and for `solution_limit` runs.
    polish_share: float = 0.3
    polish: bool = True
    # Small plans converge long before the time limit (a one-visit plan used to take all
    # of it): up to `small_plan_stops` stops OR-Tools searches at most `small_plan_ortools`
    # seconds before the polish, and the polish stops after `converged_iterations_per_stop`
    # iterations per stop without a new best. Plans of 88 and 220 stops reach neither
    # within 10 s (the 220-stop site not within 120 s), so larger plans use the whole limit.
    small_plan_stops: int = 30
    small_plan_ortools: float = 1.0
    converged_iterations_per_stop: int = 2000


def _penalty_unit(problem: Problem) -> int:
    biggest = max((int(m.max()) for m in problem.matrices.values()), default=0)
    service = max((s.service for s in problem.stops), default=0)
    return max(1, 2 * biggest + service)


def drop_penalties(problem: Problem, options: SolveOptions) -> list[int]:
    """What dropping each stop costs; tiers are far apart so priority always wins over travel."""
    unit = _penalty_unit(problem) + options.continuity_weight + options.balance_weight
    n = len(problem.stops)
    tiers = {Priority.LOW: 5 * unit, Priority.NORMAL: 50 * unit, Priority.HIGH: 500 * unit}
    must = 1000 * unit * (n + 1)
    return [must if s.must_serve else tiers[s.priority] for s in problem.stops]


def plan_cost(solution: Solution, options: SolveOptions | None = None) -> int:
    """The objective without drop penalties: travel plus continuity (and balance) charges.

    Benchmarks compare plans by it; stops no worker could serve alone never entered the model,
    so the objective holds no penalty for them and none is taken off.
    """
    problem = solution.problem
    penalty = drop_penalties(problem, options or SolveOptions())
    allowed, _ = eligible_workers(problem)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    return solution.cost - sum(penalty[index[u.stop_id]] for u in solution.unassigned if allowed[index[u.stop_id]])


class Model:
    """The routing model for one problem, kept together so solutions can be read back."""

    def __init__(self, problem: Problem, options: SolveOptions, allowed: list[list[int]]):
        self.problem = problem
        self.options = options
        self.fair = 0
        p = problem
        n, m = len(p.stops), len(p.workers)
        self.n, self.m = n, m
        starts = [p.start_node(v) for v in range(m)]
        ends = [p.end_node(v) for v in range(m)]
        self.manager = manager = pywrapcp.RoutingIndexManager(p.num_nodes, m, starts, ends)
        self.routing = routing = pywrapcp.RoutingModel(manager)
        solver = routing.solver()
        service = [s.service for s in p.stops] + [0] * (2 * m)
        node_of = [manager.IndexToNode(i) for i in range(routing.Size())]
        self.node_of = node_of

        # Travel per mode, with open routes' way back made free (each end node has one vehicle).
        self.travel = travel = travel_matrices(p)

        # Time transits include the service at the origin (OR-Tools' usual VRPTW form).
        time_cb = {}
        for mode, t in travel.items():
            rows = (t + [[x] for x in service]).tolist()
            time_cb[mode] = routing.RegisterTransitMatrix(rows)

        # Arc costs: travel, plus the continuity charge for serving someone else's senior.
        prefers = {}
        ids = {w.id for w in p.workers}
        for i, s in enumerate(p.stops):
            if s.previous_worker in ids and options.continuity_weight > 0:
                prefers[i] = s.previous_worker
        referenced = set(prefers.values())
        cost_cb = {}
        for v, w in enumerate(p.workers):
            key = (w.mode, w.id if w.id in referenced else None)
            if key not in cost_cb:
                t = travel[w.mode]
                if prefers:
                    t = t.copy()
                    for i, who in prefers.items():
                        if who != key[1]:
                            t[:, i] += options.continuity_weight
                cost_cb[key] = routing.RegisterTransitMatrix(t.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], v)

        horizon = max(p.horizon(), 1) + 1
        self.horizon = horizon
        routing.AddDimensionWithVehicleTransits(
            [time_cb[w.mode] for w in p.workers], horizon, horizon, False, "time")
        self.time = time = routing.GetDimensionOrDie("time")

        for i, s in enumerate(p.stops):
            idx = manager.NodeToIndex(i)
            if s.windows:
                cv = time.CumulVar(idx)
                cv.SetRange(s.windows[0].start, min(s.windows[-1].end, horizon))
                for a, b in zip(s.windows, s.windows[1:]):
                    cv.RemoveInterval(a.end + 1, b.start - 1)
        for v, w in enumerate(p.workers):
            s_idx, e_idx = routing.Start(v), routing.End(v)
            time.CumulVar(s_idx).SetRange(w.shift.start, w.shift.end)
            time.CumulVar(e_idx).SetRange(w.shift.start, w.shift.end)
            if w.max_work is not None:
                time.SetSpanUpperBoundForVehicle(w.max_work, v)
        # Report the earliest schedule, then leave as late as it allows (no idle start).
        for i in range(n):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(manager.NodeToIndex(i)))
        for v in range(m):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))

        # Capacities, one dimension per kind of load.
        for d in range(p.num_dimensions):
            demand = [p.demand(s)[d] for s in p.stops] + [0] * (2 * m)
            cb = routing.RegisterUnaryTransitVector(demand)
            caps = [(p.capacity(w) or (None,) * (d + 1))[d] for w in p.workers]
            caps = [c if c is not None else sum(demand) + 1 for c in caps]
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")

        # Breaks, taken while travelling or waiting but never during a service.
        self.breaks = {}
        visit = [service[n_] for n_ in node_of]
        for v, w in enumerate(p.workers):
            if w.breaks:
                b = w.breaks[0]
                iv = solver.FixedDurationIntervalVar(b.window.start, b.window.end, b.duration, False, f"break {w.id}")
                time.SetBreakIntervalsOfVehicle([iv], v, visit)
                # OR-Tools would let the break fall before departure or after the return,
                # off the clock; a worker's break is part of the working day.
                solver.Add(iv.StartExpr() >= time.CumulVar(routing.Start(v)))
                solver.Add(iv.EndExpr() <= time.CumulVar(routing.End(v)))
                routing.AddIntervalToAssignment(iv)
                self.breaks[v] = iv

        # Hot meals: a twin of the time dimension that starts at zero at the route start;
        # with slacks tied together its cumul is exactly the time since then, waiting
        # at the kitchen included, so the limit holds for the reported departure.
        holds = {}
        for i, s in enumerate(p.stops):
            if s.hot_meal and p.depot(s.depot) is not None and p.depot(s.depot).hold_limit is not None:
                holds[i] = p.depot(s.depot).hold_limit
        if holds:
            routing.AddDimensionWithVehicleTransits(
                [time_cb[w.mode] for w in p.workers], horizon, horizon, True, "elapsed")
            elapsed = routing.GetDimensionOrDie("elapsed")
            for idx in range(routing.Size()):
                if not routing.IsEnd(idx):
                    solver.Add(elapsed.SlackVar(idx) == time.SlackVar(idx))
            for i, limit in holds.items():
                elapsed.CumulVar(manager.NodeToIndex(i)).SetMax(limit)

        # Balanced workloads: a soft cap on each route's working time at the fair share.
        if options.balance_weight > 0 and n:
            # Work = travel + service (a twin dimension whose free slack drops the waiting).
            mean_arc = int(travel[p.workers[0].mode][:n, :n].mean())
            fair = max(1, (sum(service[:n]) + mean_arc * n) // m)
            self.fair = fair
            routing.AddDimensionWithVehicleTransits(
                [time_cb[w.mode] for w in p.workers], horizon, horizon, True, "work")
            work = routing.GetDimensionOrDie("work")
            for v in range(m):
                work.SetCumulVarSoftUpperBound(routing.End(v), fair, options.balance_weight)

        # Who may serve what, and what dropping costs.
        penalties = drop_penalties(p, options)
        for i, s in enumerate(p.stops):
            idx = manager.NodeToIndex(i)
            if not allowed[i]:
                routing.AddDisjunction([idx], 0)
                routing.ActiveVar(idx).SetValue(0)
                continue
            if len(allowed[i]) < m:
                routing.VehicleVar(idx).SetValues([-1] + allowed[i])
            routing.AddDisjunction([idx], penalties[i])

        # Pinned heads of routes (already served or promised stops), in order.
        self.pinned_heads = {}
        for v, w in enumerate(p.workers):
            head = sorted((s.pinned_position, i) for i, s in enumerate(p.stops)
                          if s.pinned_worker == w.id and s.pinned_position is not None and allowed[i])
            self.pinned_heads[v] = [i for _, i in head]

    def apply_pins(self):
        routing, manager = self.routing, self.manager
        for v, head in self.pinned_heads.items():
            prev = routing.Start(v)
            for i in head:
                idx = manager.NodeToIndex(i)
                routing.NextVar(prev).SetValue(idx)
                prev = idx

    def parameters(self, time_limit: float):
        o = self.options
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(_FIRST, o.first_solution)
        params.local_search_metaheuristic = getattr(_META, o.metaheuristic)
        params.guided_local_search_lambda_coefficient = o.gls_lambda
        params.disable_scheduling_beware_this_may_degrade_performance = not o.lp_scheduling
        params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if o.solution_limit is not None:
            params.solution_limit = o.solution_limit
        for op in o.extra_operators:
            setattr(params.local_search_operators, op, optional_boolean_pb2.BOOL_TRUE)
        for op in o.disabled_operators:
            setattr(params.local_search_operators, op, optional_boolean_pb2.BOOL_FALSE)
        if o.search_text:
            from google.protobuf import text_format

            text_format.Merge(o.search_text, params)
        params.log_search = o.log_search
        return params

    def read(self, assignment, reasons: dict[int, Unassigned], status: str, wall: float) -> Solution:
        p, routing, manager, time = self.problem, self.routing, self.manager, self.time
        routes, placed = [], set()
        for v, w in enumerate(p.workers):
            idx = routing.Start(v)
            depart = assignment.Value(time.CumulVar(idx))
            order = []
            idx = assignment.Value(routing.NextVar(idx))
            while not routing.IsEnd(idx):
                order.append(manager.IndexToNode(idx))
                idx = assignment.Value(routing.NextVar(idx))
            end = assignment.Value(time.CumulVar(idx))
            placed.update(order)
            brk = None
            if v in self.breaks:
                brk = _break_start(assignment, self.breaks[v])
            routes.append(self._route(v, order, depart, end, assignment, brk))
        unassigned = []
        for i, s in enumerate(p.stops):
            if i not in placed:
                unassigned.append(reasons.get(i) or Unassigned(s.id, Reason.NO_ROOM))
        return Solution(p, tuple(routes), tuple(unassigned), assignment.ObjectiveValue(), status, wall)

    def _route(self, v, order, depart, end, assignment, brk) -> Route:
        p = self.problem
        w = p.workers[v]
        t = self.travel[w.mode]
        total = [sum(x) for x in zip(*(p.demand(p.stops[i]) for i in order))] if order else []
        load = list(total)
        visits, prev, leave, travel = [], p.start_node(v), depart, 0
        for i in order:
            s = p.stops[i]
            start = assignment.Value(self.time.CumulVar(self.manager.NodeToIndex(i)))
            arrival = min(start, leave + int(t[prev, i]))
            travel += int(t[prev, i])
            visits.append(Visit(s.id, arrival, start, start + s.service, tuple(load)))
            load = [a - b for a, b in zip(load, p.demand(s))]
            prev, leave = i, start + s.service
        if order:
            travel += int(t[prev, p.end_node(v)])
        return Route(w.id, tuple(p.stops[i].id for i in order), depart, tuple(visits),
                     end if order else depart, travel, brk if order else None)


def _break_start(assignment, interval) -> int | None:
    container = assignment.IntervalVarContainer()
    for k in range(container.Size()):
        element = container.Element(k)
        if element.Var().Name() == interval.Name():
            return element.StartValue() if element.PerformedValue() else None
    return None


def _empty(problem: Problem, reasons, status: str, wall: float) -> Solution:
    routes = tuple(Route(w.id, (), w.shift.start) for w in problem.workers)
    unassigned = tuple(reasons.get(i) or Unassigned(s.id, Reason.NO_ROOM) for i, s in enumerate(problem.stops))
    return Solution(problem, routes, unassigned, 0, status, wall)


def ortools_budget(problem: Problem, options: SolveOptions) -> float:
    """Seconds OR-Tools searches before the polish takes over: its share of the limit, and no
    more than `small_plan_ortools` on a small plan (guided search never stops by itself)."""
    seconds = options.time_limit * options.polish_share
    if len(problem.stops) <= options.small_plan_stops:
        seconds = min(seconds, options.small_plan_ortools)
    return seconds


def solve(problem: Problem, options: SolveOptions | None = None, **overrides) -> Solution:
    """Plan the routes; always returns a checker-valid plan, possibly with unassigned stops.

    Keyword overrides (`time_limit=2`, `seed=1`, ...) replace fields of `options`.
    """
    if not isinstance(problem, Problem):
        raise InvalidProblem(f"solve() needs a Problem, got {type(problem).__name__}")
    options = options or SolveOptions()
    if overrides:
        options = SolveOptions(**{**options.__dict__, **overrides})
    began = _time.monotonic()
    allowed, reasons = eligible_workers(problem)
    if not any(allowed):
        return _empty(problem, reasons, "nothing can be served", _time.monotonic() - began)

    deadline = began + options.time_limit
    polishing = (options.polish and not options.initial_routes
                 and (options.solution_limit is None or options.search_iterations is not None)
                 and options.time_limit >= 1 and 0 < options.polish_share < 1)
    if polishing:
        options = replace(options, time_limit=ortools_budget(problem, options))
    model = Model(problem, options, allowed)
    model.apply_pins()
    routing = model.routing
    start_routes = _initial_routes(model, options, allowed)
    if start_routes is None:
        start_routes = _best_start(problem, options, allowed, began)
    # The budget covers building the model and the starts too, so callers get an answer on time.
    params = model.parameters(max(0.1, options.time_limit - (_time.monotonic() - began)))
    assignment = None
    if start_routes is not None:
        hint = routing.ReadAssignmentFromRoutes(start_routes, True)
        if hint is not None:
            assignment = routing.SolveFromAssignmentWithParameters(hint, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    if assignment is None:
        # Insertion heuristics can fail on side constraints (breaks, hold limits);
        # starting from the empty plan and letting local search add stops cannot.
        left = max(0.5, options.time_limit - (_time.monotonic() - began))
        retry = Model(problem, replace(options, first_solution="ALL_UNPERFORMED"), allowed)
        retry.apply_pins()
        assignment = retry.routing.SolveWithParameters(retry.parameters(left))
        model, routing = retry, retry.routing
    wall = _time.monotonic() - began
    if assignment is None:
        # Pins or hard rules left no plan at all: an empty plan is still a valid answer.
        log.warning("routing found no solution (status %s); returning an empty plan", routing.status())
        return _empty(problem, reasons, "no solution found", wall)
    solution = model.read(assignment, reasons, _status(routing), wall)
    if polishing:
        solution = _polished(model, solution, assignment.ObjectiveValue(), allowed, reasons, deadline, began)
    return _repaired(solution)


def _polished(model: Model, solution: Solution, objective: int, allowed, reasons, deadline: float,
              began: float) -> Solution:
    """`solution` improved by ruin and recreate until the deadline, if OR-Tools agrees it is better."""
    from .engine import Search

    p, options = model.problem, model.options
    index = {s.id: i for i, s in enumerate(p.stops)}
    start = [[index[s] for s in r.stops] for r in solution.routes]
    balance = (model.fair, options.balance_weight) if options.balance_weight > 0 and model.fair else None
    search = Search(p, model.travel, allowed, drop_penalties(p, options), options.continuity_weight,
                    options.seed, balance, engine=options.engine)
    # Reading the plan back into OR-Tools takes a few milliseconds per hundred stops.
    budget, until = options.search_iterations, deadline - 0.05 - 0.0005 * len(p.stops)
    best, cost, iterations = search.run(start, until, max_iterations=budget,
                                        stall=options.converged_iterations_per_stop * max(1, len(p.stops)))
    if budget is not None and iterations < budget and _time.monotonic() >= until:
        log.warning("the time limit cut the search at %d of %d iterations: this plan may not repeat", iterations,
                    budget)
    if best == [list(r) for r in start]:
        return solution
    # A fresh model reads the plan back: the searched one has been seen to refuse valid plans
    # (ReadAssignmentFromRoutes restores under the used-up time limit of the last search, and
    # after a search from a hint even a fresh restore failed).
    read_began = _time.monotonic()
    fresh = Model(p, options, allowed)
    fresh.apply_pins()
    params = fresh.parameters(max(1.0, options.time_limit))
    params.solution_limit = 1
    fresh.routing.CloseModelWithParameters(params)
    routes = [[fresh.manager.NodeToIndex(i) for i in r] for r in best]
    hint = fresh.routing.solver().Assignment()
    assignment = None
    if fresh.routing.RoutesToAssignment(routes, True, True, hint):
        assignment = fresh.routing.SolveFromAssignmentWithParameters(hint, params)
    if assignment is None or _routes_of(fresh, assignment) != routes:
        log.warning("OR-Tools refused the polished plan (%d iterations); keeping its own", iterations)
        return solution
    if assignment.ObjectiveValue() >= objective:
        log.warning("polished plan not better for OR-Tools (%d vs %d)", assignment.ObjectiveValue(), objective)
        return solution
    log.debug("polish: %d iterations, objective %d -> %d (polish counted %d), read back in %.3f s", iterations,
              objective, assignment.ObjectiveValue(), cost, _time.monotonic() - read_began)
    return fresh.read(assignment, reasons, solution.status + " (polished)", _time.monotonic() - began)


def _status(routing) -> str:
    names = {0: "not solved", 1: "success", 2: "stopped before a local optimum", 3: "failed",
             4: "time limit before any solution", 5: "invalid model", 6: "infeasible", 7: "optimal"}
    return names.get(routing.status(), str(routing.status()))


def _best_start(problem: Problem, options: SolveOptions, allowed, began: float) -> list[list[int]] | None:
    """Routes of the best local optimum over `options.starts`, for small plans; else None.

    Each descent gets at most a quarter of the budget (shared), so the guided search
    that follows keeps at least half of it.
    """
    starts = options.starts
    if (len(starts) < 2 or options.first_solution not in starts or options.time_limit < 1
            or len(problem.stops) > options.starts_max_stops or options.solution_limit is not None):
        return None
    best = None
    for strategy in starts:
        left = options.time_limit * 0.5 - (_time.monotonic() - began)
        if left <= 0.05:
            break
        model = Model(problem, replace(options, first_solution=strategy, metaheuristic="GREEDY_DESCENT"), allowed)
        model.apply_pins()
        assignment = model.routing.SolveWithParameters(model.parameters(min(left, options.time_limit / 4)))
        if assignment is None:
            continue
        if best is None or assignment.ObjectiveValue() < best[0]:
            best = (assignment.ObjectiveValue(), _routes_of(model, assignment))
    return best[1] if best else None


def _routes_of(model: Model, assignment) -> list[list[int]]:
    routing, routes = model.routing, []
    for v in range(model.m):
        idx, route = assignment.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(idx):
            route.append(idx)
            idx = assignment.Value(routing.NextVar(idx))
        routes.append(route)
    return routes


def _initial_routes(model: Model, options: SolveOptions, allowed) -> list[list[int]] | None:
    p, manager = model.problem, model.manager
    if options.initial_routes:
        index = {s.id: i for i, s in enumerate(p.stops)}
        routes = []
        for w in p.workers:
            ids = options.initial_routes.get(w.id, ())
            routes.append([manager.NodeToIndex(index[s]) for s in ids if s in index])
        return routes
    return None


def _repaired(solution: Solution) -> Solution:
    """Belt and braces: if the checker finds a broken rule, drop the offending stops."""
    violations = check(solution.problem, solution.routes, solution.unassigned)
    if not violations:
        return solution
    log.error("solver produced violations, removing stops: %s", "; ".join(map(str, violations)))
    bad_workers = {v.worker_id for v in violations if v.worker_id}
    routes, unassigned = [], list(solution.unassigned)
    for r in solution.routes:
        if r.worker_id in bad_workers:
            unassigned += [Unassigned(s, Reason.NO_ROOM, "removed by the feasibility check") for s in r.stops]
            r = Route(r.worker_id, (), r.depart)
        routes.append(r)
    return Solution(solution.problem, tuple(routes), tuple(unassigned), solution.cost,
                    solution.status + " (repaired)", solution.wall_time)
