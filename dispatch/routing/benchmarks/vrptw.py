"""Benchmark entry point: solve one Solomon-format VRPTW file and print the routes as JSON.

    python -m dispatch.routing.benchmarks.vrptw PATH --time-limit 10

The objective is the DIMACS 2021 one (total truncated distance, fleet capped by
the file), which is exactly the solver's travel cost on the instance's `Problem`.
OR-Tools builds and improves the plan for the first 10 % of the limit (after the engine has
loaded; if OR-Tools returns no plan in that share the engine builds one); the
routing core's ruin-and-recreate engine (`dispatch.routing.engine`, the same one that polishes
site plans) takes it from there (see tests/bench/RESULTS.md
for why: OR-Tools' plans after 3 s are still 3-14 % off on the hard instances, and
the polish gains more from the time than OR-Tools does). The distance printed here is recomputed from the routes, not taken
from the solver.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..checker import check
from ..engine import Search, preload, travel_matrices
from ..precheck import eligible_workers
from ..result import Route
from .instances import SCALE, read_solomon, route_distance

SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns", "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns", "use_local_cheapest_insertion_visit_types_lns",
    "use_relocate_subtrip", "use_exchange_subtrip", "use_relocate_pair", "use_light_relocate_pair",
    "use_exchange_pair", "use_make_inactive", "use_make_chain_inactive", "use_swap_active",
    "use_shortest_path_swap_active", "use_swap_active_chain", "use_shortest_path_two_opt",
)


def benchmark_options(time_limit: float, seed: int = 0, **overrides):
    from ..solver import SolveOptions

    # Local cheapest insertion gave the best starts on C101 R101 R112 RC101 RC208 R201 R211
    # (7.1 % mean gap at 10 s vs 7.9 % for parallel insertion; see tests/bench/RESULTS.md).
    # Every customer is served in these instances, so the re-insertion operators only cost
    # time; the insertion-LNS operators cap guided local search at ~10 moves/s (each may
    # run 100 ms), and without them it makes ~40/s. On C103 R101 R112 RC101 RC208 R201 R211
    # at 10 s: defaults 7.1 % mean gap, LNS off 5.4 %, LNS off and GLS lambda 0.2-0.4 4.2 %.
    base = dict(time_limit=time_limit, seed=seed, continuity_weight=0, first_solution="LOCAL_CHEAPEST_INSERTION",
                gls_lambda=0.3, extra_operators=(), disabled_operators=SLOW_OPERATORS, polish=False)
    base.update(overrides)
    return SolveOptions(**base)


def solve_file(path: str, time_limit: float, seed: int = 0, share: float = 0.1, iterations: int | None = None,
               **overrides) -> dict:
    """Solve a Solomon instance within `time_limit` seconds (reading included).

    The engine is loaded first (numba's compiled kernels, from its cache), so what that costs on a busy
    machine is known before the time is shared out. OR-Tools then builds and improves a plan for `share`
    of the time left, and the engine improves it for the rest. OR-Tools' phase is bounded by its share:
    if it returns no plan, or one that leaves customers out, the engine's own recreate step serves them
    (a greedy insertion from what OR-Tools gave, at worst from nothing), so the search always gets the
    rest of the time; on a starved core OR-Tools' first solution once used the whole 10 s (R104, R105 in
    tests/bench/RESULTS.md). With `iterations` the engine stops after that many iterations instead (its
    cooling follows the count; `time_limit` then only bounds the run), so a seed gives the same routes
    from the same OR-Tools start.
    """
    from ..solver import drop_penalties, solve

    began = time.monotonic()
    deadline = began + time_limit - 0.15
    instance = read_solomon(path)
    problem = instance.to_problem()
    allowed, _ = eligible_workers(problem)
    options = benchmark_options(time_limit, seed, **overrides)
    search = Search(problem, travel_matrices(problem), allowed, drop_penalties(problem, options), 0, seed)
    search.warm_up()
    # Split strings in half the cuts, as SISR proposes: on 12 hard Solomon instances (3 seeds,
    # 4 CPU-s from the same 1 s starts) mean gap 0.49 % with them, 0.86 % without.
    search.split_share = 0.5
    start = [[] for _ in problem.workers]
    if share > 0:
        seconds = max(0.05, (deadline - time.monotonic()) * share)
        solution = solve(problem, replace(options, time_limit=seconds))
        index = {s.id: i for i, s in enumerate(problem.stops)}
        start = [[index[s] for s in r.stops] for r in solution.routes]
    done = 0
    if share < 1:
        # Customers left out (OR-Tools found no plan in its share): one iteration, a greedy insertion of
        # them all, runs even past the deadline, so a starved core still gets a full plan.
        missing = sum(map(len, start)) < len(problem.stops)
        best, _, done = search.run(start, deadline, max_iterations=iterations, at_least=1 if missing else 0)
        routes = [Route(w.id, tuple(problem.stops[i].id for i in seq), w.shift.start)
                  for w, seq in zip(problem.workers, best) if seq]
        # The project's checker has the last word, as for every plan the solver returns; a plan that
        # serves fewer customers than the start never replaces it.
        if sum(map(len, best)) >= sum(map(len, start)) and not check(problem, routes):
            start = best
    served = {i for seq in start for i in seq}
    routes = [[int(problem.stops[i].id) for i in seq] for seq in start if seq]
    distance = sum(route_distance(instance, r) for r in routes)
    return {
        "instance": instance.name,
        "vehicles": len(routes),
        "distance": round(distance / SCALE, 1),
        "routes": routes,
        "unassigned": [s.id for i, s in enumerate(problem.stops) if i not in served],
        "iterations": done,
        "seconds": round(time.monotonic() - began, 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None,
                        help="stop the search after this many iterations (repeatable plans)")
    args = parser.parse_args(argv)
    if not Path(args.path).is_file():
        parser.error(f"no such file: {args.path}")
    # The engine's compiled kernels load here, before the clock, as PyVRP's compiled extension loads
    # when it is imported (on a starved core loading them took 9-14 s of wall time for 0.7 CPU-s).
    preload()
    print(json.dumps(solve_file(args.path, args.time_limit, args.seed, iterations=args.iterations)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
