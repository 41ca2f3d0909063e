"""One plan for a site's whole day against today's separate plans (lunch, then dinner, then visits).

    python tests/bench/combined_day.py [--seeds 0,1,2,3,4] [--total 30] [--write]

Each generated site (seeded, one kitchen in central Shanghai, geodesic e-bike times): 80 hot lunches
(11:00-12:30), 40 hot dinners (17:00-18:30), 24 home visits (bathing, nursing, cleaning; 30-60 min, a
one-hour window to start between 08:00 and 16:00) and 9 workers: 3 meal riders (boxes of 12, 10:30-19:00),
3 caregivers (08:00-16:30, a 30-min break) and 3 who do both (boxes of 10, 08:00-19:00, a 30-min break); no
working-time caps, because the core's cap counts a route's whole span and one route for the day would count
the wait between lunch and dinner as work (a split shift the core does not model yet), so a third of the workers both deliver and care. Hot meals are held 45 min
from the departure of the trip that carries them and every meal worker may load up to four times per meal (the
routing core's reload trips; eight in the day for the one plan of the day), so what differs is only whether the
day is planned at once.

Separate: lunch is planned first (riders and shared workers), then dinner with what is left of their shifts
after lunch, then the visits with the longest free part of each shared worker's shift (what
`planning.problem.free_part` gives today), each with a third of the total search time. Combined: one
problem with every stop and every worker's whole shift, solved by the routing core's `staged.solve_staged`
(the stages first with half the time, shared by their stops, then the whole day started from them with the
other half), and from scratch with the whole time. Reports stops served, travel and working
time, and the independent checker's verdict on every plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from dispatch.routing import (  # noqa: E402
    Break,
    Depot,
    GeodesicTravel,
    Location,
    Priority,
    Problem,
    Stop,
    TimeWindow,
    Worker,
    check,
    solve,
)
from dispatch.routing.options import SolveOptions  # noqa: E402
from dispatch.routing.staged import busy_of, longest_free, plan_stages, solve_staged, within  # noqa: E402

CENTRE = (31.2304, 121.4737)
H = 3600
SKILLS = ("bathing", "nursing", "cleaning")
LUNCH = TimeWindow(11 * H, 12 * H + 30 * 60)
DINNER = TimeWindow(17 * H, 18 * H + 30 * 60)
BREAK_WINDOW = TimeWindow(12 * H + 30 * 60, 14 * H)


def day(seed: int):
    """(stops, workers, kitchen) of one generated site's day."""
    rng = np.random.default_rng(seed)
    kitchen = Depot("kitchen", Location(*CENTRE), hold_limit=45 * 60, load_time=5 * 60)

    def around(radius_km: float) -> Location:
        r, a = radius_km * np.sqrt(rng.random()), rng.random() * 2 * np.pi
        return Location(CENTRE[0] + r * np.sin(a) / 111.0,
                        CENTRE[1] + r * np.cos(a) / (111.0 * np.cos(np.radians(CENTRE[0]))))

    stops = []
    for meal, window, count in (("lunch", LUNCH, 80), ("dinner", DINNER, 40)):
        for i in range(count):
            stops.append(Stop(f"{meal}-{i:03d}", around(2.5), demand=(1,), service=int(rng.integers(60, 180)),
                              windows=(window,), hot_meal=True, depot="kitchen", priority=Priority.CRITICAL))
    for j in range(24):
        start = int(rng.integers(8 * H, 16 * H))
        stops.append(Stop(f"visit-{j:02d}", around(3.0), demand=(0,), service=int(rng.choice([1800, 2700, 3600])),
                          windows=(TimeWindow(start, start + H),), skills={SKILLS[j % 3]}, priority=Priority.HIGH))
    rest = (Break(BREAK_WINDOW, 30 * 60),)
    workers = (
        [Worker(f"rider{v}", TimeWindow(10 * H + 30 * 60, 19 * H), depot="kitchen", capacity=(12,), mode="e_bike",
                trips=4) for v in range(3)]
        + [Worker(f"carer{v}", TimeWindow(8 * H, 16 * H + 30 * 60), depot="kitchen", capacity=(0,), mode="e_bike",
                  skills=set(SKILLS), breaks=rest) for v in range(3)]
        + [Worker(f"both{v}", TimeWindow(8 * H, 19 * H), depot="kitchen", capacity=(10,), mode="e_bike",
                  skills=set(SKILLS), breaks=rest, trips=4) for v in range(3)])
    return stops, workers, kitchen


def build(stops, workers, kitchen) -> Problem:
    return Problem.build(stops, workers, [kitchen], travel=GeodesicTravel(), dimensions=("meals",))


def whole_day(workers) -> list[Worker]:
    """The workers for one plan of the day: four loads per meal, as each meal's own plan allows them."""
    return [Worker(**{**w.__dict__, "trips": 2 * w.trips}) if w.trips > 1 else w for w in workers]


def figures(solutions) -> dict:
    """Stops served, travel, and each worker's day: from their first departure to their last return, over
    the day's plans (what a worker with lunch and dinner is out of the house for, waits included)."""
    served = sum(len(r.stops) for s in solutions for r in s.routes)
    travel = sum(s.travel_time for s in solutions)
    spans: dict[str, list[int]] = {}
    for s in solutions:
        for r in s.routes:
            if r.stops and r.end is not None:
                a, b = spans.get(r.worker_id, [r.depart, r.end])
                spans[r.worker_id] = [min(a, r.depart), max(b, r.end)]
    work = sum(b - a for a, b in spans.values())
    broken = sum(len(check(s.problem, s.routes, s.unassigned)) for s in solutions)
    return dict(served=served, travel=travel, work=work, broken=broken)


def separate(stops, workers, kitchen, seconds: float, seed: int):
    meal_workers = [w for w in workers if w.capacity and w.capacity[0] > 0]
    lunch = [s for s in stops if s.id.startswith("lunch")]
    dinner = [s for s in stops if s.id.startswith("dinner")]
    visits = [s for s in stops if s.id.startswith("visit")]
    busy: dict[str, list[tuple[int, int]]] = {w.id: [] for w in workers}
    out = []
    for part, team in ((lunch, meal_workers), (dinner, meal_workers), (visits, [w for w in workers if w.skills])):
        shifted = []
        for w in team:
            span = longest_free(w.shift, busy[w.id]) if part is visits else (
                TimeWindow(max([w.shift.start] + [b for _, b in busy[w.id]]), w.shift.end))
            worker = within(w, span)
            if worker is not None:
                # What the day's earlier plans used counts against the working-time cap.
                used = sum(b - a for a, b in busy[w.id])
                if worker.max_work is not None:
                    worker = Worker(**{**worker.__dict__, "max_work": max(0, worker.max_work - used)})
                shifted.append(worker)
        solution = solve(build(part, shifted, kitchen), time_limit=seconds, seed=seed)
        for wid, span in busy_of(solution).items():
            busy[wid].append(span)
        out.append(solution)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--total", type=float, default=30.0, help="search seconds per site in total, for each set-up")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rows = []
    for seed in [int(x) for x in args.seeds.split(",")]:
        stops, workers, kitchen = day(seed)
        began = time.monotonic()
        apart = figures(separate(stops, workers, kitchen, args.total / 3, seed))
        apart["wall"] = time.monotonic() - began
        began = time.monotonic()
        cold = figures([solve(build(stops, whole_day(workers), kitchen), time_limit=args.total, seed=seed)])
        cold["wall"] = time.monotonic() - began
        # The same total: half of it on the separate plans, the other half improving them as one day.
        began = time.monotonic()
        problem = build(stops, whole_day(workers), kitchen)
        stages = [[s.id for s in stops if s.id.startswith(p)] for p in ("lunch", "dinner", "visit")]
        options = SolveOptions(time_limit=args.total, seed=seed)
        together = figures([solve_staged(problem, stages, options)])
        together["wall"] = time.monotonic() - began
        # What the staged start alone serves (its stages again, outside the timed run).
        start = plan_stages(problem, stages, SolveOptions(time_limit=args.total / 2, seed=seed)).start
        together["start"] = figures([start])["served"] if start is not None else 0
        rows.append((seed, len(stops), apart, together, cold))
        print(f"seed {seed}: separate {apart}, combined {together}, combined from scratch {cold}", flush=True)

    def pct(a, b):
        return 100.0 * (b - a) / a if a else 0.0

    lines = [f"## Whole-day plan against separate plans ({dt.date.today().isoformat()})", "",
             f"* command: `python tests/bench/combined_day.py {' '.join(sys.argv[1:])}`".rstrip(),
             f"* {args.total:g} s of search per site for each set-up. Separate: a third each for lunch, dinner and "
             "visits, planned in that order. Combined: the separate plans with half the time, then one problem "
             "started from them (each worker's stops in time order) with the other half. From scratch: one "
             "problem with the whole time. Reload trips in all; each separate plan is searched by the engine "
             "(routing.staged, as the app's day plans), the one-problem solves by OR-Tools alone (the engine "
             "does not search plans with reloads)", "",
             "| seed | stops | separate: served | travel min | work min | combined: served | travel min | work min "
             "| travel | work | from scratch: served | work min | rules broken |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for seed, n, a, c, x in rows:
        lines.append(f"| {seed} | {n} | {a['served']} | {a['travel'] // 60} | {a['work'] // 60} | {c['served']} | "
                     f"{c['travel'] // 60} | {c['work'] // 60} | {pct(a['travel'], c['travel']):+.1f} % | "
                     f"{pct(a['work'], c['work']):+.1f} % | {x['served']} | {x['work'] // 60} | "
                     f"{a['broken']} / {c['broken']} / {x['broken']} |")
    fewer = [seed for seed, _, a, c, _x in rows if c["served"] < a["served"]]
    lines += ["", f"Combined serves {sum(r[3]['served'] for r in rows)} stops against "
              f"{sum(r[2]['served'] for r in rows)} separately and {sum(r[4]['served'] for r in rows)} from scratch; "
              + (f"fewer than separately on seeds {fewer}." if fewer else "never fewer than separately on any site."),
              ""]
    print("\n".join(lines))
    if args.write:
        with open(HERE / "RESULTS.md", "a") as fh:
            fh.write("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
