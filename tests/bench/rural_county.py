"""Plan the generated rural county (trunk runs, then walked rounds) at the default time budget; target ≤ 20 s.

    python tests/bench/rural_county.py [--seed 0 --seed 1 ...] [--limit 5]

Prints each van's run (km, minutes, points in order), the rounds per point, meals served, the
oldest meal against the insulated limit, what `check_network` and each leg's `checker.check`
say, and the wall time. Hold figures are recomputed from the routes with `checker.walk`, not
read from the solver's visits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from dispatch.routing import SolveOptions, check  # noqa: E402
from dispatch.routing.benchmarks.county import generate_county  # noqa: E402
from dispatch.routing.checker import walk  # noqa: E402
from dispatch.routing.network_check import check_network  # noqa: E402
from dispatch.routing.network_plan import plan_network  # noqa: E402
from dispatch.routing.result import clock  # noqa: E402


def starts(problem, v, route):
    index = {s.id: i for i, s in enumerate(problem.stops)}
    nodes = [index[s] for s in route.stops]
    return walk(problem, v, nodes, route.depart, None)[0] if nodes else []


def run(seed: int, limit: float) -> None:
    county = generate_county(seed)
    network = county.network
    speed = network.travel.speeds_kmh["car"]
    dine = sum(p.dine_in for p in network.points)
    print(f"## seed {seed}: {len(network.points)} points, {len(network.trunk_workers)} vans, "
          f"{len(network.volunteers)} volunteers, {len(county.seniors)} seniors ({dine} dine in, "
          f"{len(network.door_stops)} door meals), insulated limit {network.insulated_hold_limit // 60} min")
    began = time.monotonic()
    plan = plan_network(network, SolveOptions(time_limit=limit))
    wall = time.monotonic() - began
    trunk = plan.trunk.problem
    depart, worst = {}, 0
    print("| van | leaves | back | km | minutes | points in order (arrival) |")
    print("|---|---:|---:|---:|---:|---|")
    for v, r in enumerate(plan.trunk.routes):
        if not r.stops:
            continue
        times = starts(trunk, v, r)
        for sid, t in zip(r.stops, times):
            depart[sid] = r.depart
            worst = max(worst, t - r.depart)
        km = r.travel_time * speed / 3600
        print(f"| {r.worker_id} | {clock(r.depart)} | {clock(r.end)} | {km:.1f} | {(r.end - r.depart) // 60} | "
              + ", ".join(f"{s} ({clock(t)})" for s, t in zip(r.stops, times)) + " |")
    print("| point | name | door meals | volunteers out | rounds end | oldest meal min |")
    print("|---|---|---:|---:|---:|---:|")
    leg_violations = len(check(trunk, plan.trunk.routes, plan.trunk.unassigned))
    for p in network.points:
        solution = plan.round_solutions.get(p.id)
        if solution is None:
            print(f"| {p.id} | {p.names['en']} | 0 | 0 | – | – |")
            continue
        leg_violations += len(check(solution.problem, solution.routes, solution.unassigned))
        oldest, out, end = 0, 0, 0
        for v, r in enumerate(solution.routes):
            if r.stops:
                out += 1
                end = max(end, r.end)
                oldest = max([oldest] + [t - depart[p.id] for t in starts(solution.problem, v, r)])
        worst = max(worst, oldest)
        print(f"| {p.id} | {p.names['en']} | {sum(len(r.stops) for r in solution.routes)} | {out} | {clock(end)} | "
              f"{oldest // 60} |")
    found = check_network(network, plan)
    served = dine + plan.delivered()
    print(f"\nmeals served {served} of {dine + len(network.door_stops)}; unassigned {len(plan.unassigned)}; "
          f"oldest meal {worst // 60} min of {network.insulated_hold_limit // 60}; attempts {plan.attempts}"
          + (f" (latest arrivals tightened: {', '.join(f'{k} {clock(t)}' for k, t in plan.latest_arrival.items())})"
             if plan.latest_arrival else "")
          + f"; check_network {'passes' if not found else f'{len(found)} violations'}; "
          f"leg checks {'pass' if not leg_violations else f'{leg_violations} violations'}; wall {wall:.1f} s\n",
          flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--limit", type=float, default=SolveOptions().time_limit)
    args = parser.parse_args(argv)
    for seed in args.seed or [0]:
        run(seed, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
