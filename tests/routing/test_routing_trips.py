"""Reload trips: a worker goes back to the kitchen to load again.

The checker is tested on hand-written routes that break exactly one rule; the solver's plans
are always judged by the checker, never by the solver's own figures.
"""

import numpy as np
import pytest

from dispatch.routing import Depot, InvalidProblem, Kind, Problem, Reason, Route, Stop, TimeWindow, Worker, check

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
