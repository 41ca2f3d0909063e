"""A worker who both drives meals and visits is never planned in two places at once."""
from __future__ import annotations

from datetime import time

import pytest

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.worker import Skill, WorkerSkill
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning.problem import free_part
from tests.planning_helpers import DAY, add_request, small_site

H = 3600


@pytest.mark.parametrize("busy, prefer, expected", [
    ([], None, (8 * H, 17 * H)),
    ([(11 * H, 13 * H)], None, (13 * H, 17 * H)),                       # the longer piece
    ([(11 * H, 13 * H)], (9 * H, 10 * H), (8 * H, 11 * H)),             # the piece that covers the window
    ([(8 * H + 600, 16 * H + 3000)], None, None),                         # 10 min left either side: nothing
    ([(10 * H, 12 * H)], (11 * H, 11 * H + 1800), None),                 # the window is inside the route elsewhere
    ([(7 * H, 9 * H), (12 * H, 18 * H)], None, (9 * H, 12 * H)),         # routes reaching past the shift
])
def test_free_part_of_a_shift(busy, prefer, expected):
    left = free_part(routing.TimeWindow(8 * H, 17 * H), busy, prefer)
    assert (left.start, left.end) == expected if expected else left is None


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1}


def _intervals(plan):
    return {r.worker_id: (r.start_dt, r.end_dt) for r in plan.routes if r.stops}


def test_a_caregiver_on_visits_at_lunchtime_is_not_also_sent_with_lunch(app):
    s = small_site(seniors=6, drivers=0)
    # The only worker can also carry meals: without the rule she would be routed for lunch over her visits.
    db.session.add(WorkerSkill(worker_id=s.caregiver.id, skill=Skill.MEAL_DELIVERY))
    db.session.commit()
    for senior in s.seniors[:3]:
        add_request(s.site, senior, start=time(11), end=time(12, 30), duration=30)

    visits = planning.load_plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    assert planning.check_plan(visits) == []
    (start, end), = _intervals(visits).values()
    orders.generate_orders(s.site, DAY)
    lunch = planning.load_plan(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)

    assert planning.check_plan(lunch) == []
    for other_start, other_end in (iv for w, iv in _intervals(lunch).items() if w == s.caregiver.id):
        assert other_end <= start or other_start >= end, "the caregiver is routed twice at once"
    routed = [st for r in lunch.routes for st in r.stops]
    assert len(routed) + len(lunch.summary["unassigned"]) == 6  # what does not fit says why


def test_an_afternoon_visit_shift_keeps_the_time_after_the_lunch_run(app):
    s = small_site(seniors=4, drivers=0)
    db.session.add(WorkerSkill(worker_id=s.caregiver.id, skill=Skill.MEAL_DELIVERY))
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    lunch = planning.load_plan(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    assert planning.check_plan(lunch) == [] and not lunch.summary["unassigned"]
    (start, end), = _intervals(lunch).values()
    for senior in s.seniors:  # visits that fit either side of the lunch run
        add_request(s.site, senior, start=time(10), end=time(15), duration=30)

    visits = planning.load_plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    assert planning.check_plan(visits) == []
    (v_start, v_end), = _intervals(visits).values()
    assert v_end <= start or v_start >= end
    assert len([st for r in visits.routes for st in r.stops]) == 4


@pytest.fixture
def before_solve():
    """What the app's solver does before it solves (a test sets ``["hook"]``)."""
    return {}


@pytest.fixture
def app_solve(before_solve):
    """The real solver, handed to the app with a hook in front of it."""
    def solve(problem, *args, **kwargs):
        if "hook" in before_solve:
            before_solve["hook"](problem)
        return routing.solve(problem, *args, **kwargs)
    return solve


def test_a_plan_stored_while_another_solves_does_not_double_book(app, before_solve):
    """Two planners at once: the visits plan is stored while the lunch plan is solving a problem built
    before the visits existed. The lunch plan notices at store time and solves again around them."""
    s = small_site(seniors=6, drivers=0)
    db.session.add(WorkerSkill(worker_id=s.caregiver.id, skill=Skill.MEAL_DELIVERY))
    db.session.commit()
    for senior in s.seniors[:3]:
        add_request(s.site, senior, start=time(11), end=time(12, 30), duration=30)
    orders.generate_orders(s.site, DAY)
    solved, stored = [], {}

    def race(problem):
        solved.append(problem)
        if len(solved) == 1:  # the lunch plan's first solve: meanwhile the visits plan is stored
            stored["visits"] = planning.start_planning(s.site, DAY, "visits", None, by=None).id

    before_solve["hook"] = race
    lunch = planning.load_plan(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    visits = planning.load_plan(stored["visits"])

    assert lunch.summary["job"]["state"] == "done"
    assert len(solved) == 3, "lunch, visits, then lunch again around the visits"
    (start, end), = _intervals(visits).values()
    assert planning.check_plan(lunch) == []
    for other_start, other_end in (iv for w, iv in _intervals(lunch).items() if w == s.caregiver.id):
        assert other_end <= start or other_start >= end, "the caregiver is routed twice at once"
    routed = [st for r in lunch.routes for st in r.stops]
    assert len(routed) + len(lunch.summary["unassigned"]) == 6
