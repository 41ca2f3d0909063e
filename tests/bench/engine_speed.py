"""Iterations per CPU-second of the ruin-and-recreate engine, on the generated site and on R1_2_1.

    python tests/bench/engine_speed.py [--cpu 5] [--seeds 0,1] [--which site,R1_2_1] [--engine NAME]

Both start from a cached OR-Tools plan (the site: 3 s, as a 10 s solve's 30 % share; R1_2_1: 1 s, as a
10 s benchmark solve's 10 %), then the engine runs for `--cpu` seconds of this process's CPU time
(`time.process_time`), so other processes' load does not change the figure much. `--engine`:

* `engine` (default): `dispatch.routing.engine.Search`, compiled hot loops when numba is there
  (`DOORSTEP_ENGINE=python` forces the pure-Python fallback);
* `plan_polish`, `sisr`: the two searches before the single engine (the site's and the benchmark
  path's), for "before" figures: `BENCH_REPO=/path/to/a/copy/of/0e07a90 python tests/bench/engine_speed.py
  --engine plan_polish` (run from that copy).

The first call's JIT compile (or cache load) is reported apart and left out of the rate.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# BENCH_REPO measures another tree's code (e.g. an older commit's copy) with this script.
sys.path.insert(0, os.environ.get("BENCH_REPO", str(REPO)))
sys.path.insert(0, str(HERE))

from vrptw import DEFAULT_DATA  # noqa: E402

from dispatch.routing import solve  # noqa: E402
from dispatch.routing.precheck import eligible_workers  # noqa: E402
from dispatch.routing.solver import SolveOptions, drop_penalties  # noqa: E402


def travel_matrices(problem):
    """As the engine sees travel: an open route's way back is free (here so older trees work too)."""
    travel = {}
    for mode, mat in problem.matrices.items():
        t = mat.copy()
        for v, w in enumerate(problem.workers):
            if not w.returns:
                t[:, problem.end_node(v)] = 0
        travel[mode] = t
    return travel


def cached(name: str, make):
    path = Path(tempfile.gettempdir()) / f"doorstep_engine_speed_{name}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.write_bytes(pickle.dumps(value))
    return value


def site_start():
    from site_day import site

    problem = site(0)
    solution = solve(problem, time_limit=3, seed=0, polish=False)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    return problem, [[index[s] for s in r.stops] for r in solution.routes], SolveOptions().continuity_weight


def r121_start():
    from dispatch.routing.benchmarks.instances import read_solomon
    from dispatch.routing.benchmarks.vrptw import benchmark_options

    problem = read_solomon(DEFAULT_DATA / "instances" / "gh200" / "R1_2_1.txt").to_problem()
    solution = solve(problem, benchmark_options(1.0))
    index = {s.id: i for i, s in enumerate(problem.stops)}
    return problem, [[index[s] for s in r.stops] for r in solution.routes], 0


def run_engine(problem, start, cw, seed, cpu, old=False):
    if old:
        from dispatch.routing.plan_polish import PlanPolish as Search
    else:
        from dispatch.routing.engine import Search

    allowed, _ = eligible_workers(problem)
    options = SolveOptions(continuity_weight=cw)
    t0 = time.process_time()
    search = Search(problem, travel_matrices(problem), allowed, drop_penalties(problem, options), cw, seed)
    if hasattr(search, "warm_up"):
        search.warm_up()
    setup = time.process_time() - t0
    t0 = time.process_time()
    _, cost, iterations = search.run(start, time.process_time() + cpu, clock=time.process_time)
    return iterations, time.process_time() - t0, cost, setup


def run_sisr(problem, start, cw, seed, cpu):
    from dispatch.routing.benchmarks.instances import SCALE, read_solomon
    from dispatch.routing.benchmarks.polish import Vrptw, improve

    raw = read_solomon(DEFAULT_DATA / "instances" / "gh200" / "R1_2_1.txt")
    scaled = [tuple(v * SCALE for v in col) for col in (raw.ready, raw.due, raw.service)]
    inst = Vrptw(raw.distances().tolist(), *scaled, raw.demand, raw.capacity, raw.vehicles)
    routes = [[int(problem.stops[i].id) for i in r] for r in start if r]
    counted = []
    clock = time.process_time

    def counting():
        counted.append(1)
        return clock()

    t0 = clock()
    _, cost = improve(inst, routes, clock() + cpu, seed, clock=counting)
    return len(counted) - 2, clock() - t0, cost, 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=float, default=5.0)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--which", default="site,R1_2_1")
    parser.add_argument("--engine", default="engine", choices=["engine", "plan_polish", "sisr"])
    args = parser.parse_args(argv)
    starts = {"site": lambda: cached("site0", site_start), "R1_2_1": lambda: cached("R1_2_1", r121_start)}
    runners = {"engine": run_engine, "sisr": run_sisr,
               "plan_polish": lambda *a: run_engine(*a, old=True)}
    runner = runners[args.engine]
    print(f"engine {args.engine}, DOORSTEP_ENGINE={os.environ.get('DOORSTEP_ENGINE', '')!r}, "
          f"load {os.getloadavg()[0]:.1f}")
    for which in args.which.split(","):
        problem, start, cw = starts[which]()
        for seed in map(int, args.seeds.split(",")):
            iterations, cpu, cost, setup = runner(problem, start, cw, seed, args.cpu)
            print(f"{which:7} seed {seed}: {iterations} iterations in {cpu:.2f} CPU-s = "
                  f"{iterations / cpu:,.0f} /CPU-s, cost {cost}, set-up + warm-up {setup:.2f} CPU-s", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
