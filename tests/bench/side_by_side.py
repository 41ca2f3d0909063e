"""Doorstep and PyVRP on the same VRPTW instances, at the same time, one core each; gaps to the BKS.

    python tests/bench/side_by_side.py --set solomon --time-limit 10 [--only R101,RC101] [--busy]
    python tests/bench/side_by_side.py --set gh200 --time-limit 30

For every instance both solvers start together as separate processes, Doorstep pinned to one core and
PyVRP 0.14.1 (`pip install -e '.[bench]'`; a bench-only dependency) to the other
(`os.sched_setaffinity`), so neither gets more CPU than the other and both see the same machine load.
With `--busy` a third process spins on Doorstep's core the whole time: the "other core is busy" figure
(Doorstep then gets about half a core; PyVRP keeps its own).

Both answers are checked by `tests/bench/vrptw.py`'s reader and checker, which share no code with either
solver (DIMACS 2021: distances truncated to tenths, pure distance, the file's fleet), and the gap is
`100 * (distance - bks) / bks` on the recomputed distance. PyVRP gets the instance built from the same
truncated integer matrix (`pyvrp.Model`, times and distances in tenths), so it optimises exactly the
benchmark's objective. The last lines printed are the two mean gaps.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from vrptw import DEFAULT_DATA, d10, instance_order, read_instance, verify  # noqa: E402


def pyvrp_solve(path: str, time_limit: float, seed: int) -> dict:
    """Solve one instance with PyVRP's default iterated local search for `time_limit` seconds."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    began = time.monotonic()
    inst = read_instance(Path(path))
    nodes = inst["nodes"]
    model = Model()
    locations = [model.add_location(x=row[1], y=row[2]) for row in nodes]
    horizon = nodes[0][5] * 10
    depot = model.add_depot(locations[0], tw_early=nodes[0][4] * 10, tw_late=horizon)
    model.add_vehicle_type(num_available=inst["vehicles"], capacity=inst["capacity"], start_depot=depot,
                           end_depot=depot, tw_early=nodes[0][4] * 10, tw_late=horizon)
    for row, loc in zip(nodes[1:], locations[1:]):
        model.add_client(loc, delivery=row[3], service_duration=row[6] * 10, tw_early=row[4] * 10,
                         tw_late=row[5] * 10)
    for a, ra in zip(locations, nodes):
        for b, rb in zip(locations, nodes):
            if a is not b:
                d = d10(ra, rb)
                model.add_edge(a, b, distance=d, duration=d)
    left = max(0.1, time_limit - (time.monotonic() - began) - 0.05)
    result = model.solve(stop=MaxRuntime(left), seed=seed, display=False)
    # Client activities count clients from 0 in the order they were added: customer k is client k - 1.
    routes = [[a.idx + 1 for a in route.schedule() if a.is_client()] for route in result.best.routes()]
    return {"routes": routes, "feasible": result.best.is_feasible(), "iterations": result.num_iterations,
            "seconds": round(time.monotonic() - began, 2)}


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1


def start(cmd: list[str], core: int | None) -> subprocess.Popen:
    def pin():
        if core is not None:
            os.sched_setaffinity(0, {core})

    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=pin)


def answer(proc: subprocess.Popen, inst: dict, bks: float, timeout: float) -> dict:
    out, err = proc.communicate(timeout=timeout)
    try:
        result = json.loads(out.strip().splitlines()[-1])
        total, errors = verify(inst, result["routes"])
    except (IndexError, ValueError, KeyError) as exc:
        return {"distance": None, "errors": [f"no solution: {exc}: {err[-300:]}"], "gap": None}
    distance = total / 10
    return {"distance": distance, "vehicles": len(result["routes"]), "errors": errors,
            "iterations": result.get("iterations"), "gap": 100 * (distance - bks) / bks if not errors else None}


def run(args) -> list[dict]:
    data = Path(args.data)
    bks = {r["instance"]: float(r["distance"]) for r in csv.DictReader(open(data / "bks.csv"))}
    files = sorted((data / "instances" / args.set).glob("*.txt"), key=instance_order)
    if args.only:
        wanted = set(args.only.split(","))
        files = [f for f in files if f.stem in wanted]
    cores = sorted(os.sched_getaffinity(0))
    ours, theirs = (cores[0], cores[1]) if len(cores) > 1 else (None, None)
    limit = f"{args.time_limit:g}"
    doorstep = shlex.split(args.cmd) if args.cmd else [sys.executable, "-m", "dispatch.routing.benchmarks.vrptw"]
    if files:
        # One unmeasured solve first: on a cold numba cache the engine compiles here (~40 CPU-s), not
        # inside the first instance's time limit.
        began = time.monotonic()
        start([*doorstep, str(files[0]), "--time-limit", "1"], ours).communicate()
        print(f"warm-up solve (compiles the engine on a cold cache): {time.monotonic() - began:.1f} s", flush=True)
    rows = []
    for f in files:
        inst = read_instance(f)
        load = os.getloadavg()[0]
        busy = start([sys.executable, __file__, "--spin", str(args.time_limit + 2)], ours) if args.busy else None
        a = start([*doorstep, str(f), "--time-limit", limit, "--seed", str(args.seed)], ours)
        b = start([sys.executable, __file__, "--pyvrp", str(f), "--time-limit", limit, "--seed", str(args.seed)],
                  theirs)
        timeout = args.time_limit * 3 + 60
        row = {"instance": f.stem, "bks": bks[f.stem], "load": load,
               "doorstep": answer(a, inst, bks[f.stem], timeout), "pyvrp": answer(b, inst, bks[f.stem], timeout)}
        if busy is not None:
            busy.wait()
        rows.append(row)
        cells = []
        for name in ("doorstep", "pyvrp"):
            r = row[name]
            cells.append(f"{name} {r['distance']} {r['gap']:.2f}% ({r.get('iterations')} it)" if r["gap"] is not None
                         else f"{name} INFEASIBLE {'; '.join(r['errors'][:2])}")
        print(f"{f.stem:10} bks {row['bks']:8.1f}  " + "  ".join(cells) + f"  load {load:.1f}", flush=True)
    return rows


def summary(rows: list[dict]) -> list[str]:
    lines = []
    for name in ("doorstep", "pyvrp"):
        gaps = [r[name]["gap"] for r in rows]
        ok = [g for g in gaps if g is not None]
        worst = max(rows, key=lambda r: r[name]["gap"] if r[name]["gap"] is not None else -1)
        lines.append(f"{name}: feasible {len(ok)}/{len(rows)}, mean gap "
                     f"{sum(ok) / max(1, len(ok)):.2f} %, worst {max(ok, default=0):.2f} % ({worst['instance']})")
    def gap(r, name):
        return r[name]["gap"] if r[name]["gap"] is not None else float("inf")

    behind = sum(1 for r in rows if gap(r, "doorstep") > gap(r, "pyvrp") + 1e-9)
    lines.append(f"doorstep behind pyvrp on {behind} of {len(rows)}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--set", default="solomon", help="a folder under DATA/instances: solomon, gh200, or "
                        "generated ones (meal_day_instances.py writes mealday)")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="")
    parser.add_argument("--busy", action="store_true", help="keep Doorstep's core busy with a spinning process")
    parser.add_argument("--cmd", default="", help="Doorstep's solver command (default: this tree's "
                        "`python -m dispatch.routing.benchmarks.vrptw`); PATH --time-limit T --seed S are appended")
    parser.add_argument("--json", default="", help="also write the rows to this file")
    parser.add_argument("--pyvrp", default="", help=argparse.SUPPRESS)
    parser.add_argument("--spin", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.spin:
        spin(args.spin)
        return 0
    if args.pyvrp:
        print(json.dumps(pyvrp_solve(args.pyvrp, args.time_limit, args.seed)))
        return 0
    if not Path(args.data, "bks.csv").exists():
        parser.error(f"no benchmark data at {args.data} (use --data)")
    rows = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    for line in summary(rows):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
