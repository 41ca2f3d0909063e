"""The solver on hand-sized problems whose best plan is known; every plan is checked independently."""


import numpy as np
import pytest
from conftest import brute_force_single, line_problem

from dispatch.routing import Break, Depot, Priority, Problem, Reason, Stop, TimeWindow, Worker, check, solve
from dispatch.routing.replan import insert_urgent, moved_stops

FAST = dict(time_limit=1)


def assert_valid(solution):
    assert check(solution.problem, solution.routes, solution.unassigned) == []
    assert solution.is_feasible()
    return solution


def served(solution):
    return {s for r in solution.routes for s in r.stops}


def test_stops_on_a_line_are_swept_in_order():
    p = line_problem([3, 1, 4, 2, 5], returns=False)  # open route: the only optimum sweeps outward
    s = assert_valid(solve(p, **FAST))
    assert s.travel_time == 5
    assert s.route_of("w0").stops == ("s1", "s3", "s0", "s2", "s4")


@pytest.mark.parametrize("seed", range(3))
def test_windows_on_a_line_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    positions = rng.integers(-50, 50, size=6).tolist()
    windows = [(int(a), int(a) + 60) for a in rng.integers(0, 150, size=6)]
    p = line_problem(positions, windows=windows, service=5, shift=(0, 400))
    best = brute_force_single(p)
    s = assert_valid(solve(p, **FAST))
    if best is None:
        assert s.unassigned
    else:
        assert not s.unassigned
        assert s.travel_time == best


def test_two_workers_split_a_line_by_capacity():
    p = line_problem([-3, -2, -1, 1, 2, 3], workers=2, capacity=3, demands=[1] * 6)
    s = assert_valid(solve(p, **FAST))
    assert s.travel_time == 12 and not s.unassigned
    sides = {frozenset(r.stops) for r in s.routes}
    assert sides == {frozenset({"s0", "s1", "s2"}), frozenset({"s3", "s4", "s5"})}
    assert all(v.load <= (3,) for r in s.routes for v in r.visits)
    assert s.routes[0].visits[0].load == (3,)


def test_capacity_overflow_drops_the_least_important_stop():
    stops = (Stop("meal", demand=(2,), priority=Priority.CRITICAL), Stop("chat", demand=(2,), priority=Priority.LOW))
    p = Problem(stops, (Worker("w", TimeWindow(0, 100), capacity=(3,)),), {"car": np.ones((4, 4), dtype=int)})
    s = assert_valid(solve(p, **FAST))
    assert served(s) == {"meal"}
    assert [(u.stop_id, u.reason) for u in s.unassigned] == [("chat", Reason.NO_ROOM)]


def test_skills_send_the_visit_to_the_nurse():
    stops = (Stop("injection", skills={"nursing"}), Stop("lunch"))
    workers = (Worker("driver", TimeWindow(0, 100)), Worker("nurse", TimeWindow(0, 100), skills={"nursing"}))
    m = np.ones((6, 6), dtype=int)
    s = assert_valid(solve(Problem(stops, workers, {"car": m}), **FAST))
    assert s.worker_of("injection") == "nurse"


def test_shifts_decide_who_takes_an_afternoon_visit():
    stops = (Stop("pm", windows=(TimeWindow(600, 700),)), Stop("am", windows=(TimeWindow(10, 50),)))
    workers = (Worker("morning", TimeWindow(0, 100)), Worker("afternoon", TimeWindow(500, 1000)))
    s = assert_valid(solve(Problem(stops, workers, {"car": np.ones((6, 6), dtype=int)}), **FAST))
    assert s.worker_of("pm") == "afternoon" and s.worker_of("am") == "morning"
    assert s.route_of("afternoon").depart >= 500


def test_hot_meals_force_a_second_trip_out_of_the_kitchen():
    # Meals at -20, -10, 10, 20 from the kitchen; one trip serving all arrives at the last after 60 > 45.
    positions = [-20, -10, 10, 20]
    stops = tuple(Stop(f"m{x}", hot_meal=True, depot="k") for x in positions)
    kitchen = Depot("k", hold_limit=45)
    def build(workers):
        xs = np.array(positions + [0] * (2 * workers))
        m = np.abs(xs[:, None] - xs[None, :])
        ws = tuple(Worker(f"w{v}", TimeWindow(0, 1000), depot="k") for v in range(workers))
        return Problem(stops, ws, {"car": m}, (kitchen,))
    one = assert_valid(solve(build(1), **FAST))
    assert len(one.unassigned) == 1 and one.unassigned[0].reason is Reason.NO_ROOM
    two = assert_valid(solve(build(2), **FAST))
    assert not two.unassigned and two.travel_time == 80
    for r in two.routes:
        assert all(v.start - r.depart <= 45 for v in r.visits)


def test_hot_meal_departure_waits_for_the_window():
    stops = (Stop("meal", hot_meal=True, depot="k", windows=(TimeWindow(500, 600),)),)
    p = Problem(stops, (Worker("w", TimeWindow(0, 1000), depot="k"),), {"car": np.full((3, 3), 100)},
                (Depot("k", hold_limit=150),))
    s = assert_valid(solve(p, **FAST))
    r = s.route_of("w")
    assert r.stops == ("meal",) and r.visits[0].start - r.depart <= 150


def test_break_is_placed_inside_its_window():
    brk = Break(TimeWindow(100, 150), 30)
    p = line_problem([10, 20, 30, 40], service=20, shift=(0, 400), breaks=(brk,))
    s = assert_valid(solve(p, **FAST))
    r = s.route_of("w0")
    assert not s.unassigned
    assert r.break_start is not None and 100 <= r.break_start <= 150
    assert r.end - r.depart >= 80 + 80 + 30


def test_break_that_does_not_fit_costs_a_stop():
    brk = Break(TimeWindow(0, 1000), 50)
    p = line_problem([10, 10], service=40, shift=(0, 120), breaks=(brk,))
    s = assert_valid(solve(p, **FAST))
    assert len(s.unassigned) == 1


def test_max_working_time_splits_the_work():
    p = line_problem([10, 20, -10, -20], workers=2, max_work=50)
    s = assert_valid(solve(p, **FAST))
    assert not s.unassigned
    assert all(r.end - r.depart <= 50 for r in s.routes)
    assert sum(1 for r in s.routes if r.stops) == 2


def test_continuity_prefers_yesterdays_worker():
    # Two workers at the same place, two seniors at equal distance: travel cannot decide.
    stops = (Stop("wang", senior_id="wang", previous_worker="li"), Stop("chen", senior_id="chen", previous_worker="zhou"))
    workers = (Worker("zhou", TimeWindow(0, 100), capacity=(1,)), Worker("li", TimeWindow(0, 100), capacity=(1,)))
    stops = tuple(Stop(s.id, demand=(1,), senior_id=s.senior_id, previous_worker=s.previous_worker) for s in stops)
    p = Problem(stops, workers, {"car": np.full((6, 6), 10)})
    s = assert_valid(solve(p, **FAST))
    assert s.worker_of("wang") == "li" and s.worker_of("chen") == "zhou"
    flipped = Problem(tuple(Stop(x.id, demand=(1,), previous_worker={"li": "zhou", "zhou": "li"}[x.previous_worker])
                            for x in stops), workers, {"car": np.full((6, 6), 10)})
    s = assert_valid(solve(flipped, **FAST))
    assert s.worker_of("wang") == "zhou" and s.worker_of("chen") == "li"


def test_continuity_gives_way_to_a_much_shorter_route():
    stops = (Stop("s0", previous_worker="w1"), Stop("s1", previous_worker="w0"))
    xs = np.array([100, -100, 0, 1000, 0, 1000])
    m = np.abs(xs[:, None] - xs[None, :])
    workers = (Worker("w0", TimeWindow(0, 10_000)), Worker("w1", TimeWindow(0, 10_000)))
    s = assert_valid(solve(Problem(stops, workers, {"car": m}), time_limit=1, continuity_weight=60))
    assert s.worker_of("s0") == "w0"  # w1 starts 900 further away; 60 s of loyalty is not worth it


def test_served_and_pinned_stops_stay_on_replan():
    stops = [Stop("done", pinned_worker="w1", pinned_position=0, served=True),
             Stop("next", pinned_worker="w1", pinned_position=1),
             Stop("free1"), Stop("free2")]
    xs = np.array([50, 40, -1, 1, 0, 0, 0, 0])
    m = np.abs(xs[:, None] - xs[None, :])
    workers = (Worker("w0", TimeWindow(0, 1000)), Worker("w1", TimeWindow(0, 1000)))
    s = assert_valid(solve(Problem(tuple(stops), workers, {"car": m}), **FAST))
    assert s.route_of("w1").stops[:2] == ("done", "next")
    assert not s.unassigned


def test_urgent_stop_is_inserted_without_moving_others():
    rng = np.random.default_rng(7)
    pts = rng.integers(-100, 100, size=(13, 2))
    n, k = 12, 3
    xs = np.vstack([pts, np.zeros((2 * k, 2), dtype=int)])
    m = np.rint(np.hypot(*(xs[:, None, :] - xs[None, :, :]).transpose(2, 0, 1))).astype(int)
    stops = tuple(Stop(f"s{i}", service=10) for i in range(n)) + (Stop("urgent", service=10),)
    workers = tuple(Worker(f"w{v}", TimeWindow(0, 2000)) for v in range(k))
    without = Problem(stops[:n], workers, {"car": np.delete(np.delete(m, n, 0), n, 1)})
    plan = assert_valid(solve(without, **FAST))
    p = Problem(stops, workers, {"car": m})
    after = assert_valid(insert_urgent(p, plan, "urgent", time_limit=1))
    assert after.worker_of("urgent") is not None
    assert moved_stops(plan, after) == set()


def test_urgent_stop_moves_few_stops_when_it_must():
    # One worker is full (capacity 3); the urgent stop needs the other worker's only skill slot.
    stops = tuple(Stop(f"s{i}", demand=(1,)) for i in range(4)) + (Stop("urgent", demand=(1,), skills={"nursing"}),)
    workers = (Worker("nurse", TimeWindow(0, 1000), capacity=(3,), skills={"nursing"}),
               Worker("driver", TimeWindow(0, 1000), capacity=(3,)))
    m = np.ones((9, 9), dtype=int)
    p = Problem(stops, workers, {"car": m})
    published = {"nurse": ["s0", "s1", "s2"], "driver": ["s3"]}
    after = assert_valid(insert_urgent(p, published, "urgent", time_limit=1))
    assert after.worker_of("urgent") == "nurse"
    assert len(moved_stops(published, after)) == 1


def test_same_seed_same_plan():
    rng = np.random.default_rng(3)
    pts = rng.integers(0, 200, size=(30, 2))
    xs = np.vstack([pts, np.full((8, 2), 100)])
    m = np.rint(np.hypot(*(xs[:, None, :] - xs[None, :, :]).transpose(2, 0, 1))).astype(int)
    stops = tuple(Stop(f"s{i}", demand=(1,), service=5) for i in range(30))
    workers = tuple(Worker(f"w{v}", TimeWindow(0, 5000), capacity=(9,)) for v in range(4))
    p = Problem(stops, workers, {"car": m})
    # The solution limit bounds the search, not the clock: a 1-s limit on a loaded machine cut
    # the two runs at different points. 30 s is never reached; 200 solutions take well under 1 s.
    a = solve(p, time_limit=30, seed=5, solution_limit=200)
    b = solve(p, time_limit=30, seed=5, solution_limit=200)
    assert [r.stops for r in a.routes] == [r.stops for r in b.routes]
    assert_valid(a)


def test_a_problem_with_nothing_servable_returns_an_empty_valid_plan():
    p = Problem((Stop("x", skills={"surgery"}),), (Worker("w", TimeWindow(0, 10)),), {"car": np.zeros((3, 3), int)})
    s = assert_valid(solve(p, **FAST))
    assert s.unassigned[0].reason is Reason.NO_SKILL and not served(s)


def test_summary_names_routes_and_reasons():
    p = line_problem([1, 2], workers=1)
    s = solve(p, **FAST)
    text = s.summary()
    assert "1 routes, 2 stops placed, 0 unassigned" in text and "w0" in text


def test_balance_spreads_equal_work_over_workers():
    # Four stops next to the depot: one worker could do everything at no extra travel.
    p = line_problem([1, 1, 1, 1], workers=2, service=100, shift=(0, 1000))
    lazy = assert_valid(solve(p, **FAST))
    assert sorted(len(r.stops) for r in lazy.routes) == [0, 4]  # without balancing, nothing splits them
    balanced = assert_valid(solve(p, time_limit=1, balance_weight=10))
    assert sorted(len(r.stops) for r in balanced.routes) == [2, 2]
    assert balanced.travel_time <= lazy.travel_time + 2


def test_plan_cost_takes_off_only_the_penalties_the_objective_holds():
    """A stop no worker can reach in its window never enters the model (no penalty in the
    objective); a stop left out for lack of room does. The plan cost is travel either way."""
    from dispatch.routing.solver import plan_cost

    # Capacity 2 for three stops of one meal each: one stays out for room. The fourth stop at
    # 500 closes at 100: unreachable for anyone.
    problem = line_problem([10, 20, 30, 500], capacity=2, demands=[1, 1, 1, 0],
                           windows=[None, None, None, (0, 100)])
    solution = solve(problem, time_limit=1, seed=0)
    reasons = sorted(u.reason.name for u in solution.unassigned)
    assert reasons == ["NO_ROOM", "WINDOW_UNREACHABLE"]
    assert plan_cost(solution) == solution.travel_time > 0
    assert solution.cost > solution.travel_time
