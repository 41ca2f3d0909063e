"""A caregiver's break: placed by the solver inside the middle of the shift, kept clear of visits, shown to people."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.worker import WorkerShift
from dispatch.platform import clock
from dispatch.services import planning
from dispatch.services.planning.problem import break_of
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, add_request, small_site

H = 3600


@pytest.mark.parametrize("start, end, minutes, expected", [
    (8 * H, 17 * H, 30, (8 * H + 9 * H // 4, 17 * H - 9 * H // 4 - 30 * 60)),  # middle half of 9 h
    (8 * H, 10 * H, 60, (8 * H + 30 * 60, 8 * H + 30 * 60)),                # 2 h shift: only 08:30 keeps it in the middle half
    (8 * H, 17 * H, 0, None),                                                # no break asked
    (8 * H, 9 * H, 60, None),                                                # a break as long as the shift is no shift
])
def test_a_shift_break_starts_within_the_middle_half(start, end, minutes, expected):
    rest = break_of(routing.TimeWindow(start, end), minutes)
    if expected is None:
        assert rest is None
    else:
        assert (rest.window.start, rest.window.end, rest.duration) == (*expected, minutes * 60)
        assert start <= rest.window.start <= rest.window.end and rest.window.end + rest.duration <= end


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1}


def test_visit_plan_gives_the_caregiver_a_break_clear_of_every_visit(app, client):
    s = small_site(seniors=6, drivers=0)
    shift = db.session.query(WorkerShift).filter_by(worker_id=s.caregiver.id).one()
    shift.break_minutes = 30
    db.session.commit()
    for senior in s.seniors:
        add_request(s.site, senior, start=time(9), end=time(16), duration=45)

    plan = planning.load_plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    assert planning.check_plan(plan) == []
    [route] = [r for r in plan.routes if r.stops]
    assert len(route.stops) == 6 and route.break_minutes == 30

    zone = clock.zone_of(s.site)
    rest_start, rest_end = route.break_window(zone)
    day_start = datetime.combine(DAY, time(0), tzinfo=zone)
    earliest = day_start + timedelta(hours=8) + timedelta(hours=9) / 4
    latest = day_start + timedelta(hours=17) - timedelta(hours=9) / 4 - timedelta(minutes=30)
    assert earliest <= rest_start <= latest
    for stop in route.stops:  # no visit is served during the break
        visit = (stop.eta_dt, stop.eta_dt + timedelta(minutes=45))
        assert visit[1] <= rest_start or visit[0] >= rest_end, (visit, (rest_start, rest_end))

    login_as(client, create_user("staff", sites=(s.site,)))
    def en_time(t):  # English pages read the locale's short time: "10:15\u202fAM"
        return f"{t.hour % 12 or 12}:{t:%M}\u202f{'AM' if t.hour < 12 else 'PM'}"

    hhmm = f"{en_time(rest_start)}–{en_time(rest_end)}"
    assert f"break {hhmm}" in client.get(f"/staff/plans/{plan.id}").text
    assert f"Break {hhmm}" in client.get(f"/staff/plans/{plan.id}/sheets").text


def test_meal_runs_carry_no_break(app):
    """A lunch run is a short window of the shift: the shift's break belongs to the visit plan."""
    s = small_site(seniors=3, drivers=1)
    db.session.query(WorkerShift).filter_by(worker_id=s.drivers[0].id).one().break_minutes = 30
    db.session.commit()
    from dispatch.services.meals import orders

    orders.generate_orders(s.site, DAY)
    plan = planning.load_plan(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    assert planning.check_plan(plan) == []
    assert all(r.break_start_dt is None and r.break_minutes == 0 for r in plan.routes)
