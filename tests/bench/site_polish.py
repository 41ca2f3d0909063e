"""The site plan polish alone, by CPU time, from cached OR-Tools starts: how search changes compare.

    python tests/bench/site_polish.py [--seeds 0,1,2] [--runs 0,1,2,3] [--cpu 7] [--start 3]
                                      [--set temperatures=(0.5,0.01) --set restart=0 ...]

For each generator seed of `site_day.py` (usual workers from yesterday's plan), OR-Tools runs once for
`--start` seconds without the polish and its plan is cached in the temp directory; then `PlanPolish.run`
gets `--cpu` seconds of CPU time (`time.process_time`, so another process's load does not decide) with
each polish seed of `--runs`. Prints the plan cost (travel + continuity charges, penalties left out),
the stops left out and the iterations of every run: the figures behind RESULTS.md's site experiments.
"""

from __future__ import annotations

import argparse
import ast
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from site_day import site  # noqa: E402

from dispatch.routing import solve  # noqa: E402
from dispatch.routing.engine import Search as PlanPolish  # noqa: E402
from dispatch.routing.ortools_model import Model  # noqa: E402
from dispatch.routing.precheck import eligible_workers  # noqa: E402
from dispatch.routing.solver import SolveOptions, drop_penalties  # noqa: E402


def start_of(seed: int, seconds: float):
    """The generated site and OR-Tools' plan after `seconds` (stop indices per worker), cached."""
    path = Path(tempfile.gettempdir()) / f"doorstep_site_start_{seed}_{seconds:g}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    problem = site(seed)
    solution = solve(problem, time_limit=seconds, seed=seed, polish=False)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    start = [[index[s] for s in r.stops] for r in solution.routes]
    path.write_bytes(pickle.dumps((problem, start)))
    return problem, start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--runs", default="0,1,2,3")
    parser.add_argument("--cpu", type=float, default=7.0)
    parser.add_argument("--start", type=float, default=3.0)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a PlanPolish setting (temperatures, restart, avg_removed, max_string, ...)")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name] = ast.literal_eval(value)
    options = SolveOptions()
    for seed in map(int, args.seeds.split(",")):
        problem, start = start_of(seed, args.start)
        allowed, _ = eligible_workers(problem)
        model = Model(problem, options, allowed)
        penalty = drop_penalties(problem, options)
        costs = []
        for run in map(int, args.runs.split(",")):
            search = PlanPolish(problem, model.travel, allowed, penalty, options.continuity_weight, run)
            for name, value in overrides.items():
                if not hasattr(search, name):
                    parser.error(f"PlanPolish has no setting {name!r}")
                setattr(search, name, value)
            best, cost, iterations = search.run(start, time.process_time() + args.cpu, clock=time.process_time)
            placed = {i for r in best for i in r}
            out = [i for i in range(len(problem.stops)) if i not in placed and allowed[i]]
            plan = cost - sum(penalty[i] for i in out)
            costs.append(plan)
            print(f"seed {seed} run {run}: plan cost {plan}, {len(out)} left out, {iterations} iterations",
                  flush=True)
        print(f"seed {seed}: mean plan cost {sum(costs) / len(costs):.0f} (load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
