"""The engine alone on VRPTW instances, by CPU time, from cached OR-Tools starts: how search settings compare.

    python tests/bench/vrptw_variants.py [--set solomon] [--only R112,RC207] [--seeds 0,1,2] [--cpu 5]
                                         [--start 1] [--set-option split_share=0.5 ...]

For each instance OR-Tools runs once for `--start` seconds (the benchmark options; cached in the temp
directory), then the engine gets `--cpu` seconds of CPU time (`time.process_time`, so other processes'
load matters little) per seed. Gaps are checked by `vrptw.py`'s own reader and checker.
"""

from __future__ import annotations

import argparse
import ast
import csv
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from vrptw import DEFAULT_DATA, read_instance, verify  # noqa: E402

from dispatch.routing import solve  # noqa: E402
from dispatch.routing.benchmarks.instances import read_solomon  # noqa: E402
from dispatch.routing.benchmarks.vrptw import benchmark_options  # noqa: E402
from dispatch.routing.engine import Search, travel_matrices  # noqa: E402
from dispatch.routing.precheck import eligible_workers  # noqa: E402
from dispatch.routing.solver import drop_penalties  # noqa: E402

HARD = "R101,RC101,R112,RC201,R205,RC105,R108,RC206,RC207,R211,RC208,R104"


def start_of(path: Path, seconds: float):
    cache = Path(tempfile.gettempdir()) / f"doorstep_vrptw_start_{path.stem}_{seconds:g}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    problem = read_solomon(path).to_problem()
    solution = solve(problem, benchmark_options(seconds))
    index = {s.id: i for i, s in enumerate(problem.stops)}
    value = (problem, [[index[s] for s in r.stops] for r in solution.routes])
    cache.write_bytes(pickle.dumps(value))
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="which", default="solomon")
    parser.add_argument("--only", default=HARD)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--cpu", type=float, default=5.0)
    parser.add_argument("--start", type=float, default=1.0)
    parser.add_argument("--set-option", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    overrides = {k: ast.literal_eval(v) for k, _, v in (x.partition("=") for x in args.set_option)}
    bks = {r["instance"]: float(r["distance"]) for r in csv.DictReader(open(DEFAULT_DATA / "bks.csv"))}
    gaps = []
    for name in args.only.split(","):
        path = DEFAULT_DATA / "instances" / args.which / f"{name}.txt"
        problem, start = start_of(path, args.start)
        allowed, _ = eligible_workers(problem)
        penalties = drop_penalties(problem, benchmark_options(1))
        for seed in map(int, args.seeds.split(",")):
            search = Search(problem, travel_matrices(problem), allowed, penalties, 0, seed)
            for key, value in overrides.items():
                if not hasattr(search, key):
                    parser.error(f"the engine has no setting {key!r}")
                setattr(search, key, value)
            search.warm_up()
            best, _, iterations = search.run(start, time.process_time() + args.cpu, clock=time.process_time)
            routes = [[int(problem.stops[i].id) for i in r] for r in best if r]
            total, errors = verify(read_instance(path), routes)
            gap = 100 * (total / 10 - bks[name]) / bks[name]
            gaps.append(gap)
            print(f"{name:7} seed {seed}: gap {gap:.2f} %{' INFEASIBLE ' + str(errors[:1]) if errors else ''}, "
                  f"{iterations} iterations", flush=True)
    print(f"settings {overrides or 'default'}: {len(gaps)} runs, mean gap {sum(gaps) / len(gaps):.2f} %, "
          f"worst {max(gaps):.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
