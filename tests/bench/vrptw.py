"""Run a VRPTW solver command over the Solomon / Gehring-Homberger sets and record gaps to the BKS.

    python tests/bench/vrptw.py --set solomon --time-limit 10
    python tests/bench/vrptw.py --set gh200 --time-limit 30 --only C1_2_1,R1_2_1

Each instance is solved by a separate process (`--cmd`, default
`python -m dispatch.routing.benchmarks.vrptw`) that prints one JSON object with its routes.
The distance and feasibility are recomputed here, with a reader and checker
that share no code with the solver (DIMACS 2021 rules: distances truncated to
one decimal, pure distance, fleet from the file), and a section per set is
written into RESULTS.md next to this file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "vrptw"


def read_instance(path: Path) -> dict:
    rows, vehicles, capacity = [], None, None
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    for k, parts in enumerate(lines):
        if parts[0].upper() == "VEHICLE":
            vehicles, capacity = int(lines[k + 2][0]), int(lines[k + 2][1])
        elif parts[0].isdigit() and vehicles is not None and len(parts) >= 7:
            rows.append([int(float(x)) for x in parts[:7]])
    return {"vehicles": vehicles, "capacity": capacity, "nodes": rows}


def d10(a, b) -> int:
    """Truncated distance in tenths: floor(10 * euclid)."""
    return math.isqrt(100 * ((a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2))


def verify(inst: dict, routes: list[list[int]]) -> tuple[int, list[str]]:
    """Total distance in tenths and the list of broken rules."""
    nodes = inst["nodes"]
    n = len(nodes) - 1
    errors, total, seen = [], 0, []
    if len(routes) > inst["vehicles"]:
        errors.append(f"{len(routes)} routes > fleet {inst['vehicles']}")
    horizon = nodes[0][5] * 10
    for r in routes:
        if any(not isinstance(c, int) or not 1 <= c <= n for c in r):
            errors.append(f"bad customer in {r}")
            continue
        seen += r
        load = sum(nodes[c][3] for c in r)
        if load > inst["capacity"]:
            errors.append(f"route {r[:3]}... load {load} > {inst['capacity']}")
        t, prev = nodes[0][4] * 10, 0
        for c in r:
            t += d10(nodes[prev], nodes[c])
            total += d10(nodes[prev], nodes[c])
            if t > nodes[c][5] * 10:
                errors.append(f"customer {c} reached at {t / 10} after due {nodes[c][5]}")
            t = max(t, nodes[c][4] * 10) + nodes[c][6] * 10
            prev = c
        t += d10(nodes[prev], nodes[0])
        total += d10(nodes[prev], nodes[0])
        if t > horizon:
            errors.append(f"route back at depot at {t / 10} > {horizon / 10}")
    if sorted(seen) != list(range(1, n + 1)):
        missing = set(range(1, n + 1)) - set(seen)
        errors.append(f"{len(missing)} customers missing, {len(seen) - len(set(seen))} repeated")
    return total, errors


def run(args) -> list[dict]:
    data = Path(args.data)
    bks = {r["instance"]: r for r in csv.DictReader(open(data / "bks.csv"))}
    files = sorted((data / "instances" / args.set).glob("*.txt"), key=instance_order)
    if args.only:
        wanted = set(args.only.split(","))
        files = [f for f in files if f.stem in wanted]
    cmd = shlex.split(args.cmd) if args.cmd else [sys.executable, "-m", "dispatch.routing.benchmarks.vrptw"]
    out = []
    args.load = [os.getloadavg()[0]]
    for f in files:
        began = time.monotonic()
        proc = subprocess.run([*cmd, str(f), "--time-limit", str(args.time_limit)], cwd=REPO,
                              capture_output=True, text=True, timeout=args.time_limit * 3 + 60)
        wall = time.monotonic() - began
        inst = read_instance(f)
        row = {"instance": f.stem, "bks": float(bks[f.stem]["distance"]), "bks_vehicles": int(bks[f.stem]["vehicles"]),
               "wall": wall}
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            total, errors = verify(inst, result["routes"])
            row.update(distance=total / 10, vehicles=len(result["routes"]), errors=errors,
                       claimed=result.get("distance"))
        except (IndexError, ValueError, KeyError) as exc:
            row.update(distance=None, vehicles=None, errors=[f"no solution: {exc}: {proc.stderr[-300:]}"])
        row["feasible"] = not row["errors"]
        row["gap"] = 100 * (row["distance"] - row["bks"]) / row["bks"] if row["feasible"] else None
        out.append(row)
        args.load.append(os.getloadavg()[0])
        gap = f"{row['gap']:.2f}%" if row["gap"] is not None else "INFEASIBLE " + "; ".join(row["errors"][:2])
        print(f"{f.stem:10} {row['distance']} bks {row['bks']} gap {gap} ({wall:.1f}s)", flush=True)
    return out


def instance_order(path: Path):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.stem)]


def write_results(args, rows: list[dict], path: Path) -> None:
    gaps = [r["gap"] for r in rows if r["gap"] is not None]
    title = f"## {args.set} at {args.time_limit:g} s per instance"
    lines = [title, "",
             f"* date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}; machine: {os.cpu_count()} cores "
             f"({platform.processor() or platform.machine()}), shared with other work, one solver process at a time",
             f"* command: `python tests/bench/vrptw.py {' '.join(sys.argv[1:])}`",
             f"* solver command per instance: `{args.cmd or 'python -m dispatch.routing.benchmarks.vrptw'} PATH --time-limit "
             f"{args.time_limit:g}`",
             f"* 1-minute load average during the run: {min(args.load):.1f}–{max(args.load):.1f} (sampled after each "
             f"instance); the limit is wall-clock, so a loaded machine gives each solver less than one core",
             f"* feasible: **{len(gaps)} / {len(rows)}** (checked here, independently of the solver)",
             f"* mean gap: **{sum(gaps) / len(gaps):.2f} %**, worst: **{max(gaps):.2f} %** "
             f"({max(rows, key=lambda r: r['gap'] if r['gap'] is not None else -1)['instance']})" if gaps else
             "* no feasible solution", "",
             "| instance | distance | vehicles | BKS | BKS vehicles | gap % | wall s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        gap = f"{r['gap']:.2f}" if r["gap"] is not None else "infeasible: " + "; ".join(r["errors"][:2])
        lines.append(f"| {r['instance']} | {r['distance']} | {r['vehicles']} | {r['bks']} | {r['bks_vehicles']} | "
                     f"{gap} | {r['wall']:.1f} |")
    section = "\n".join(lines) + "\n"
    text = path.read_text() if path.exists() else "# Routing benchmarks\n\nWritten by `tests/bench/`. Gaps: `100 * (distance - bks) / bks`, distance recomputed from the routes.\n\n"
    start = text.find(title)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--set", choices=["solomon", "gh200"], default="solomon")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--only", default="")
    parser.add_argument("--cmd", default="")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if not Path(args.data, "bks.csv").exists():
        parser.error(f"no benchmark data at {args.data} (use --data)")
    rows = run(args)
    if not args.no_write and rows:
        write_results(args, rows, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
