"""Plan the routes: OR-Tools builds and improves a plan, the engine polishes it, the checker has the last word.

OR-Tools (`ortools_model`) searches for the first part of the time limit; `engine` (ruin and
recreate, every rule of the model kept) improves its plan for the rest, and a fresh model must
accept the result with a lower objective before it replaces OR-Tools' own plan, so OR-Tools stays
the judge of what is feasible. The engine knows nothing of reload trips (`Worker.trips`), so a
problem with reloads is searched by OR-Tools alone, for the whole time limit. `SolveOptions`, `drop_penalties` and `plan_cost` live in `options`
and are re-exported here, where callers have always found them.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import replace

from .checker import check
from .options import SolveOptions, drop_penalties, plan_cost
from .ortools_model import Model
from .precheck import eligible_workers
from .problem import InvalidProblem, Problem
from .result import Reason, Route, Solution, Unassigned
from .trips import RELOAD, named_reloads, with_reloads

log = logging.getLogger(__name__)

__all__ = ["SolveOptions", "drop_penalties", "ortools_budget", "plan_cost", "read_routes", "solve"]


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
    # The engine's kernels time one trip per route: a problem with reloads is OR-Tools' alone.
    polishing = (options.polish and not options.initial_routes and not problem.has_reloads
                 and (options.solution_limit is None or options.search_iterations is not None)
                 and options.time_limit >= 1 and 0 < options.polish_share < 1)
    if polishing:
        options = replace(options, time_limit=ortools_budget(problem, options))
    model = Model(problem, options, allowed)
    model.apply_pins()
    # The engine loads (numba's kernels from its cache) before OR-Tools' share is spent, so on a
    # busy machine that cost comes out of OR-Tools' share and never out of the search's.
    search = _engine(model, allowed) if polishing else None
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
    if assignment is None and search is not None:
        # OR-Tools found no plan in its share (a starved core, or an insertion heuristic stuck on
        # breaks and hold limits): the engine builds one from the pinned heads with its recreate
        # step and searches for the rest of the time; OR-Tools still judges the result.
        log.warning("OR-Tools found no plan in %.1f s (status %s); the engine builds one", options.time_limit,
                    model.status())
        solution = _polished(model, search, None, None, allowed, reasons, deadline, began)
        return _repaired(solution or _empty(problem, reasons, "no solution found", _time.monotonic() - began))
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
    solution = model.read(assignment, reasons, model.status(), wall)
    if search is not None:
        solution = _polished(model, search, solution, assignment.ObjectiveValue(), allowed, reasons, deadline,
                             began)
    return _repaired(solution)


def read_routes(problem: Problem, options: SolveOptions) -> Solution | None:
    """The plan `options.initial_routes` spell out (their `RELOAD` markers kept), read back by OR-Tools
    without any search: its times and its objective (drop penalties included, so it compares with what
    `solve` returns for the same problem and options); None when OR-Tools refuses it as written."""
    began = _time.monotonic()
    allowed, reasons = eligible_workers(problem)
    if not options.initial_routes or not any(allowed):
        return None
    model = Model(problem, options, allowed)
    model.apply_pins()
    routes = _initial_routes(model, options, allowed)
    params = model.parameters(max(1.0, options.time_limit))
    params.time_limit.FromMilliseconds(int(1000 * max(1.0, options.time_limit)))
    params.solution_limit = 1
    model.routing.CloseModelWithParameters(params)
    hint = model.routing.solver().Assignment()
    if not model.routing.RoutesToAssignment(routes, True, True, hint):
        return None
    assignment = model.routing.SolveFromAssignmentWithParameters(hint, params)
    if assignment is None or model.routes_of(assignment) != routes:
        return None
    solution = model.read(assignment, reasons, "read back", _time.monotonic() - began)
    return None if check(problem, solution.routes, solution.unassigned) else solution


def _engine(model: Model, allowed):
    """The ruin-and-recreate search for the model's problem, its kernels loaded (or compiled) now."""
    from .engine import Search

    p, options = model.problem, model.options
    balance = (model.fair, options.balance_weight) if options.balance_weight > 0 and model.fair else None
    search = Search(p, model.travel, allowed, drop_penalties(p, options), options.continuity_weight,
                    options.seed, balance, engine=options.engine)
    search.warm_up()
    return search


def _polished(model: Model, search, solution: Solution | None, objective: int | None, allowed, reasons,
              deadline: float, began: float) -> Solution | None:
    """`solution` improved by ruin and recreate until the deadline, if OR-Tools agrees it is better.

    Without a solution (OR-Tools found none) the search starts from the pinned heads alone and
    whatever plan OR-Tools accepts is returned; None if it accepts none.
    """
    p, options = model.problem, model.options
    index = {s.id: i for i, s in enumerate(p.stops)}
    if solution is None:
        start = [list(model.pinned_heads.get(v, ())) for v in range(model.m)]
    else:
        start = [[index[s] for s in r.stops] for r in solution.routes]
    # Reading the plan back into OR-Tools takes a few milliseconds per hundred stops.
    budget, until = options.search_iterations, deadline - 0.05 - 0.0005 * len(p.stops)
    best, cost, iterations = search.run(start, until, max_iterations=budget,
                                        stall=options.converged_iterations_per_stop * max(1, len(p.stops)),
                                        at_least=1 if solution is None else 0)
    if budget is not None and iterations < budget and _time.monotonic() >= until:
        log.warning("the time limit cut the search at %d of %d iterations: this plan may not repeat", iterations,
                    budget)
    if solution is not None and best == [list(r) for r in start]:
        return solution
    # A fresh model reads the plan back: the searched one has been seen to refuse valid plans
    # (ReadAssignmentFromRoutes restores under the used-up time limit of the last search, and
    # after a search from a hint even a fresh restore failed).
    read_began = _time.monotonic()
    fresh = Model(p, options, allowed)
    fresh.apply_pins()
    params = fresh.parameters(max(1.0, options.time_limit))
    # Reading back is a check, not a search: neither the share nor a caller's search text cuts it.
    params.time_limit.FromMilliseconds(int(1000 * max(1.0, options.time_limit)))
    params.solution_limit = 1
    fresh.routing.CloseModelWithParameters(params)
    routes = [[fresh.manager.NodeToIndex(i) for i in r] for r in best]
    hint = fresh.routing.solver().Assignment()
    assignment = None
    if fresh.routing.RoutesToAssignment(routes, True, True, hint):
        assignment = fresh.routing.SolveFromAssignmentWithParameters(hint, params)
    if assignment is None or fresh.routes_of(assignment) != routes:
        log.warning("OR-Tools refused the polished plan (%d iterations); keeping its own", iterations)
        return solution
    if objective is not None and assignment.ObjectiveValue() >= objective:
        log.warning("polished plan not better for OR-Tools (%d vs %d)", assignment.ObjectiveValue(), objective)
        return solution
    log.debug("polish: %d iterations, objective %s -> %d (polish counted %d), read back in %.3f s", iterations,
              objective, assignment.ObjectiveValue(), cost, _time.monotonic() - read_began)
    status = solution.status + " (polished)" if solution is not None else "built by the engine"
    return fresh.read(assignment, reasons, status, _time.monotonic() - began)


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
            best = (assignment.ObjectiveValue(), model.routes_of(assignment))
    return best[1] if best else None


def _initial_routes(model: Model, options: SolveOptions, allowed) -> list[list[int]] | None:
    p, manager = model.problem, model.manager
    if options.initial_routes:
        index = {s.id: i for i, s in enumerate(p.stops)}
        routes = []
        for v, w in enumerate(p.workers):
            ids = options.initial_routes.get(w.id, ())
            places = [model.first_reload + j for j, r in enumerate(model.reloads) if r.worker == v]
            if RELOAD in ids:
                nodes = named_reloads(ids, index, places)
            else:
                nodes = [index[s] for s in ids if s in index]
                if places:
                    nodes = with_reloads(p, v, nodes, places)
            routes.append([manager.NodeToIndex(i) for i in nodes])
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
