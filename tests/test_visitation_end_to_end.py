"""Home visitation end to end, as the issue checks it: a tier-1 senior who lives alone and takes no meals
becomes due on the right day, is planned into a visitor's route, the visitor's record reaches the staff's
follow-ups and the family portal; another senior's visit that nobody made escalates to the board."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    Contact,
    ContactKind,
    DueKind,
    DueStatus,
    DueVisit,
    FollowUp,
    MealEnrollment,
    PlanKind,
    Skill,
    WelfareAlert,
    WorkerKind,
)
from dispatch.platform.clock import FixedClock
from dispatch.services import planning
from dispatch.services.visitation import due as due_service
from dispatch.services.visitation import tiers
from tests.factories import create_senior, create_site, create_user, login_as
from tests.planning_helpers import add_worker

DAY = date(2030, 3, 4)  # a Monday
MORNING = datetime(2030, 3, 4, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai


@pytest.fixture
def app_clock():
    return FixedClock(MORNING)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "URGENT_TIME_LIMIT": 1}


def test_a_tier_1_senior_is_due_planned_visited_and_the_finding_reaches_staff_and_family(app, client, app_clock):
    site = create_site(lat=31.2300, lon=121.4700, timezone="Asia/Shanghai")
    visitor_user = create_user("worker")
    visitor = add_worker(site, skills=(Skill.VISITATION,), start=time(9), end=time(17), kind=WorkerKind.VOLUNTEER,
                         capacity_meals=0, day=DAY, user_id=visitor_user.id)
    wang = create_senior(site, full_name="Wang Guilan", full_name_zh="王桂兰", lives_alone=True,
                         date_of_birth=date(1944, 6, 1), lat=31.2312, lon=121.4712)
    li = create_senior(site, full_name="Li Shufen", lives_alone=True, date_of_birth=date(1943, 2, 1),
                       lat=31.2290, lon=121.4690)
    family = create_user("family", seniors=(wang,))
    assert db.session.scalar(sa.select(sa.func.count(MealEnrollment.id))) == 0  # neither takes meals
    assert tiers.tier_of(wang, today=DAY).tier == 1
    # Wang was last visited a week ago today; Li ten days ago and never since.
    for senior, ago in ((wang, 7), (li, 10)):
        db.session.add(Contact(senior_id=senior.id, site_id=site.id, kind=ContactKind.HOME_VISIT,
                               contact_dt=MORNING - timedelta(days=ago)))
        for back in range(1, 8):  # the daily calls were made
            db.session.add(Contact(senior_id=senior.id, site_id=site.id, kind=ContactKind.CALL,
                                   contact_dt=MORNING - timedelta(days=back)))
    db.session.commit()

    # Three days ago only Li was due (by that day); Wang becomes due two days before her week runs out.
    early = due_service.generate(DAY - timedelta(days=3), now=MORNING - timedelta(days=3))
    assert [(d.senior_id, d.kind) for d in early] == [(li.id, DueKind.HOME_VISIT)]
    assert due_service.generate(DAY - timedelta(days=3), now=MORNING - timedelta(days=3)) == []  # made once
    made = due_service.generate(DAY, now=MORNING)
    db.session.commit()
    visits = {d.senior_id: d for d in early + made if d.kind == DueKind.HOME_VISIT}
    assert visits[wang.id].due_date == DAY - timedelta(days=2) and visits[wang.id].latest_date == DAY
    assert visits[li.id].latest_date == DAY - timedelta(days=3)

    plan = planning.start_planning(site, DAY, PlanKind.VISITS, None, by=None, wait=True)
    db.session.commit()
    plan = planning.load_plan(plan.id)
    assert planning.check_plan(plan) == []
    plan = planning.publish(plan, version=plan.version, by=None)
    db.session.commit()
    stops = {s.senior_id: s for r in plan.routes for s in r.stops if r.worker_id == visitor.id}
    assert set(stops) == {wang.id, li.id}
    assert db.session.get(DueVisit, visits[wang.id].id).status == DueStatus.PLANNED

    # 10:30: the visitor finds Wang well but with an empty fridge.
    app_clock.set(datetime(2030, 3, 4, 2, 30, tzinfo=timezone.utc))
    phone = app.test_client()
    login_as(phone, visitor_user)
    body = {"client_id": uuid.uuid4().hex, "seen": True, "notes": "In good spirits.",
            "items": {"food": {"status": "concern", "note": "Fridge nearly empty"},
                      "health_mood": {"status": "fine"}}}
    answer = phone.post(f"/worker/api/stops/{stops[wang.id].id}/visit-record", json=body)
    assert answer.status_code == 200, answer.get_json()
    again = phone.post(f"/worker/api/stops/{stops[wang.id].id}/visit-record", json=body)
    assert again.get_json()["replay"] is True
    db.session.expire_all()
    assert db.session.get(DueVisit, visits[wang.id].id).status == DueStatus.DONE
    follow_up = db.session.scalar(sa.select(FollowUp).where(FollowUp.senior_id == wang.id))
    assert follow_up.item.value == "food" and follow_up.finding == "Fridge nearly empty"

    login_as(client, create_user("staff", sites=(site,)))
    listed = client.get("/staff/follow-ups").get_data(as_text=True)
    assert "Wang Guilan" in listed and "Food in the house" in listed
    page = client.get(f"/staff/follow-ups/{follow_up.id}").get_data(as_text=True)
    assert "Fridge nearly empty" in page and "In good spirits." in page

    relative = app.test_client()
    login_as(relative, family)
    portal = relative.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Last welfare visit:" in portal and "food in the house" in portal.lower()
    assert "Fridge nearly empty" not in portal and "In good spirits." not in portal  # the visitor's words stay with staff

    # The next morning Li's visit, due by the 1st, is still not made: the site's board hears of it.
    app_clock.set(MORNING + timedelta(days=1))
    report = due_service.escalate(app_clock.now())
    db.session.commit()
    alert = db.session.scalar(sa.select(WelfareAlert).where(WelfareAlert.kind == AlertKind.VISIT_OVERDUE))
    assert alert is not None and alert.senior_id == li.id and alert.site_id == site.id and report.alerts == [alert.id]
    board = client.get(f"/staff/board?site={site.id}&date={(DAY + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "Li Shufen" in board
