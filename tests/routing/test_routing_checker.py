"""The independent checker catches each kind of broken rule in hand-made plans."""

import numpy as np

from dispatch.routing import Break, Depot, Kind, Problem, Reason, Route, Stop, TimeWindow, Unassigned, Worker, check

SHIFT = TimeWindow(0, 1000)


def problem(stops, workers, travel=10, depots=()):
    n = len(stops) + 2 * len(workers)
    m = np.full((n, n), travel, dtype=np.int64)
    np.fill_diagonal(m, 0)
    return Problem(tuple(stops), tuple(workers), {"car": m}, tuple(depots))


def kinds(p, routes, unassigned=()):
    return [v.kind for v in check(p, routes, unassigned)]


def test_a_valid_plan_has_no_violations():
    p = problem([Stop("a", windows=(TimeWindow(0, 100),)), Stop("b")], [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == []


def test_unknown_worker():
    p = problem([Stop("a")], [Worker("w", SHIFT)])
    assert Kind.UNKNOWN_WORKER in kinds(p, [Route("x", ("a",), 0)], [Unassigned("a", Reason.NO_ROOM)])


def test_duplicate_worker():
    p = problem([Stop("a"), Stop("b")], [Worker("w", SHIFT)])
    assert Kind.DUPLICATE_WORKER in kinds(p, [Route("w", ("a",), 0), Route("w", ("b",), 0)])


def test_unknown_stop():
    p = problem([Stop("a")], [Worker("w", SHIFT)])
    assert Kind.UNKNOWN_STOP in kinds(p, [Route("w", ("a", "zz"), 0)])


def test_duplicate_stop():
    p = problem([Stop("a")], [Worker("w", SHIFT), Worker("v", SHIFT)])
    assert Kind.DUPLICATE_STOP in kinds(p, [Route("w", ("a",), 0), Route("v", ("a",), 0)])


def test_missing_stop():
    p = problem([Stop("a"), Stop("b")], [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.MISSING_STOP]


def test_skill():
    p = problem([Stop("a", skills={"bathing"})], [Worker("w", SHIFT, skills={"cleaning"})])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.SKILL]


def test_kitchen():
    p = problem([Stop("a", hot_meal=True, depot="k")], [Worker("w", SHIFT)], depots=[Depot("k", hold_limit=500)])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.KITCHEN]


def test_capacity():
    p = problem([Stop("a", demand=(3,)), Stop("b", demand=(3,))], [Worker("w", SHIFT, capacity=(5,))])
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == [Kind.CAPACITY]


def test_time_window_recomputed_from_the_matrix():
    # b closes at 15 but a (10 away) plus 10 more cannot reach it before 20.
    p = problem([Stop("a"), Stop("b", windows=(TimeWindow(0, 15),))], [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == [Kind.TIME_WINDOW]
    assert kinds(p, [Route("w", ("b", "a"), 0)]) == []


def test_second_window_is_used_when_the_first_has_closed():
    p = problem([Stop("a", service=30), Stop("b", windows=(TimeWindow(0, 15), TimeWindow(100, 120)))],
                [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == []


def test_shift_start():
    p = problem([Stop("a")], [Worker("w", TimeWindow(100, 1000))])
    assert kinds(p, [Route("w", ("a",), 50)]) == [Kind.SHIFT]


def test_shift_end():
    p = problem([Stop("a", service=100)], [Worker("w", TimeWindow(0, 100))])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.SHIFT]


def test_max_work():
    p = problem([Stop("a", service=100)], [Worker("w", SHIFT, max_work=60)])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.MAX_WORK]


def test_hold_limit_counts_from_departure():
    stops = [Stop("a", hot_meal=True, depot="k", service=30), Stop("b", hot_meal=True, depot="k")]
    p = problem(stops, [Worker("w", SHIFT, depot="k")], depots=[Depot("k", hold_limit=45)])
    # a at 10, leaves 40, b at 50 > 45.
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == [Kind.HOLD_LIMIT]
    assert kinds(p, [Route("w", ("b", "a"), 0)]) == []


def test_hold_limit_counts_waiting_at_the_door():
    stops = [Stop("a", hot_meal=True, depot="k", windows=(TimeWindow(200, 300),))]
    p = problem(stops, [Worker("w", SHIFT, depot="k")], depots=[Depot("k", hold_limit=45)])
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.HOLD_LIMIT]
    assert kinds(p, [Route("w", ("a",), 180)]) == []


def test_break_must_fit_its_window():
    worker = Worker("w", SHIFT, breaks=(Break(TimeWindow(0, 5), 50),))
    p = problem([Stop("a", service=10, windows=(TimeWindow(0, 20),))], [worker])
    # Leaving at 10 the break window has closed before any leg starts.
    assert kinds(p, [Route("w", ("a",), 10)]) == [Kind.BREAK]
    assert kinds(p, [Route("w", ("a",), 0)]) == [Kind.TIME_WINDOW]  # break first makes a late
    worker = Worker("w", SHIFT, breaks=(Break(TimeWindow(0, 100), 50),))
    p = problem([Stop("a", service=10, windows=(TimeWindow(0, 20),))], [worker])
    assert kinds(p, [Route("w", ("a",), 0)]) == []  # break after the stop


def test_pinned_worker():
    p = problem([Stop("a", pinned_worker="w")], [Worker("w", SHIFT), Worker("v", SHIFT)])
    assert kinds(p, [Route("v", ("a",), 0)]) == [Kind.PIN]


def test_pinned_position():
    p = problem([Stop("a", pinned_worker="w", pinned_position=0), Stop("b")], [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", ("b", "a"), 0)]) == [Kind.PIN]


def test_served_stop_cannot_disappear():
    p = problem([Stop("a", pinned_worker="w", pinned_position=0, served=True)], [Worker("w", SHIFT)])
    assert kinds(p, [Route("w", (), 0)], [Unassigned("a", Reason.NO_ROOM)]) == [Kind.PIN]


def test_open_route_does_not_pay_the_way_back():
    p = problem([Stop("a", service=80)], [Worker("w", TimeWindow(0, 95), returns=False)])
    assert kinds(p, [Route("w", ("a",), 0)]) == []


def test_the_break_is_placed_where_the_checker_accepts_it_not_on_the_first_leg_with_hot_meals():
    """A rest window open from the start: resting on the first leg (meals on board) breaks the hold limit,
    resting after the last door does not. Callers timing the route by `break_leg_of` get the second."""
    from dispatch.routing.checker import break_leg_of

    stops = [Stop("a", hot_meal=True, depot="k", windows=(TimeWindow(0, 500),)),
             Stop("b", hot_meal=True, depot="k", windows=(TimeWindow(0, 500),))]
    worker = Worker("w", SHIFT, depot="k", breaks=(Break(TimeWindow(0, 400), 100),))
    p = problem(stops, [worker], depots=[Depot("k", hold_limit=45)])
    assert kinds(p, [Route("w", ("a", "b"), 0)]) == []
    leg = break_leg_of(p, 0, [0, 1], 0)
    assert leg == 2  # after both doors (leg 0: to a, leg 1: a to b, leg 2: home)
    from dispatch.routing.checker import walk

    starts = walk(p, 0, [0, 1], 0, leg)[0]
    assert max(starts) <= 45  # both meals at the door within the hold limit, as the verdict assumed
