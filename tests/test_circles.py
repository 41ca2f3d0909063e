"""Service circles without Flask or a database: reachability, the drawn area, assignment, siting.

Assignment and siting are checked against brute force on small districts:
every assignment (every site or none per person) is enumerated, and the
flow's objective must equal the best feasible one, with no site over capacity.
"""
from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from dispatch.routing import GeodesicTravel, Location
from dispatch.routing.circles import (
    CircleSite,
    Person,
    circle_polygon,
    grid_candidates,
    nearest_sites,
    radius_m,
    reachability,
)
from dispatch.routing.coverage_solver import (
    FIXED,
    IN_CIRCLE,
    OUTSIDE,
    OUTSIDE_PENALTY,
    UNASSIGNED,
    assign,
    brute_force_siting,
    choose_sites,
    objective,
)
from dispatch.routing.location import InvalidProblem

TRAVEL = GeodesicTravel(circuity=1.3)
LAT, LON = 31.23, 121.47
M_PER_DEG = 111_195.0


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return LAT + north_m / M_PER_DEG, LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))


def test_reachability_matches_the_travel_providers_matrix():
    rng = random.Random(3)
    sites = [CircleSite(j, *offset(rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)), minutes=rng.choice([5, 10, 15]),
                        mode=rng.choice(["walk", "e_bike"])) for j in range(6)]
    people = [Person(i, *offset(rng.uniform(-3000, 3000), rng.uniform(-3000, 3000))) for i in range(300)]
    reach = reachability(sites, people, TRAVEL)
    found = {(int(p), int(s)): int(t) for p, s, t in zip(reach.person, reach.site, reach.seconds)}
    expected = {}
    for j, site in enumerate(sites):
        places = [Location(site.lat, site.lon)] + [Location(p.lat, p.lon) for p in people]
        row = TRAVEL.matrix(places, site.mode)[0, 1:]
        for i, sec in enumerate(row):
            if sec <= site.minutes * 60:
                expected[(i, j)] = int(sec)
    assert found == expected
    assert len(expected) > 50  # the instance is not trivially empty


def test_a_walking_circle_is_speed_times_minutes_over_circuity():
    site = CircleSite("s", LAT, LON, minutes=15, mode="walk")
    assert radius_m(site, TRAVEL) == pytest.approx(4.5 / 3.6 * 900 / 1.3)
    ring = circle_polygon(site, TRAVEL)
    assert len(ring) == 48
    inside = Person("in", *offset(radius_m(site, TRAVEL) * 0.98, 0))
    outside = Person("out", *offset(0, radius_m(site, TRAVEL) * 1.02))
    assert reachability([site], [inside, outside], TRAVEL).covered().tolist() == [True, False]
    # Each vertex of the drawn ring sits on the circle's edge: its time is the circle's minutes.
    for lat, lon in ring[::8]:
        sec = TRAVEL.seconds(Location(LAT, LON), Location(lat, lon), "walk")
        assert abs(sec - 900) <= 2


def test_moving_a_site_or_changing_its_minutes_changes_who_is_reached():
    people = [Person(i, *offset(0, 250 * i)) for i in range(10)]  # a line of people, 250 m apart
    small = CircleSite("s", LAT, LON, minutes=5)                 # radius ~ 288 m
    larger = CircleSite("s", LAT, LON, minutes=15)               # radius ~ 865 m
    moved = CircleSite("s", *offset(0, 2250), minutes=5)
    assert reachability([small], people, TRAVEL).covered().sum() == 2     # 0 m and 250 m
    assert reachability([larger], people, TRAVEL).covered().sum() == 4    # up to 750 m
    assert set(np.nonzero(reachability([moved], people, TRAVEL).covered())[0]) == {8, 9}


def test_nearest_sites_are_ordered_by_time():
    sites = [CircleSite(j, *offset(0, 1000 * j)) for j in range(5)]
    idx, sec = nearest_sites(sites, [Person("p", *offset(0, 2100))], TRAVEL, k=3)
    assert idx.tolist() == [[2, 3, 1]]
    assert sec[0].tolist() == sorted(sec[0].tolist())


def brute_force(sites, people, reach):
    """The best objective over all capacity-respecting assignments (overrides first)."""
    inside = {(int(p), int(s)): int(t) for p, s, t in zip(reach.person, reach.site, reach.seconds)}
    all_sec = {}
    for j, site in enumerate(sites):
        row = TRAVEL.matrix([Location(site.lat, site.lon)] + [Location(p.lat, p.lon) for p in people], site.mode)[0]
        for i in range(len(people)):
            all_sec[(i, j)] = int(row[i + 1])
    capacity = [s.capacity for s in sites]
    index = {s.id: j for j, s in enumerate(sites)}
    free = []
    for i, p in enumerate(people):
        if p.fixed_site is not None:
            capacity[index[p.fixed_site]] -= 1
        else:
            free.append(i)
    best = None
    for choice in itertools.product([None] + list(range(len(sites))), repeat=len(free)):
        load = [0] * len(sites)
        secs, status = [], []
        for i, j in zip(free, choice):
            if j is None:
                secs.append(0)
                status.append(UNASSIGNED)
                continue
            load[j] += 1
            secs.append(all_sec[(i, j)])
            status.append(IN_CIRCLE if (i, j) in inside else OUTSIDE)
        if any(load[j] > max(capacity[j], 0) for j in range(len(sites))):
            continue
        cost = objective(secs, status)
        best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_assignment_equals_brute_force_and_respects_capacity(seed):
    rng = random.Random(seed)
    sites = [CircleSite(f"s{j}", *offset(rng.uniform(-800, 800), rng.uniform(-800, 800)),
                        minutes=rng.choice([5, 8, 12]), mode="walk", capacity=rng.randint(0, 3))
             for j in range(rng.randint(2, 3))]
    people = [Person(i, *offset(rng.uniform(-1200, 1200), rng.uniform(-1200, 1200))) for i in range(rng.randint(3, 6))]
    if seed % 3 == 0:  # a staff override on one person
        people[0] = Person(0, people[0].lat, people[0].lon, fixed_site=sites[-1].id)
    result = assign(sites, people, TRAVEL, fallback_k=len(sites))
    assert result.cost() == brute_force(sites, people, result.reach)
    loads = np.bincount(result.site[result.site >= 0], minlength=len(sites))
    assert loads.tolist() == result.load.tolist()
    for j, site in enumerate(sites):
        overrides = sum(1 for p in people if p.fixed_site == site.id)
        assert loads[j] <= max(site.capacity, overrides)
    for i, st in enumerate(result.status):
        if st == IN_CIRCLE:
            assert result.covered[i]
        if not result.covered[i]:
            assert st in (OUTSIDE, UNASSIGNED, FIXED)
            assert not result.served[i]  # served means inside the circle of the site it is homed at
    # Coverage counts capacity: no site serves more than it has room for, and the count is the most
    # people any assignment could serve inside circles (the flow's first priority).
    served = result.served_by_site()
    assert all(served[j] <= site.capacity for j, site in enumerate(sites))
    if seed % 3:
        assert int(result.served.sum()) == sum(st == IN_CIRCLE for st in result.status)


def test_a_gap_goes_to_the_nearest_site_with_room_and_is_flagged():
    near = CircleSite("near", *offset(0, 0), minutes=5, capacity=0)      # full
    far = CircleSite("far", *offset(0, 4000), minutes=5, capacity=5)
    farther = CircleSite("farther", *offset(0, 9000), minutes=5, capacity=5)
    gap = Person("gap", *offset(0, 1500))
    result = assign([near, far, farther], [gap], TRAVEL)
    assert result.covered.tolist() == [False]
    assert result.status == [OUTSIDE] and result.site.tolist() == [1]
    assert result.cost() >= OUTSIDE_PENALTY


def test_overrides_survive_and_use_capacity():
    a = CircleSite("a", *offset(0, 0), minutes=10, capacity=1)
    b = CircleSite("b", *offset(0, 600), minutes=10, capacity=1)
    pinned = Person("pinned", *offset(0, 0), fixed_site="b")   # staff chose b although a is closer
    other = Person("other", *offset(0, 550))                    # would like b, b is full
    result = assign([a, b], [pinned, other], TRAVEL)
    assert result.status[0] == FIXED and result.site[0] == 1
    assert result.site[1] == 0 and result.status[1] == IN_CIRCLE
    assert result.load.tolist() == [1, 1]


def test_nobody_is_placed_past_every_capacity():
    site = CircleSite("a", LAT, LON, minutes=15, capacity=2)
    people = [Person(i, *offset(10 * i, 0)) for i in range(5)]
    result = assign([site], people, TRAVEL)
    assert result.load.tolist() == [2]
    assert result.status.count(UNASSIGNED) == 3


def test_bad_values_are_refused():
    with pytest.raises(InvalidProblem):
        CircleSite("x", 95.0, 0.0)
    with pytest.raises(InvalidProblem):
        Person("x", float("nan"), 0.0)
    with pytest.raises(InvalidProblem):
        reachability([CircleSite("x", 0, 0, mode="rocket")], [Person("p", 0, 0)], TRAVEL)


@pytest.mark.parametrize("seed", range(8))
def test_cp_sat_siting_equals_brute_force(seed):
    rng = random.Random(100 + seed)
    candidates = [CircleSite(j, *offset(rng.uniform(-1500, 1500), rng.uniform(-1500, 1500)), minutes=10)
                  for j in range(rng.randint(4, 8))]
    people = [Person(i, *offset(rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)), weight=rng.randint(1, 4))
              for i in range(40)]
    k = rng.randint(1, 3)
    siting = choose_sites(candidates, people, k, TRAVEL, time_limit=10)
    assert siting.optimal
    assert len(siting.chosen) <= k
    assert siting.gain_weight == brute_force_siting(candidates, people, k, TRAVEL)
    # The reported gain is what the chosen candidates really reach.
    reach = reachability([candidates[j] for j in siting.chosen], people, TRAVEL)
    assert siting.gain_people == int(reach.covered().sum())


def test_siting_prefers_need_over_head_count():
    lonely = [Person(f"n{i}", *offset(0, 0), weight=4) for i in range(3)]       # 3 people, weight 12
    crowd = [Person(f"c{i}", *offset(0, 5000), weight=1) for i in range(10)]   # 10 people, weight 10
    candidates = [CircleSite("west", *offset(0, 0)), CircleSite("east", *offset(0, 5000))]
    siting = choose_sites(candidates, lonely + crowd, 1, TRAVEL)
    assert siting.chosen == [0] and siting.gain_weight == 12 and siting.gain_people == 3


def test_grid_candidates_cover_the_box_within_the_limit():
    people = [Person(i, *offset(rng_n, rng_e)) for i, (rng_n, rng_e) in enumerate([(0, 0), (3000, 4000)])]
    grid = grid_candidates(people, spacing_m=500, limit=200)
    assert 0 < len(grid) <= 200
    lats = [g[0] for g in grid]
    assert min(lats) <= people[0].lat + 1e-6 and max(lats) >= people[1].lat - 500 / M_PER_DEG
