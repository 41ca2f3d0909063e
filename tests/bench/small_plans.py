"""How long plans of 1 to 160 stops take at the planning service's 10 s limit, and what they cost.

    python tests/bench/small_plans.py [--limit 10] [--seed 0]

Small plans converge long before the limit; the solver stops them early (`SolveOptions.
small_plan_stops`, `small_plan_ortools`, `converged_iterations_per_stop`). Sizes are cut from
`site_day.py`'s generator (usual workers random, so no yesterday's plan is solved first).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from site_day import site  # noqa: E402

from dispatch.routing import check, solve  # noqa: E402
from dispatch.routing.solver import plan_cost  # noqa: E402

SIZES = [(1, 0, 3, 1), (0, 1, 5, 5), (24, 0, 4, 1), (40, 5, 6, 2), (88, 0, 9, 1), (150, 10, 15, 3)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| meals + visits | workers | wall s | plan cost | left out | checker |")
    print("|---|---:|---:|---:|---:|---|")
    for meals, visits, workers, carers in SIZES:
        problem = site(args.seed, meals=meals, visits=visits, workers=workers, caregivers=carers,
                       continuity="random")
        began = time.monotonic()
        solution = solve(problem, time_limit=args.limit, seed=args.seed)
        wall = time.monotonic() - began
        violations = check(problem, solution.routes, solution.unassigned)
        print(f"| {meals} + {visits} | {workers} | {wall:.1f} | {plan_cost(solution)} | {len(solution.unassigned)} "
              f"| {'passes' if not violations else f'{len(violations)} violations'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
