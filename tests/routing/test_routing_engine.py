"""The ruin-and-recreate engine on the site model keeps every rule the independent checker knows,
compiled (numba) and in its pure-Python fallback alike.

`departure()` claims to decide a route's timing exactly as the checker does, so it is
compared with the checker tried at every whole-second departure of the shift.
"""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_routing_properties import days

from dispatch.routing import Route, check, solve
from dispatch.routing.checker import Kind, check_route
from dispatch.routing.engine import Search, travel_matrices
from dispatch.routing.precheck import eligible_workers
from dispatch.routing.result import Reason, Unassigned
from dispatch.routing.solver import SolveOptions, drop_penalties

TIMING = {Kind.TIME_WINDOW, Kind.SHIFT, Kind.MAX_WORK, Kind.HOLD_LIMIT, Kind.BREAK}


ENGINE_NAMES = ("compiled", "python")
ENGINES = pytest.mark.parametrize("engine", ENGINE_NAMES)


def _search(problem, seed=0, engine=None):
    allowed, _ = eligible_workers(problem)
    options = SolveOptions()
    return Search(problem, travel_matrices(problem), allowed, drop_penalties(problem, options),
                  options.continuity_weight, seed, engine=engine), allowed


def _timing_ok(problem, v, seq, depart):
    return not [x for x in check_route(problem, v, list(seq), depart) if x.kind in TIMING]


@ENGINES
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.data())
def test_departure_agrees_with_the_checker_at_every_departure(engine, problem, data):
    search, _ = _search(problem, engine=engine)
    v = data.draw(st.integers(0, len(problem.workers) - 1))
    seq = data.draw(st.lists(st.integers(0, len(problem.stops) - 1), max_size=5, unique=True))
    found = search.departure(v, seq)
    shift = problem.workers[v].shift
    if found is not None:
        assert seq == [] or _timing_ok(problem, v, seq, found[0])
    elif seq:
        assert not any(_timing_ok(problem, v, seq, d) for d in range(shift.start, shift.end + 1))


def _as_routes(problem, search, plan):
    routes = []
    for v, seq in enumerate(plan):
        found = search.departure(v, seq)
        assert found is not None, f"polished route {v} has no valid schedule"
        routes.append(Route(problem.workers[v].id, tuple(problem.stops[i].id for i in seq), found[0]))
    return routes


@ENGINES
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 3))
def test_polished_plans_pass_the_checker_and_never_cost_more(engine, problem, seed):
    first = solve(problem, time_limit=0.3, polish=False)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    start = [[index[s] for s in r.stops] for r in first.routes]
    search, allowed = _search(problem, seed, engine)
    before = search.plan_cost(start, [i for i, s in enumerate(problem.stops)
                                      if first.worker_of(s.id) is None and allowed[i]])
    best, cost, iterations = search.run(start, math.inf, max_iterations=40)
    assert iterations == 40
    assert cost <= before
    routes = _as_routes(problem, search, best)
    placed = {s for r in routes for s in r.stops}
    # The polish may serve another stop instead of one the first plan served, when that is cheaper.
    unassigned = [Unassigned(s.id, Reason.NO_ROOM) for s in problem.stops if s.id not in placed]
    assert check(problem, routes, unassigned) == []
    # The reported cost is the plan's own: travel, continuity and the penalties of what is left out.
    assert cost == search.plan_cost(best, [index[u.stop_id] for u in unassigned if allowed[index[u.stop_id]]])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_solver_with_polish_returns_checker_valid_plans(problem):
    solution = solve(problem, time_limit=1.0)
    assert check(problem, solution.routes, solution.unassigned) == []
    assert "repaired" not in solution.status
    placed = [s for r in solution.routes for s in r.stops]
    assert len(placed) + len(solution.unassigned) == len(problem.stops)


@ENGINES
def test_polish_shortens_a_plan_that_zigzags(engine):
    """Two workers given each other's side of town: ruin and recreate swaps them back."""
    from conftest import line_problem

    problem = line_problem([10, 11, 12, -10, -11, -12], workers=2)
    search, _ = _search(problem, engine=engine)
    start = [[0, 3, 1, 4], [2, 5]]
    before = search.plan_cost(start, [])
    best, cost, _ = search.run(start, math.inf, max_iterations=300)
    assert before == 84 + 48
    assert cost == 48  # 12 out and back on each side (or one sweep to +12 and -12): the optimum
    assert check(problem, _as_routes(problem, search, best)) == []


def test_polish_stops_once_it_has_converged():
    """A clock that never moves would keep the search running forever; `stall` ends it after that
    many iterations without a new best, with the best plan found (small plans no longer use the
    whole time limit)."""
    from conftest import line_problem

    problem = line_problem([10, 11, 12, -10, -11, -12], workers=2)
    search, _ = _search(problem)
    best, cost, iterations = search.run([[0, 3, 1, 4], [2, 5]], deadline=1.0, clock=lambda: 0.0, stall=500)
    assert cost == 48 and 500 < iterations < 10_000
    assert check(problem, _as_routes(problem, search, best)) == []


def test_a_small_plan_gives_or_tools_a_second_not_a_share_of_the_limit():
    """Guided search never stops by itself: up to `small_plan_stops` stops it gets at most
    `small_plan_ortools` seconds whatever the limit, and larger plans keep their share."""
    from conftest import line_problem

    from dispatch.routing.solver import ortools_budget

    options = SolveOptions(time_limit=30)
    small, large = line_problem([5, 7], workers=1), line_problem(list(range(1, 32)), workers=4)
    assert ortools_budget(small, options) == options.small_plan_ortools == 1.0
    assert ortools_budget(large, options) == 30 * options.polish_share == 9.0
    assert ortools_budget(small, SolveOptions(time_limit=2)) == 2 * SolveOptions().polish_share
    solution = solve(small, time_limit=3)
    assert check(small, solution.routes, solution.unassigned) == [] and not solution.unassigned


def test_departure_waits_at_the_kitchen_rather_than_at_the_door_for_hot_meals():
    import numpy as np

    from dispatch.routing import Depot, Problem, Stop, TimeWindow, Worker

    stops = (Stop("near", hot_meal=True, depot="k", windows=(TimeWindow(100, 110),)),
             Stop("far", hot_meal=True, depot="k"))
    xs = np.array([10, 200, 0, 0])
    matrix = np.abs(xs[:, None] - xs[None, :]).astype(np.int64)
    problem = Problem(stops, (Worker("w", TimeWindow(0, 1000), depot="k"),), {"car": matrix},
                      (Depot("k", hold_limit=150),))
    search, _ = _search(problem)
    # Leaving at 0 holds the meal 100 s at the door; leaving as late as the window allows
    # (100, at the door at 110) holds it 10 s.
    assert search.departure(0, [0]) == (100, None)
    assert _timing_ok(problem, 0, [0], 100) and _timing_ok(problem, 0, [0], 0)
    problem = Problem(problem.stops, problem.workers, problem.matrices, (Depot("k", hold_limit=50),))
    search, _ = _search(problem)
    assert search.departure(0, [0]) == (100, None)
    assert not _timing_ok(problem, 0, [0], 0)
    # The far meal is 200 s away: beyond the 150 s limit on any route.
    assert search.departure(0, [1]) is None
    assert search.departure(0, [0, 1]) is None


def test_departure_leaves_early_when_leaving_late_would_wait_for_a_later_window():
    """Found by the property test above. B is open 200-210 and again 500-510. Leaving as late as
    the windows allow (350) reaches B at 450, waits for 500 and works 200 s; leaving by 110
    catches B's first window and works 150 s. Under a 160 s cap only the early departure fits."""
    import numpy as np

    from dispatch.routing import Depot, Problem, Stop, TimeWindow, Worker

    stops = (Stop("A", windows=(TimeWindow(100, 400),)),
             Stop("B", windows=(TimeWindow(200, 210), TimeWindow(500, 510))))
    matrix = np.array([[0, 50, 50, 50], [50, 0, 50, 50], [50, 50, 0, 0], [50, 50, 0, 0]])
    worker = Worker("w", TimeWindow(0, 1000), depot="k", max_work=160)
    problem = Problem(stops, (worker,), {"car": matrix}, (Depot("k"),))
    search, _ = _search(problem)
    assert not _timing_ok(problem, 0, [0, 1], 350)
    assert search.departure(0, [0, 1]) == (110, None)
    assert _timing_ok(problem, 0, [0, 1], 110) and not _timing_ok(problem, 0, [0, 1], 111)


def test_polish_keeps_pinned_heads_and_locked_workers():
    """Served or locked stops stay put: a pinned head keeps its place, a lock keeps its worker."""
    from dataclasses import replace

    from conftest import line_problem

    from dispatch.routing import Problem

    base = line_problem([10, 11, 12, -10, -11, -12], workers=2)
    stops = list(base.stops)
    # s5 (at -12) was already served by w0 first, on the way to the other side; s1 (at 11) is
    # locked to w1. Without the pin, s5 would go with -10 and -11.
    stops[5] = replace(stops[5], pinned_worker="w0", pinned_position=0, served=True)
    stops[1] = replace(stops[1], pinned_worker="w1")
    problem = Problem(tuple(stops), base.workers, base.matrices)
    search, allowed = _search(problem)
    locked = 1
    assert allowed[locked] == [1]
    start = [[5, 0, 2], [3, 1, 4]]
    best, cost, _ = search.run(start, math.inf, max_iterations=300)
    assert best[0][0] == 5
    assert locked in best[1]
    assert cost <= search.plan_cost(start, [])
    assert check(problem, _as_routes(problem, search, best)) == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 5))
def test_compiled_and_fallback_engines_make_the_same_plan(problem, seed):
    """Both paths run the same kernels on the same numbers and draw from the same generator."""
    first = solve(problem, time_limit=0.3, polish=False)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    start = [[index[s] for s in r.stops] for r in first.routes]
    runs = [_search(problem, seed, engine)[0].run(start, math.inf, max_iterations=60) for engine in ENGINE_NAMES]
    assert runs[0] == runs[1]


def test_the_engine_says_which_path_it_runs(monkeypatch):
    from conftest import line_problem

    problem = line_problem([1, 2], workers=1)
    assert _search(problem, engine="python")[0].engine == "python"
    assert _search(problem, engine="compiled")[0].engine == "compiled"
    monkeypatch.setenv("DOORSTEP_ENGINE", "python")
    assert _search(problem)[0].engine == "python"
    monkeypatch.setenv("DOORSTEP_ENGINE", "fast")
    with pytest.raises(ValueError):
        _search(problem)


def test_the_install_says_whether_it_runs_compiled_or_fell_back(monkeypatch):
    """What `doorstep demo` prints: a machine without numba is told it plans on the fallback."""
    from dispatch.routing.engine import backend

    monkeypatch.delenv("DOORSTEP_ENGINE", raising=False)  # the suite may itself run on the fallback
    assert backend.describe().startswith("compiled by numba ")
    monkeypatch.setenv("DOORSTEP_ENGINE", "python")
    assert "DOORSTEP_ENGINE=python" in backend.describe()
    monkeypatch.delenv("DOORSTEP_ENGINE")
    monkeypatch.setitem(backend.loaded, "compiled", None)  # as after a failed `import numba`
    assert backend.describe() == "pure-Python fallback: numba is not installed (about a tenth of the compiled speed)"
    with pytest.raises(RuntimeError, match="needs numba"):
        backend.choose("compiled")


def test_an_iteration_budget_repeats_the_plan():
    """`solution_limit` + `search_iterations`: a fixed amount of search, so the same plan every time."""
    from conftest import line_problem

    problem = line_problem([10, 11, 12, 13, -10, -11, -12, -13, 5, -5], workers=3, capacity=4,
                           demands=[1] * 10)
    plans = [solve(problem, time_limit=30, solution_limit=1, search_iterations=400, seed=2) for _ in range(2)]
    assert [r.stops for r in plans[0].routes] == [r.stops for r in plans[1].routes]
    assert check(problem, plans[0].routes, plans[0].unassigned) == [] and not plans[0].unassigned
    assert "polished" in plans[0].status or plans[0].cost <= solve(problem, time_limit=30, solution_limit=1,
                                                                    polish=False).cost
