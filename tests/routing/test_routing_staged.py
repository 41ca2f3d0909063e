"""A day planned in stages (lunch, dinner, visits), then as one problem started from them (`routing.staged`)."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.routing import (
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
)
from dispatch.routing.options import SolveOptions
from dispatch.routing.staged import Staged, longest_free, plan_stages, solve_staged, staged_start, within
from dispatch.routing.trips import RELOAD

H = 3600
CENTRE = (31.2304, 121.4737)
LUNCH, DINNER = TimeWindow(11 * H, 12 * H + 30 * 60), TimeWindow(17 * H, 18 * H + 30 * 60)
FIXED = SolveOptions(time_limit=60, solution_limit=30, search_iterations=6000)


def small_day(seed: int = 0, lunch: int = 20, dinner: int = 10, visits: int = 6):
    """A kitchen, `lunch` + `dinner` hot meals, `visits` home visits (08:00-16:00) and four workers: a rider,
    a caregiver and two who do both, each meal worker with two loads per meal (four for the day, five with
    the morning's visits)."""
    rng = np.random.default_rng(seed)
    kitchen = Depot("kitchen", Location(*CENTRE), hold_limit=45 * 60, load_time=5 * 60)

    def around(km: float) -> Location:
        r, a = km * np.sqrt(rng.random()), rng.random() * 2 * np.pi
        return Location(CENTRE[0] + r * np.sin(a) / 111.0,
                        CENTRE[1] + r * np.cos(a) / (111.0 * np.cos(np.radians(CENTRE[0]))))

    stops = []
    for meal, window, count in (("lunch", LUNCH, lunch), ("dinner", DINNER, dinner)):
        stops += [Stop(f"{meal}-{i:02d}", around(2.0), demand=(1,), service=120, windows=(window,), hot_meal=True,
                       depot="kitchen", priority=Priority.CRITICAL) for i in range(count)]
    for j in range(visits):
        start = int(rng.integers(8 * H, 15 * H))
        stops.append(Stop(f"visit-{j}", around(2.5), demand=(0,), service=1800, windows=(TimeWindow(start, start + H),),
                          skills={"bathing"}, priority=Priority.HIGH))
    rest = (Break(TimeWindow(12 * H + 30 * 60, 14 * H), 30 * 60),)
    workers = [Worker("rider", TimeWindow(10 * H + 30 * 60, 19 * H), depot="kitchen", capacity=(8,), mode="e_bike",
                      trips=4),
               Worker("carer", TimeWindow(8 * H, 16 * H + 30 * 60), depot="kitchen", capacity=(0,), mode="e_bike",
                      skills={"bathing"}, breaks=rest),
               *[Worker(f"both{v}", TimeWindow(8 * H, 19 * H), depot="kitchen", capacity=(6,), mode="e_bike",
                        skills={"bathing"}, breaks=rest, trips=5, max_work=10 * H) for v in range(2)]]
    problem = Problem.build(stops, workers, [kitchen], travel=GeodesicTravel(), dimensions=("meals",))
    stages = [[s.id for s in stops if s.id.startswith(p)] for p in ("lunch", "dinner", "visit")]
    return problem, stages


@pytest.fixture(scope="module")
def day():
    problem, stages = small_day()
    return problem, stages, plan_stages(problem, stages, FIXED)


def test_longest_free_and_within():
    shift = TimeWindow(8 * H, 19 * H)
    assert longest_free(shift, [(10 * H, 12 * H), (17 * H, 18 * H)]) == TimeWindow(12 * H, 17 * H)
    assert longest_free(shift, [(8 * H, 19 * H)]) is None
    w = Worker("w", shift, breaks=(Break(TimeWindow(12 * H, 13 * H), 1800),))
    assert within(w, TimeWindow(14 * H, 19 * H)).breaks == ()
    assert within(w, TimeWindow(11 * H, 19 * H)).breaks == w.breaks
    assert within(w, TimeWindow(9 * H, 9 * H + 600)) is None


def test_the_staged_start_is_a_valid_day_serving_what_the_stages_served(day):
    problem, stages, staged = day
    assert isinstance(staged, Staged) and staged.start is not None
    assert len(staged.stages) == 3
    start = staged.start
    assert check(problem, start.routes, start.unassigned) == []
    served = sum(len(r.stops) for r in start.routes)
    assert served >= sum(len(r.stops) for s in staged.stages for r in s.routes)
    assert served == len(problem.stops)
    # The start as handed to the solver: every stage route, a load before each meal stage's route.
    routes = staged.routes
    assert sorted(x for ids in routes.values() for x in ids if x != RELOAD) == sorted(s.id for s in problem.stops)
    assert any(RELOAD in ids for ids in routes.values())


def test_staged_start_returns_the_routes_and_repeats(day):
    problem, stages, staged = day
    assert staged_start(problem, stages, FIXED) == staged.routes


def test_the_staged_solve_travels_no_more_than_the_stages_and_repeats(day):
    problem, stages, staged = day
    solution = solve_staged(problem, stages, FIXED)
    assert check(problem, solution.routes, solution.unassigned) == []
    apart = sum(s.travel_time for s in staged.stages)
    served = sum(len(r.stops) for r in solution.routes)
    assert served >= sum(len(r.stops) for s in staged.stages for r in s.routes)
    assert solution.travel_time <= apart, (solution.travel_time, apart)
    again = solve_staged(problem, stages, FIXED)
    assert [(r.worker_id, r.stops, r.reloads) for r in again.routes] == [
        (r.worker_id, r.stops, r.reloads) for r in solution.routes]
