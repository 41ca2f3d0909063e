"""A fixed amount of search against a time limit, on generated sites: cost, wall time, and whether it repeats.

    python tests/bench/fixed_search.py [--seeds 0,1,2,3,4] [--time-limit 10]

For each generated site (tests/bench/site_day.py: 200 hot lunches, 20 visits, 20 workers) the planning
service's default budget (PLAN_SEARCH=fixed: 50 OR-Tools solutions, 1000 engine iterations per stop) is
run twice, and a time-limited search once, one after the other on the same core. Reports each plan's cost
(travel + continuity, no drop penalties), stops left out, wall time, and whether the two fixed runs gave
identical routes; writes a section into RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from site_day import site  # noqa: E402

from dispatch.routing import solve  # noqa: E402
from dispatch.routing.options import SolveOptions  # noqa: E402
from dispatch.routing.solver import plan_cost  # noqa: E402

SOLUTIONS, PER_STOP, CAP = 50, 1000, 4


def routes(solution) -> dict:
    return {r.worker_id: r.stops for r in solution.routes if r.stops}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--time-limit", type=float, default=10)
    args = ap.parse_args()
    rows = []
    for seed in [int(x) for x in args.seeds.split(",")]:
        problem = site(seed=seed)
        fixed = SolveOptions(solution_limit=SOLUTIONS, search_iterations=PER_STOP * len(problem.stops),
                             time_limit=args.time_limit * CAP)
        out = {}
        for name, options in (("fixed", fixed), ("again", fixed), ("time", SolveOptions(time_limit=args.time_limit))):
            began = time.monotonic()
            solution = solve(problem, options)
            wall = time.monotonic() - began
            assert solution.is_feasible(), solution.violations()
            out[name] = (solution, wall)
        same = routes(out["fixed"][0]) == routes(out["again"][0])
        cf, ct = plan_cost(out["fixed"][0]), plan_cost(out["time"][0])
        rows.append((seed, len(problem.stops), cf, len(out["fixed"][0].unassigned), out["fixed"][1], out["again"][1],
                     same, ct, len(out["time"][0].unassigned), out["time"][1], 100.0 * (cf - ct) / ct))
        print(f"seed {seed}: fixed {cf} ({out['fixed'][1]:.1f} s, again {out['again'][1]:.1f} s, "
              f"{'same' if same else 'DIFFERENT'}), time {ct} ({out['time'][1]:.1f} s): {rows[-1][-1]:+.2f} %",
              flush=True)
    mean = sum(r[-1] for r in rows) / len(rows)
    lines = [f"## Fixed amount of search vs time limit ({dt.date.today().isoformat()})", "",
             f"* command: `python tests/bench/fixed_search.py {' '.join(sys.argv[1:])}`".rstrip(),
             f"* fixed: {SOLUTIONS} OR-Tools solutions + {PER_STOP} engine iterations per stop (the planning "
             f"service's default, `PLAN_SEARCH=fixed`); time: {args.time_limit:g} s", "",
             "| seed | stops | fixed cost | left out | wall | again | same routes | time cost | left out | wall | fixed vs time |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} s | {r[5]:.1f} s | {'yes' if r[6] else 'NO'} | "
                     f"{r[7]} | {r[8]} | {r[9]:.1f} s | {r[10]:+.2f} % |")
    lines += ["", f"Mean: fixed is {mean:+.2f} % against the time-limited search; "
              f"{sum(r[6] for r in rows)} of {len(rows)} sites gave identical routes twice.", ""]
    print("\n".join(lines))
    with open(HERE / "RESULTS.md", "a") as fh:
        fh.write("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
