"""Bad input fails early with a clear InvalidProblem, or becomes an unassigned stop with a reason."""

import numpy as np
import pytest

from dispatch.routing import Break, Depot, InvalidProblem, Location, Problem, Reason, Stop, TimeWindow, Worker, solve

SHIFT = TimeWindow(0, 3600)


def test_window_ending_before_it_starts_is_rejected():
    with pytest.raises(InvalidProblem, match="before it starts"):
        TimeWindow(100, 50)


def test_negative_service_duration_is_rejected():
    with pytest.raises(InvalidProblem, match="service"):
        Stop("a", service=-5)


def test_fractional_times_are_rejected():
    with pytest.raises(InvalidProblem, match="integer"):
        TimeWindow(0.5, 10)


def test_overlapping_windows_are_rejected():
    with pytest.raises(InvalidProblem, match="overlapping"):
        Stop("a", windows=(TimeWindow(0, 10), TimeWindow(5, 20)))


def test_latitude_out_of_range_is_rejected():
    with pytest.raises(InvalidProblem, match="lat"):
        Location(95, 10)


def test_missing_coordinates_are_reported_by_name():
    stops = [Stop("mrs-wang", location=None)]
    workers = [Worker("li", SHIFT, start=Location(31.2, 121.4))]
    with pytest.raises(InvalidProblem, match="mrs-wang has no coordinates"):
        Problem.build(stops, workers)


def test_no_workers_is_rejected():
    with pytest.raises(InvalidProblem, match="no workers"):
        Problem((Stop("a"),), (), {"car": np.zeros((1, 1), dtype=int)})


def test_matrix_of_wrong_shape_is_rejected():
    with pytest.raises(InvalidProblem, match="shape"):
        Problem((Stop("a"),), (Worker("w", SHIFT),), {"car": np.zeros((2, 2), dtype=int)})


def test_float_matrix_is_rejected():
    with pytest.raises(InvalidProblem, match="integer seconds"):
        Problem((Stop("a"),), (Worker("w", SHIFT),), {"car": np.zeros((3, 3))})


def test_missing_mode_matrix_is_rejected():
    with pytest.raises(InvalidProblem, match="walk"):
        Problem((Stop("a"),), (Worker("w", SHIFT, mode="walk"),), {"car": np.zeros((3, 3), dtype=int)})


def test_duplicate_stop_ids_are_rejected():
    with pytest.raises(InvalidProblem, match="duplicate stop"):
        Problem((Stop("a"), Stop("a")), (Worker("w", SHIFT),), {"car": np.zeros((4, 4), dtype=int)})


def test_hot_meal_needs_a_kitchen():
    with pytest.raises(InvalidProblem, match="depot"):
        Stop("a", hot_meal=True)


def test_pinned_positions_must_form_the_head_of_the_route():
    stops = (Stop("a", pinned_worker="w", pinned_position=1),)
    with pytest.raises(InvalidProblem, match="0..k-1"):
        Problem(stops, (Worker("w", SHIFT),), {"car": np.zeros((3, 3), dtype=int)})


def test_served_stop_must_be_pinned():
    with pytest.raises(InvalidProblem, match="served"):
        Stop("a", served=True)


def _one_stop(stop, worker, travel=100, depots=()):
    m = np.full((3, 3), travel, dtype=np.int64)
    np.fill_diagonal(m, 0)
    return Problem((stop,), (worker,), {"car": m}, depots)


@pytest.mark.parametrize("stop, worker, reason", [
    (Stop("bath", skills={"bathing"}), Worker("w", SHIFT), Reason.NO_SKILL),
    (Stop("big", demand=(9,)), Worker("w", SHIFT, capacity=(4,)), Reason.CAPACITY),
    (Stop("late", windows=(TimeWindow(7200, 9000),)), Worker("w", SHIFT), Reason.OUTSIDE_SHIFTS),
    (Stop("tight", windows=(TimeWindow(0, 50),)), Worker("w", SHIFT), Reason.WINDOW_UNREACHABLE),
    (Stop("pin", pinned_worker="w", skills={"nursing"}), Worker("w", SHIFT), Reason.PIN),
])
def test_a_stop_nobody_can_serve_gets_a_specific_reason(stop, worker, reason):
    solution = solve(_one_stop(stop, worker), time_limit=1)
    assert [(u.stop_id, u.reason) for u in solution.unassigned] == [(stop.id, reason)]
    assert solution.is_feasible()
    assert stop.id in solution.summary()


def test_hot_meal_beyond_the_hold_limit_is_unassigned_with_that_reason():
    kitchen = Depot("k", hold_limit=600)
    stop = Stop("far", hot_meal=True, depot="k")
    solution = solve(_one_stop(stop, Worker("w", SHIFT, depot="k"), travel=900, depots=(kitchen,)), time_limit=1)
    assert [u.reason for u in solution.unassigned] == [Reason.HOLD_LIMIT]


def test_hot_meal_with_no_worker_from_its_kitchen_is_unassigned():
    stop = Stop("meal", hot_meal=True, depot="k")
    solution = solve(_one_stop(stop, Worker("w", SHIFT), depots=(Depot("k", hold_limit=3000),)), time_limit=1)
    assert [u.reason for u in solution.unassigned] == [Reason.NO_KITCHEN_WORKER]


def test_a_full_day_leaves_a_stop_with_no_room():
    stops = tuple(Stop(f"s{i}", service=1500) for i in range(3))
    m = np.zeros((5, 5), dtype=np.int64)
    solution = solve(Problem(stops, (Worker("w", SHIFT),), {"car": m}), time_limit=1)
    assert len(solution.unassigned) == 1
    assert solution.unassigned[0].reason is Reason.NO_ROOM
    assert solution.is_feasible()


def test_only_one_break_per_worker():
    b = Break(TimeWindow(0, 100), 10)
    with pytest.raises(InvalidProblem, match="one break"):
        Worker("w", SHIFT, breaks=(b, b))
