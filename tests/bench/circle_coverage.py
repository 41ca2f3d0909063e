"""Benchmark: service-circle coverage and home-site assignment for 50,000 seniors and 500 sites,
then siting k=5 from 2,000 candidates. Targets: assignment <= 30 s and <= 2 GB peak RSS;
siting <= 60 s. Run: ``python tests/bench/circle_coverage.py`` (figures go to tests/bench/RESULTS.md by hand).
"""
from __future__ import annotations

import math
import random
import resource
import sys
import time

from dispatch.routing import GeodesicTravel
from dispatch.routing.circles import CircleSite, Person, grid_candidates
from dispatch.routing.coverage_solver import IN_CIRCLE, UNASSIGNED, assign, choose_sites

LAT, LON = 31.23, 121.47
M_PER_DEG = 111_195.0


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return LAT + north_m / M_PER_DEG, LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def district(n_people: int, n_sites: int, half_km: float, seed: int = 7):
    """Seniors clustered in neighbourhoods over a square district; sites mostly near people."""
    rng = random.Random(seed)
    half = half_km * 1000
    hubs = [(rng.uniform(-half, half), rng.uniform(-half, half)) for _ in range(60)]
    people = []
    for i in range(n_people):
        hx, hy = rng.choice(hubs)
        north, east = rng.gauss(hx, 1500), rng.gauss(hy, 1500)
        people.append(Person(i, *offset(north, east), weight=1 + (rng.random() < 0.3) + (rng.random() < 0.25)))
    sites = []
    for j in range(n_sites):
        hx, hy = rng.choice(hubs)
        sites.append(CircleSite(j, *offset(rng.gauss(hx, 2500), rng.gauss(hy, 2500)),
                                minutes=15, mode=rng.choice(["walk", "walk", "e_bike"]),
                                capacity=rng.randint(60, 160)))
    return sites, people


def main() -> None:
    travel = GeodesicTravel(circuity=1.3)
    sites, people = district(50_000, 500, half_km=25)
    t0 = time.perf_counter()
    result = assign(sites, people, travel)
    t_assign = time.perf_counter() - t0
    covered = int(result.covered.sum())
    in_circle = result.status.count(IN_CIRCLE)
    unassigned = result.status.count(UNASSIGNED)
    over = int(sum(1 for j, s in enumerate(sites) if result.load[j] > s.capacity))
    print(f"assignment: 50,000 seniors x 500 sites: {t_assign:.1f} s wall, peak RSS {peak_rss_mb():.0f} MB; "
          f"pairs in circles {result.reach.person.size:,}; covered {covered / len(people):.1%}; "
          f"placed in circle {in_circle:,}; unplaced (no capacity) {unassigned:,}; sites over capacity {over}")

    gaps = [p for p, c in zip(people, result.covered) if not c]
    grid = grid_candidates(gaps, spacing_m=300, limit=2000)
    rng = random.Random(11)
    while len(grid) < 2000:  # top up to exactly 2,000 with places beside random gaps
        p = rng.choice(gaps)
        grid.append((p.lat + rng.uniform(-0.004, 0.004), p.lon + rng.uniform(-0.004, 0.004)))
    candidates = [CircleSite(f"c{n}", lat, lon, minutes=15, mode="walk") for n, (lat, lon) in enumerate(grid)]
    t0 = time.perf_counter()
    siting = choose_sites(candidates, gaps, 5, travel, time_limit=55)
    t_site = time.perf_counter() - t0
    print(f"siting: k=5 from {len(candidates):,} candidates over {len(gaps):,} uncovered seniors: {t_site:.1f} s wall, "
          f"peak RSS {peak_rss_mb():.0f} MB; gain {siting.gain_people:,} seniors (weight {siting.gain_weight:,}); "
          f"optimal={siting.optimal}")
    ok = t_assign <= 30 and t_site <= 60 and peak_rss_mb() <= 2048 and over == 0
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
