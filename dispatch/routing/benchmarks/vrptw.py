"""Benchmark entry point: solve one Solomon-format VRPTW file and print the routes as JSON.

    python -m dispatch.routing.benchmarks.vrptw PATH --time-limit 10

The objective is the DIMACS 2021 one (total truncated distance, fleet capped by
the file), which is exactly the solver's travel cost on the instance's `Problem`.
OR-Tools builds and improves the plan for the first 10 % of the limit; the
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
from pathlib import Path

from ..checker import check
from ..engine import Search, travel_matrices
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

    OR-Tools builds and improves a plan for `share` of the time, then the engine improves it for
    the rest. With `iterations` the engine stops after that many iterations instead (its cooling
    follows the count; `time_limit` then only bounds the run), so a seed gives the same routes
    from the same OR-Tools start.
    """
    from ..solver import drop_penalties, solve

    began = time.monotonic()
    deadline = began + time_limit - 0.15
    instance = read_solomon(path)
    problem = instance.to_problem()
    remaining = max(0.5, (deadline - time.monotonic()) * share)
    options = benchmark_options(remaining, seed, **overrides)
    solution = solve(problem, options)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    start = [[index[s] for s in r.stops] for r in solution.routes]
    unassigned = [u.stop_id for u in solution.unassigned]
    done = 0
    if not unassigned and share < 1:
        allowed, _ = eligible_workers(problem)
        search = Search(problem, travel_matrices(problem), allowed, drop_penalties(problem, options), 0, seed)
        # Split strings in half the cuts, as SISR proposes: on 12 hard Solomon instances (3 seeds,
        # 4 CPU-s from the same 1 s starts) mean gap 0.49 % with them, 0.86 % without.
        search.split_share = 0.5
        best, _, done = search.run(start, deadline, max_iterations=iterations)
        routes = [Route(w.id, tuple(problem.stops[i].id for i in seq), w.shift.start)
                  for w, seq in zip(problem.workers, best) if seq]
        # The project's checker has the last word, as for every plan the solver returns.
        if sum(map(len, best)) == len(problem.stops) and not check(problem, routes):
            start = best
    routes = [[int(problem.stops[i].id) for i in seq] for seq in start if seq]
    distance = sum(route_distance(instance, r) for r in routes)
    return {
        "instance": instance.name,
        "vehicles": len(routes),
        "distance": round(distance / SCALE, 1),
        "routes": routes,
        "unassigned": unassigned,
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
    print(json.dumps(solve_file(args.path, args.time_limit, args.seed, iterations=args.iterations)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
