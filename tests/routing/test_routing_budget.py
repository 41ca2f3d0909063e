"""When OR-Tools' share of the time gives no plan (a starved core, a stuck insertion heuristic), the engine
builds one and searches for the rest: the answer is still a full, checker-valid plan.

OR-Tools is made to find nothing in ways that do not depend on the machine: on the site, a search text
with a time limit of one nanosecond (every limit check fails: status "time limit before any solution";
before the engine built plans, this site came back empty, "no solution found");
on the benchmark path, OR-Tools' first solution with every customer left out and a limit of one
solution. The engine's iteration budget bounds the search, so nothing here depends on the clock.
"""

from dataclasses import replace

from conftest import line_problem, tiny_solomon_file

from dispatch.routing import Problem, Route, check, solve
from dispatch.routing.benchmarks.instances import read_solomon
from dispatch.routing.benchmarks.vrptw import solve_file

NOTHING_IN_TIME = "time_limit { nanos: 1 }"


def site():
    base = line_problem([10, 11, 12, 13, -10, -11, -12, -13, 5, -5], workers=3, capacity=4, demands=[1] * 10,
                        windows=[None, (0, 60), None, None, (0, 40), None, None, None, None, None])
    stops = list(base.stops)
    # A stop already served first by w2 stays at the head of w2's route.
    stops[8] = replace(stops[8], pinned_worker="w2", pinned_position=0, served=True)
    return Problem(tuple(stops), base.workers, base.matrices)


def test_the_engine_builds_the_site_plan_when_or_tools_finds_none():
    problem = site()
    solution = solve(problem, time_limit=30, search_iterations=400, seed=1, search_text=NOTHING_IN_TIME)
    assert solution.status == "built by the engine"
    assert not solution.unassigned
    assert check(problem, solution.routes, solution.unassigned) == []
    assert solution.routes[2].stops[0] == "s8"


def test_the_benchmark_path_builds_a_plan_when_or_tools_finds_none(tmp_path):
    path = tiny_solomon_file(tmp_path, "TINY10", 10, seed=3, vehicles=10)
    # OR-Tools' plan: its first solution, every customer left out.
    result = solve_file(path, 30, seed=0, iterations=300, first_solution="ALL_UNPERFORMED", solution_limit=1)
    assert result["unassigned"] == [] and result["iterations"] == 300
    assert sorted(c for r in result["routes"] for c in r) == list(range(1, 11))
    problem = read_solomon(path).to_problem()
    routes = [Route(w.id, tuple(str(c) for c in r), w.shift.start) for w, r in zip(problem.workers, result["routes"])]
    assert check(problem, routes) == []


def test_a_start_that_leaves_stops_out_gets_a_full_plan_even_past_the_deadline():
    """On a starved core the deadline may pass before the engine starts: `at_least=1` still runs one
    iteration, a greedy insertion of every stop left out (the clock here never reaches the deadline's
    side: it is already past it)."""
    from dispatch.routing.engine import Search, travel_matrices
    from dispatch.routing.precheck import eligible_workers
    from dispatch.routing.solver import SolveOptions, drop_penalties

    problem = site()
    allowed, _ = eligible_workers(problem)
    for engine in ("compiled", "python"):
        search = Search(problem, travel_matrices(problem), allowed, drop_penalties(problem, SolveOptions()), 600, 0,
                        engine=engine)
        heads = [[], [], [8]]
        assert search.run(heads, 0.0, clock=lambda: 1.0)[2] == 0
        best, _, iterations = search.run(heads, 0.0, clock=lambda: 1.0, at_least=1)
        assert iterations == 1 and sorted(i for r in best for i in r) == list(range(10)) and best[2][0] == 8
        routes = [Route(w.id, tuple(problem.stops[i].id for i in r), search.departure(v, r)[0])
                  for v, (w, r) in enumerate(zip(problem.workers, best))]
        assert check(problem, routes) == []


def test_preload_loads_the_engine_once_for_the_process():
    from dispatch.routing.engine import preload

    assert preload("python") == "python"
    assert preload("compiled") == "compiled"
