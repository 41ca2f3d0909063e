"""Meal-day-shaped VRPTW instances in Solomon's format, for side-by-side runs on shapes Solomon lacks.

    python tests/bench/meal_day_instances.py --out /tmp/mealday [--count 12] [--reference 60]
    python tests/bench/side_by_side.py --data /tmp/mealday --set mealday --time-limit 10

Solomon's customers are spread over a square with one window each; a meal site's day is different: most
stops are flats in a few residential compounds around one kitchen, a short service (a minute or three at
the door), the same lunch window for nearly everyone (some with a narrower preferred half hour), small
boxes (a dozen meals per e-bike trip), and a few long home visits (30-60 min) with windows of their own
later in the day. One unit of distance and time is 15 seconds of e-bike travel (integers, as Solomon's
files and the DIMACS distance want them): a district about 40 minutes across, times counted from 10:00,
the depot's day 10:00-17:00.

Nothing here is used by the solver: each instance is written as a `.txt` under `OUT/instances/mealday/`, and
`OUT/bks.csv` holds, per instance, the best distance found by long runs of Doorstep and of PyVRP
(`--reference` seconds each, side by side; both answers checked by `vrptw.py`), so gaps are to the better
of two long solves, not to a proven optimum. The seeds are fixed: the same command writes the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from vrptw import read_instance, verify  # noqa: E402

U = 4  # units per minute
LUNCH = (60 * U, 150 * U)  # 11:00-12:30


def instance(seed: int, customers: int) -> str:
    rng = np.random.default_rng([seed, customers])
    compounds = rng.uniform(-18 * U, 18 * U, size=(int(rng.integers(5, 11)), 2))
    rows = [(0, 0, 0, 0, 0, 420 * U, 0)]
    visits = max(2, customers // 12)
    for c in range(1, customers + 1):
        if c <= customers - visits:
            if rng.random() < 0.7:  # a flat in one of the compounds
                x, y = compounds[rng.integers(len(compounds))] + rng.normal(0, 1.2 * U, 2)
            else:
                r, a = 20 * U * np.sqrt(rng.random()), rng.random() * 2 * np.pi
                x, y = r * np.cos(a), r * np.sin(a)
            ready, due = LUNCH
            if rng.random() < 0.3:  # a preferred half hour within lunch
                ready = int(rng.integers(LUNCH[0], LUNCH[1] - 30 * U))
                due = ready + 30 * U
            rows.append((c, x, y, 1, ready, due, int(rng.integers(2, 4)) * U))
        else:  # a home visit: bathing, cleaning, nursing
            r, a = 20 * U * np.sqrt(rng.random()), rng.random() * 2 * np.pi
            start = int(rng.integers(180, 330)) * U
            rows.append((c, r * np.cos(a), r * np.sin(a), 0, start, start + 60 * U, int(rng.choice([30, 45, 60])) * U))
    vehicles = customers // 8 + 4
    out = [f"MD{customers}_{seed}", "", "VEHICLE", "NUMBER     CAPACITY", f"  {vehicles}         12", "",
           "CUSTOMER", "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME", " "]
    for c, x, y, q, a, b, s in rows:
        out.append(f"{c:5d} {round(x) + 100 * U:10d} {round(y) + 100 * U:10d} {q:10d} {a:10d} {b:10d} {s:10d}")
    return "\n".join(out) + "\n"


def best_of(path: Path, seconds: float) -> tuple[float, str]:
    """The better checked distance of Doorstep and PyVRP, each given `seconds` on a core of its own."""
    inst = read_instance(path)
    procs = {
        "doorstep": subprocess.Popen([sys.executable, "-m", "dispatch.routing.benchmarks.vrptw", str(path),
                                      "--time-limit", f"{seconds:g}"], stdout=subprocess.PIPE, text=True,
                                     cwd=HERE.parent.parent),
        "pyvrp": subprocess.Popen([sys.executable, str(HERE / "side_by_side.py"), "--pyvrp", str(path),
                                   "--time-limit", f"{seconds:g}"], stdout=subprocess.PIPE, text=True),
    }
    found = []
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=seconds * 3 + 120)
        result = json.loads(out.strip().splitlines()[-1])
        total, errors = verify(inst, result["routes"])
        if not errors:
            found.append((total / 10, name))
    if not found:
        raise SystemExit(f"{path.stem}: neither long run was feasible")
    return min(found)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--reference", type=float, default=60.0, help="seconds of each long reference run")
    args = parser.parse_args(argv)
    folder = Path(args.out, "instances", "mealday")
    folder.mkdir(parents=True, exist_ok=True)
    sizes = (100, 150, 200)
    rows = []
    for k in range(args.count):
        customers = sizes[k % len(sizes)]
        path = folder / f"MD{customers}_{k}.txt"
        path.write_text(instance(k, customers))
        distance, source = best_of(path, args.reference)
        rows.append({"instance": path.stem, "vehicles": "", "distance": distance,
                     "source": f"best of {args.reference:g} s runs ({source})"})
        print(rows[-1], flush=True)
    with open(Path(args.out, "bks.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["instance", "vehicles", "distance", "source"])
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
