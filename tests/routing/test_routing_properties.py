"""Random small days always give a plan the independent checker accepts."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.routing import Break, Depot, Problem, Stop, TimeWindow, Worker, check, solve

SKILLS = ["bathing", "nursing", "cleaning"]


@st.composite
def days(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hold = int(rng.integers(60, 400))
    stops = []
    for i in range(n):
        start = int(rng.integers(0, 900))
        windows = () if rng.random() < 0.3 else (TimeWindow(start, start + int(rng.integers(0, 300))),)
        if windows and rng.random() < 0.3:
            later = windows[0].end + int(rng.integers(1, 200))
            windows += (TimeWindow(later, later + int(rng.integers(0, 200))),)
        hot = bool(rng.random() < 0.4)
        stops.append(Stop(
            f"s{i}", demand=(int(rng.integers(0, 4)), int(rng.integers(0, 2))), service=int(rng.integers(0, 60)),
            windows=windows, hot_meal=hot, depot="k" if hot else None,
            skills=frozenset(rng.choice(SKILLS, size=int(rng.integers(0, 2)), replace=False)),
            priority=int(rng.integers(1, 5)), droppable=bool(rng.random() < 0.8),
            previous_worker=f"w{int(rng.integers(0, k))}" if rng.random() < 0.3 else None))
    workers = []
    for v in range(k):
        begin = int(rng.integers(0, 400))
        shift = TimeWindow(begin, begin + int(rng.integers(200, 1200)))
        brk = (Break(TimeWindow(begin + 100, begin + 300), int(rng.integers(10, 60))),) if rng.random() < 0.3 else ()
        workers.append(Worker(
            f"w{v}", shift, depot="k" if rng.random() < 0.6 else None,
            skills=frozenset(rng.choice(SKILLS, size=int(rng.integers(0, 3)), replace=False)),
            capacity=(int(rng.integers(2, 10)), int(rng.integers(1, 3))),
            max_work=int(rng.integers(150, 900)) if rng.random() < 0.3 else None, breaks=brk,
            returns=bool(rng.random() < 0.8)))
    pts = rng.integers(0, 100, size=(n + 2 * k, 2))
    pts[n:] = 50  # everyone starts and ends at the kitchen
    m = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    return Problem(tuple(stops), tuple(workers), {"car": m}, (Depot("k", hold_limit=hold),))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_random_days_give_checker_valid_plans(problem):
    solution = solve(problem, time_limit=0.3)
    assert check(problem, solution.routes, solution.unassigned) == []
    assert "repaired" not in solution.status  # the model itself, not the safety net, kept the rules
    placed = [s for r in solution.routes for s in r.stops]
    assert len(placed) + len(solution.unassigned) == len(problem.stops)
