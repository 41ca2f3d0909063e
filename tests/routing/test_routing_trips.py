"""Reload trips: a worker goes back to the kitchen to load again.

The checker is tested on hand-written routes that break exactly one rule; the solver's plans
are always judged by the checker, never by the solver's own figures.
"""

import numpy as np
import pytest

from dispatch.routing import (
    Break,
    Depot,
    InvalidProblem,
    Kind,
    Problem,
    Reason,
    Route,
    Stop,
    TimeWindow,
    Worker,
    check,
    solve,
)

SHIFT = TimeWindow(0, 10_000)


def line(stops, workers, depots, starts, ends=None, kitchens=()):
    """Places on a line, travel = distance: stops, then worker starts and ends, then kitchens."""
    xs = [x for _, x in stops] + list(starts) + list(ends if ends is not None else starts) + list(kitchens)
    xs = np.array(xs)
    matrix = np.abs(xs[:, None] - xs[None, :]).astype(np.int64)
    return Problem(tuple(s for s, _ in stops), tuple(workers), {"car": matrix}, tuple(depots))


def hot(name, x, **kw):
    return Stop(name, demand=(1,), hot_meal=True, depot="k", **kw), x


def kinds(p, routes, unassigned=()):
    return [v.kind for v in check(p, routes, unassigned)]


# --- the checker on hand-made plans ------------------------------------------------------------

def rider_site(kitchen=None, trips=2, capacity=2):
    """Four hot meals at 10, 20, -10, -20 from a kitchen at 0; one rider carrying `capacity`."""
    kitchen = kitchen or Depot("k", hold_limit=25, load_time=5)
    stops = [hot("a", 10), hot("b", 20), hot("c", -10), hot("d", -20)]
    rider = Worker("r", SHIFT, depot="k", capacity=(capacity,), trips=trips)
    return line(stops, [rider], [kitchen], starts=[0], kitchens=[0])


def test_a_reload_route_within_every_rule_passes():
    p = rider_site()
    # Out to 10, 20, back (20) + load 5: leaves again at 45, -10 at 55, -20 at 65.
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(2,), trip_departs=(0, 45))]) == []
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(2,))]) == []


def test_capacity_is_per_trip():
    p = rider_site(Depot("k", hold_limit=1000, load_time=5))
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(1,))]) == [Kind.CAPACITY]


def test_hold_limit_counts_from_the_trip_departure():
    p = rider_site(capacity=3)
    # Trip 1 leaves at 25: -10 at 35 (10 s held), -20 at 45 (20 s), 20 at 85 (60 s > 25).
    found = check(p, [Route("r", ("a", "c", "d", "b"), 0, reloads=(1,), trip_departs=(0, 25))])
    assert [(v.kind, v.stop_id) for v in found] == [(Kind.HOLD_LIMIT, "b")]
    assert "60 s after leaving k on trip 1" in found[0].message
    # Waiting at the kitchen before leaving holds nothing; waiting at a door does.
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(2,), trip_departs=(0, 500))]) == []


def test_more_loads_than_trips():
    p = rider_site(trips=2, capacity=1)
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(1, 2, 3))]) == [Kind.TRIPS]


def test_reload_position_out_of_range_or_not_increasing():
    p = rider_site(Depot("k", hold_limit=1000), capacity=4)
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(4,))]) == [Kind.RELOAD]
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(-1,))]) == [Kind.RELOAD]
    p3 = line([hot("a", 10), hot("b", 20)], [Worker("r", SHIFT, depot="k", trips=3)], [Depot("k")],
              starts=[0], kitchens=[0])
    assert kinds(p3, [Route("r", ("a", "b"), 0, reloads=(1, 1))]) == [Kind.RELOAD]


def test_trip_said_to_leave_before_the_rider_is_back():
    p = rider_site()
    # Back at 40, loaded at 45: leaving at 44 is impossible.
    found = check(p, [Route("r", ("a", "b", "c", "d"), 0, reloads=(2,), trip_departs=(0, 44))])
    assert [v.kind for v in found] == [Kind.RELOAD] and "45" in found[0].message


def test_no_hot_meal_leaves_before_ready():
    p = rider_site(Depot("k", hold_limit=25, load_time=5, ready=40))
    assert kinds(p, [Route("r", ("a", "b", "c", "d"), 40, reloads=(2,))]) == []
    found = check(p, [Route("r", ("a", "b", "c", "d"), 30, reloads=(2,))])
    assert [v.kind for v in found] == [Kind.READY] and "trip 0" in found[0].message


def test_packing_rate_counts_every_riders_departures():
    kitchen = Depot("k", hold_limit=100, ready=0, packing_rate=2)
    stops = [hot("a", 10), hot("b", 20), hot("c", -10), hot("d", -20)]
    riders = [Worker("r", SHIFT, depot="k", trips=2), Worker("q", SHIFT, depot="k", trips=2)]
    p = line(stops, riders, [kitchen], starts=[0, 0], kitchens=[0])
    both_at_ready = [Route("r", ("a", "b"), 0), Route("q", ("c", "d"), 0)]
    assert kinds(p, both_at_ready) == [Kind.PACKING]
    # Two meals in the first 10 minutes, two more in the next: the second rider waits.
    assert kinds(p, [Route("r", ("a", "b"), 0), Route("q", ("c", "d"), 600)]) == []
    assert kinds(p, [Route("r", ("a", "b"), 0), Route("q", ("c", "d"), 599)]) == [Kind.PACKING]


def test_caregiver_from_home_carries_hot_meals_only_after_loading():
    kitchen = Depot("k", hold_limit=30, load_time=10)
    stops = [(Stop("visit", service=100), 60), hot("lunch", 20)]
    carer = Worker("c", SHIFT, depot="k", trips=2)
    p = line(stops, [carer], [kitchen], starts=[50], kitchens=[0])
    # Home 50 -> visit 60 (100 s) -> kitchen 0 (load 10) -> lunch 20: held 20 s.
    assert kinds(p, [Route("c", ("visit", "lunch"), 0, reloads=(1,))]) == []
    assert kinds(p, [Route("c", ("lunch", "visit"), 0)]) == [Kind.KITCHEN]
    # Reaching the kitchen first is one load, not two.
    assert kinds(p, [Route("c", ("lunch", "visit"), 0, reloads=(0,))]) == []


def test_reloads_need_a_kitchen_and_more_than_one_trip():
    p = line([hot("a", 10), (Stop("b"), 20)], [Worker("r", SHIFT, depot="k")], [Depot("k")], starts=[0])
    assert kinds(p, [Route("r", ("a", "b"), 0, reloads=(1,))]) == [Kind.TRIPS]
    p = line([(Stop("b"), 20)], [Worker("r", SHIFT)], [], starts=[0])
    assert kinds(p, [Route("r", ("b",), 0, reloads=(0,))]) == [Kind.RELOAD]


# --- refused input ---------------------------------------------------------------------------------

def test_trips_below_one_is_refused():
    with pytest.raises(InvalidProblem, match="worker r trips .* at least 1"):
        Worker("r", SHIFT, depot="k", trips=0)


def test_more_trips_without_a_kitchen_is_refused():
    with pytest.raises(InvalidProblem, match="worker r has 2 trips but no kitchen"):
        Worker("r", SHIFT, trips=2)


@pytest.mark.parametrize("rate", [0, -5])
def test_packing_rate_must_be_positive(rate):
    with pytest.raises(InvalidProblem, match="depot k packing_rate .* at least 1"):
        Depot("k", ready=0, packing_rate=rate)


def test_packing_rate_needs_a_ready_time():
    with pytest.raises(InvalidProblem, match="no ready time"):
        Depot("k", packing_rate=10)


# --- the solver, judged by the checker --------------------------------------------------------------

FAST = dict(time_limit=3, seed=1)


def checked(solution):
    assert check(solution.problem, solution.routes, solution.unassigned) == []
    return solution


def test_meals_beyond_one_load_are_all_served_through_reloads():
    xs = [10, 20, 30, -10, -20, -30, 15, -15]
    stops = [hot(f"m{i}", x) for i, x in enumerate(xs)]
    p = line(stops, [Worker("r", SHIFT, depot="k", capacity=(3,), trips=3)], [Depot("k", hold_limit=60, load_time=5)],
             starts=[0], kitchens=[0])
    s = checked(solve(p, **FAST))
    r = s.route_of("r")
    assert not s.unassigned and len(r.reloads) == 2
    assert [len(t) for t in r.trips] == [2, 3, 3] or sorted(len(t) for t in r.trips) == [2, 3, 3]
    assert len(r.trip_departs) == 3 and r.trip_departs[0] == r.depart
    assert [v.trip for v in r.visits] == [k for k, t in enumerate(r.trips) for _ in t]


def test_one_trip_leaves_what_a_second_load_would_carry():
    stops = [hot(f"m{i}", x) for i, x in enumerate([10, 20, -10, -20])]
    one = line(stops, [Worker("r", SHIFT, depot="k", capacity=(2,))], [Depot("k", hold_limit=60)],
               starts=[0])
    assert len(checked(solve(one, **FAST)).unassigned) == 2
    two = line(stops, [Worker("r", SHIFT, depot="k", capacity=(2,), trips=2)], [Depot("k", hold_limit=60)],
               starts=[0], kitchens=[0])
    assert not checked(solve(two, **FAST)).unassigned


def test_hold_limit_holds_per_trip():
    # Meals at ±10, ±20 with a 25 s hold: no single trip can serve both sides (the far one is 40+ s out).
    stops = [hot(f"m{i}", x) for i, x in enumerate([10, 20, -10, -20])]
    kitchen = Depot("k", hold_limit=25, load_time=5)
    p = line(stops, [Worker("r", SHIFT, depot="k", trips=2)], [kitchen], starts=[0], kitchens=[0])
    s = checked(solve(p, **FAST))
    r = s.route_of("r")
    assert not s.unassigned and len(r.reloads) == 1
    for v in r.visits:
        assert v.start - r.trip_departs[v.trip] <= 25


def test_caregiver_with_morning_visits_brings_lunch_from_the_kitchen():
    # Home at 500, visits at 600 and 700 in the morning, the kitchen at 0 cooks till 11:00 (here 3000),
    # lunch at 100 between 3000 and 3600 with a 150 s hold: only a reload at the kitchen serves it.
    kitchen = Depot("k", hold_limit=150, load_time=60, ready=3000)
    stops = [(Stop("bath", service=900, windows=(TimeWindow(0, 1500),)), 600),
             (Stop("meds", service=300, windows=(TimeWindow(0, 2500),)), 700),
             (Stop("lunch", demand=(1,), hot_meal=True, depot="k", windows=(TimeWindow(3000, 3600),)), 100)]
    carer = Worker("c", TimeWindow(0, 8000), depot="k", capacity=(1,), trips=2)
    p = line(stops, [carer], [kitchen], starts=[500], kitchens=[0])
    s = checked(solve(p, **FAST))
    r = s.route_of("c")
    assert not s.unassigned and r.stops[2] == "lunch" and r.reloads == (2,)
    lunch = r.visits[2]
    assert lunch.trip == 1 and r.trip_departs[1] >= 3000 and lunch.start - r.trip_departs[1] <= 150


def test_without_a_reload_the_caregiver_cannot_take_lunch():
    kitchen = Depot("k", hold_limit=150, load_time=60)
    stops = [hot("lunch", 100)]
    # With one trip the start counts as the kitchen (as always): 400 s from home is over the hold.
    p = line(stops, [Worker("c", SHIFT, depot="k")], [kitchen], starts=[500])
    s = checked(solve(p, **FAST))
    assert [u.reason for u in s.unassigned] == [Reason.HOLD_LIMIT]
    p = line(stops, [Worker("c", SHIFT, depot="k", trips=2)], [kitchen], starts=[500], kitchens=[0])
    s = checked(solve(p, **FAST))
    assert not s.unassigned and s.route_of("c").reloads == (0,)


def test_packing_rate_staggers_the_riders():
    # Two riders, 4 meals each, at a kitchen packing 4 per 10 minutes from 1000: one leaves at
    # 1000, the other no earlier than 1600.
    kitchen = Depot("k", hold_limit=200, ready=1000, packing_rate=4)
    stops = [hot(f"m{i}", x) for i, x in enumerate([10, 20, 30, 40, -10, -20, -30, -40])]
    riders = [Worker(f"r{v}", TimeWindow(0, 5000), depot="k", capacity=(4,)) for v in range(2)]
    p = line(stops, riders, [kitchen], starts=[0, 0])
    s = checked(solve(p, **FAST))
    assert not s.unassigned
    departs = sorted(r.depart for r in s.routes if r.stops)
    assert departs[0] >= 1000 and departs[1] >= 1600
    both = [Route(r.worker_id, r.stops, 1000) for r in s.routes]
    assert Kind.PACKING in kinds(p, both)


def test_packing_rate_staggers_reload_trips():
    kitchen = Depot("k", hold_limit=200, ready=1000, packing_rate=2, load_time=10)
    stops = [hot(f"m{i}", x) for i, x in enumerate([10, 20, -10, -20])]
    p = line(stops, [Worker("r", TimeWindow(0, 5000), depot="k", capacity=(2,), trips=2)], [kitchen],
             starts=[0], kitchens=[0])
    s = checked(solve(p, **FAST))
    r = s.route_of("r")
    assert not s.unassigned and r.trip_departs[0] >= 1000 and r.trip_departs[1] >= 1600


def test_a_trip_too_small_for_one_meal_is_a_capacity_reason():
    # The precheck's reason: no eligible worker's box holds the meal, however many trips.
    stops = [(Stop("big", demand=(3,), hot_meal=True, depot="k"), 10), hot("small", 20)]
    p = line(stops, [Worker("r", SHIFT, depot="k", capacity=(2,), trips=3)], [Depot("k", hold_limit=100)],
             starts=[0], kitchens=[0])
    s = checked(solve(p, **FAST))
    assert [(u.stop_id, u.reason) for u in s.unassigned] == [("big", Reason.CAPACITY)]


def test_one_trip_everywhere_plans_exactly_as_before_reloads():
    """The plan of a fixed search recorded before reload trips existed (same seed, same limits)."""
    s = solve(legacy_day(), time_limit=30, seed=2, solution_limit=100, search_iterations=300)
    assert {r.worker_id: (r.stops, r.depart) for r in s.routes} == {
        "w0": (("s22", "s16", "s11", "s21", "s00", "s23"), 3000),
        "w1": (("s04", "s07", "s06", "s03", "s14", "s13"), 3283),
        "w2": (("s10", "s01", "s19", "s09", "s18", "s20"), 3249),
        "w3": (("s02", "s08", "s05", "s15", "s12", "s17"), 3478),
    }
    assert not s.unassigned and s.cost == 6074
    assert all(r.reloads == () and r.trip_departs == () for r in s.routes)
    checked(s)


def legacy_day():
    rng = np.random.default_rng(11)
    n, m = 24, 4
    pts = rng.integers(0, 900, size=(n, 2))
    xs = np.vstack([pts, np.full((2 * m, 2), 450)])
    mat = np.rint(np.hypot(*(xs[:, None, :] - xs[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    stops = []
    for i in range(n):
        is_hot = i < 16
        stops.append(Stop(f"s{i:02d}", demand=(1,), service=60, hot_meal=is_hot, depot="k" if is_hot else None,
                          windows=(TimeWindow(3600, 7200),) if is_hot else (),
                          skills={"care"} if i >= 21 else frozenset()))
    workers = [Worker(f"w{v}", TimeWindow(3000, 12000), depot="k", capacity=(6,),
                      skills={"care"} if v == 0 else frozenset(),
                      breaks=(Break(TimeWindow(7200, 9000), 600),) if v == 0 else ()) for v in range(m)]
    return Problem(tuple(stops), tuple(workers), {"car": mat}, (Depot("k", hold_limit=1500),))


@pytest.mark.parametrize("seed", [2, 6, 10, 17, 26])
def test_mixed_days_with_reloads_pass_the_checker_unrepaired(seed):
    """Breaks, windows, working-time caps, workers from home and kitchens with ready times and
    packing rates: OR-Tools' plan must pass the checker as it is, not after dropping stops."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(6, 14)), int(rng.integers(1, 4))
    pts = rng.integers(0, 400, size=(n, 2))
    kitchen = np.array([200, 200])
    homes = [kitchen if rng.random() < 0.6 else rng.integers(0, 400, size=2) for _ in range(m)]
    xs = np.vstack([pts, homes, homes, [kitchen]])
    mat = np.rint(np.hypot(*(xs[:, None, :] - xs[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    depot = Depot("k", hold_limit=int(rng.integers(300, 900)), load_time=int(rng.integers(0, 120)),
                  ready=int(rng.integers(0, 1500)) if rng.random() < 0.6 else None)
    if depot.ready is not None and rng.random() < 0.6:
        depot = Depot("k", hold_limit=depot.hold_limit, load_time=depot.load_time, ready=depot.ready,
                      packing_rate=int(rng.integers(1, 5)))
    stops = []
    for i in range(n):
        is_hot = rng.random() < 0.7
        w0 = int(rng.integers(0, 4000))
        stops.append(Stop(f"s{i}", demand=(int(rng.integers(1, 3)),), service=int(rng.integers(0, 120)),
                          hot_meal=is_hot, depot="k" if is_hot else None,
                          windows=(TimeWindow(w0, w0 + int(rng.integers(300, 3000))),) if rng.random() < 0.6 else ()))
    workers = []
    for v in range(m):
        brk = (Break(TimeWindow(1500, 3000), 300),) if rng.random() < 0.4 else ()
        workers.append(Worker(f"w{v}", TimeWindow(0, 8000), depot="k", capacity=(int(rng.integers(2, 6)),),
                              trips=int(rng.integers(1, 4)), breaks=brk,
                              max_work=int(rng.integers(3000, 8000)) if rng.random() < 0.3 else None))
    p = Problem(tuple(stops), tuple(workers), {"car": mat}, (depot,))
    assert p.has_reloads
    s = checked(solve(p, time_limit=1, seed=seed))
    assert "repaired" not in s.status and any(r.reloads for r in s.routes)


def test_a_matrix_without_the_kitchen_says_what_it_lacks():
    with pytest.raises(InvalidProblem, match=r"expected \(4, 4\) .* kitchens workers reload at: k"):
        Problem((Stop("a"),), (Worker("r", SHIFT, depot="k", trips=2),), {"car": np.zeros((3, 3), dtype=np.int64)},
                (Depot("k"),))


def test_an_urgent_meal_joins_a_published_plan_with_reloads():
    from dispatch.routing.replan import insert_urgent

    xs = [10, 20, 30, -10, -20, -30, 15, -15]
    stops = [hot(f"m{i}", x) for i, x in enumerate(xs)]
    kitchen = Depot("k", hold_limit=60, load_time=5)
    riders = [Worker("r", SHIFT, depot="k", capacity=(3,), trips=3), Worker("q", SHIFT, depot="k", capacity=(3,),
                                                                           trips=3)]
    day = line(stops, riders, [kitchen], starts=[0, 0], kitchens=[0])
    published = checked(solve(line(stops[:-1], riders, [kitchen], starts=[0, 0], kitchens=[0]), **FAST))
    assert not published.unassigned
    after = checked(insert_urgent(day, published, "m7", time_limit=2, seed=1))
    assert not after.unassigned
    before = {s: r.worker_id for r in published.routes for s in r.stops}
    assert all(after.worker_of(s) == w for s, w in before.items())


def test_a_problem_with_reloads_is_not_polished_by_the_engine():
    stops = [hot(f"m{i}", x) for i, x in enumerate([10, 20, -10, -20])]
    p = line(stops, [Worker("r", SHIFT, depot="k", capacity=(2,), trips=2)], [Depot("k", hold_limit=60)],
             starts=[0], kitchens=[0])
    s = checked(solve(p, time_limit=2, seed=1, solution_limit=20, search_iterations=50))
    assert "polished" not in s.status and not s.unassigned


def test_a_warm_start_that_names_its_reloads_is_taken_as_written():
    """The day's separate plans joined keep each plan's loads: greedy placement by box size would put the
    reload after two meals here, where the 25 s hold breaks; the named one goes where the plan had it."""
    from dispatch.routing.trips import RELOAD

    stops = [hot("a", 10), hot("b", 20), hot("c", -10), hot("d", -20)]
    rider = Worker("r", SHIFT, depot="k", capacity=(3,), trips=2)
    p = line(stops, [rider], [Depot("k", hold_limit=25, load_time=5)], starts=[0], kitchens=[0])
    named = solve(p, time_limit=3, seed=1, solution_limit=1, initial_routes={"r": ["a", "b", RELOAD, "c", "d"]})
    assert not checked(named).unassigned
    r = named.route_of("r")
    assert r.stops == ("a", "b", "c", "d") and r.reloads == (2,)


def test_named_reloads_take_the_workers_places_in_order_and_drop_what_is_left_over():
    from dispatch.routing.trips import RELOAD, named_reloads

    index = {"a": 0, "b": 1}
    assert named_reloads(["a", RELOAD, "b", RELOAD, RELOAD, "gone"], index, [100, 101]) == [0, 100, 1, 101]
    assert named_reloads([RELOAD, "a"], index, []) == [0]  # a worker with one load: the mark means nothing


# --- a whole day on one route: visits, a lunch load, a split-shift gap, a dinner load -----------

def day_site():
    """One worker's whole day from a kitchen at 0: a morning visit at 10, two lunches at 20 and 30 (11:00-12:30
    as 1000-1100), a dinner at 40 (5000-5100); the lunch block ends at 2000 and the dinner block starts at 4000,
    so the gap is a break that starts at 2000 and lasts 2000 (`planning.problem.split_shift`). Four loads."""
    kitchen = Depot("k", hold_limit=100, load_time=5)
    stops = [(Stop("v", windows=(TimeWindow(100, 200),), service=50), 10),
             hot("l1", 20, windows=(TimeWindow(1000, 1100),)), hot("l2", 30, windows=(TimeWindow(1000, 1100),)),
             hot("d1", 40, windows=(TimeWindow(5000, 5100),))]
    gap = Break(TimeWindow(2000, 2000), 2000)
    worker = Worker("w", TimeWindow(0, 6000), depot="k", capacity=(4,), trips=3, breaks=(gap,))
    return line(stops, [worker], [kitchen], starts=[0], kitchens=[0])


def test_a_whole_day_route_within_every_rule_passes():
    p = day_site()
    # Visit, back to load lunch (leaves 960), lunches, the gap, back to load dinner (leaves 4950), dinner.
    route = Route("w", ("v", "l1", "l2", "d1"), 0, reloads=(1, 3), trip_departs=(0, 960, 4950))
    assert kinds(p, [route]) == []


def test_a_whole_day_route_with_the_dinner_on_the_lunch_load_breaks_the_hold_limit():
    p = day_site()
    route = Route("w", ("v", "l1", "l2", "d1"), 0, reloads=(1,), trip_departs=(0, 960))
    assert Kind.HOLD_LIMIT in kinds(p, [route])


def test_a_whole_day_route_with_a_stop_in_the_split_shift_gap_breaks_the_break():
    from dataclasses import replace

    p = day_site()
    # A visit booked at 2500, inside the unpaid gap between the blocks (2000-4000).
    v2 = Stop("v2", windows=(TimeWindow(2500, 2600),), service=10)
    stops = [(s, x) for s, x in zip(p.stops, (10, 20, 30, 40))] + [(v2, 25)]
    p = line(stops, list(p.workers), [p.depot("k")], starts=[0], kitchens=[0])
    route = Route("w", ("v", "l1", "l2", "v2", "d1"), 0, reloads=(1, 4), trip_departs=(0, 960, 4950))
    broken = set(kinds(p, [route]))
    assert broken and broken <= {Kind.BREAK, Kind.TIME_WINDOW}
    # The same route for a worker without the gap is fine: the gap is what it breaks.
    free = line(stops, [replace(p.workers[0], breaks=())], [p.depot("k")], starts=[0], kitchens=[0])
    assert kinds(free, [route]) == []


def test_a_whole_day_route_taking_more_loads_than_the_day_allows_breaks_the_trips_rule():
    p = day_site()
    route = Route("w", ("v", "l1", "l2", "d1"), 0, reloads=(1, 2, 3), trip_departs=(0, 960, 990, 4950))
    assert Kind.TRIPS in kinds(p, [route])
