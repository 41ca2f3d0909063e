"""The realistic site at a short limit against a long one, over several generated sites and seeds.

    python tests/bench/site_runs.py [--sites 0,1,2,3,4] [--runs 10] [--short 10] [--long 120] [--json F]

Issue 21's target: "the realistic site (200 meals, 20 visits, 20 workers, hold limit 45 min): 10 s within
1 % of a 120 s solve in 10 runs of 10, across five generated sites". Each site is `site_day.site(seed)`
(usual workers taken from yesterday's plan). Per site: one solve at `--long` seconds (seed 0) is the
reference; `--runs` solves at `--short` seconds with seeds 0..runs-1 are compared with it by plan cost
(travel plus continuity charges; `site_day`'s measure) when they leave no more stops out. Every plan is
checked by the independent checker (`dispatch.routing.checker.check`), never the solver's own word.

Run two of these side by side on a two-core machine, one site list each, pinned with `taskset -c 0` and
`taskset -c 1`: a site's runs then share the machine with the other's, as a real server would.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from site_day import site  # noqa: E402

from dispatch.routing import solve  # noqa: E402
from dispatch.routing.checker import check  # noqa: E402
from dispatch.routing.solver import plan_cost  # noqa: E402


def run(problem, limit: float, seed: int) -> dict:
    began = time.monotonic()
    cpu = time.process_time()
    solution = solve(problem, time_limit=limit, seed=seed)
    violations = check(problem, solution.routes, solution.unassigned)
    return dict(limit=limit, seed=seed, wall=round(time.monotonic() - began, 2),
                cpu=round(time.process_time() - cpu, 2), plan_cost=plan_cost(solution),
                travel=solution.travel_time, unassigned=len(solution.unassigned),
                violations=[str(v) for v in violations[:3]], load=round(os.getloadavg()[0], 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", default="0,1,2,3,4")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--short", type=float, default=10.0)
    parser.add_argument("--long", type=float, default=120.0)
    parser.add_argument("--json", help="also write every run to this file")
    args = parser.parse_args(argv)
    out = []
    for seed in (int(s) for s in args.sites.split(",")):
        problem = site(seed)  # generated outside every clock (it solves "yesterday" first)
        long = run(problem, args.long, 0)
        print(json.dumps({"site": seed, "long": long}), flush=True)
        shorts = []
        for k in range(args.runs):
            short = run(problem, args.short, k)
            short["gap"] = round(100 * (short["plan_cost"] - long["plan_cost"]) / long["plan_cost"], 3)
            shorts.append(short)
            print(json.dumps({"site": seed, "short": short}), flush=True)
        comparable = [s["gap"] for s in shorts if s["unassigned"] <= long["unassigned"]]
        row = dict(site=seed, long=long, shorts=shorts,
                   mean_gap=round(statistics.mean(comparable), 3) if comparable else None,
                   worst_gap=max(comparable) if comparable else None,
                   more_left_out=sum(1 for s in shorts if s["unassigned"] > long["unassigned"]),
                   infeasible=sum(1 for s in shorts + [long] if s["violations"]))
        out.append(row)
        print(f"site {seed}: {args.long:g} s cost {long['plan_cost']} ({long['unassigned']} out); "
              f"{args.runs} x {args.short:g} s: mean gap {row['mean_gap']} %, worst {row['worst_gap']} %, "
              f"{row['more_left_out']} leave more out, {row['infeasible']} infeasible", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    gaps = [s["gap"] for r in out for s in r["shorts"] if s["unassigned"] <= r["long"]["unassigned"]]
    if gaps:
        print(f"all sites: mean gap {statistics.mean(gaps):.2f} %, worst {max(gaps):.2f} %, "
              f"{sum(1 for g in gaps if g <= 1.0)} of {len(gaps)} runs within 1 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
