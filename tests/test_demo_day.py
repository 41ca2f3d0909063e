"""The demo district's day, planned and published from the staff pages; every published route passes the checker.

Issue 5's walk-through at district scale: a seeded district (3 sites), a
coordinator makes each site's orders, plans lunch, dinner and the visits with
one button each, and publishes; the independent routing checker then finds no
broken rule on any published route, and every delivered meal is on a route.
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from dispatch.demo.district import generate_district
from dispatch.demo.seed import DEMO_EMAILS, DEMO_PASSWORD, seed_district
from dispatch.extensions import db
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.plan import Plan, PlanKind, PlanStatus, StopKind
from dispatch.models.site import MealSite
from dispatch.models.user import User
from dispatch.services import planning
from dispatch.services.care import requests as request_service
from tests.factories import login_as

DAY = date(2030, 3, 7)  # a Thursday


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2, "REQUIRE_2FA_FOR_STAFF": False}  # as `doorstep demo` runs


def _plan_and_publish(client, site: MealSite, kind: str, meal: str | None) -> Plan:
    data = {"site": site.id, "date": DAY.isoformat(), "kind": kind, **({"meal": meal} if meal else {})}
    response = client.post("/staff/today/plan", data=data)
    assert response.status_code == 302, response.text
    plan_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert client.get(f"/staff/plans/{plan_id}").status_code == 200
    db.session.expire_all()
    plan = planning.load_plan(plan_id)
    assert plan.summary["job"]["state"] == "done"
    if any(r.stops for r in plan.routes):
        response = client.post(f"/staff/plans/{plan_id}/publish", data={"version": plan.version})
        assert response.status_code == 302, response.text
    db.session.expire_all()
    return planning.load_plan(plan_id)


def _refused_as_empty(client, site: MealSite, kind: str, meal: str | None) -> None:
    """Nothing to route: the page says so and no plan version is made."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Plan))
    data = {"site": site.id, "date": DAY.isoformat(), "kind": kind, **({"meal": meal} if meal else {})}
    response = client.post("/staff/today/plan", data=data)
    assert response.status_code == 422 and "Mar 7, 2030" in response.text, response.text  # the day as people read it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == before


def test_the_demo_districts_day_plans_publishes_and_passes_the_checker(app, client):
    seed_district(generate_district(seed=1, today=DAY, seniors=240, sites=3))
    db.session.commit()  # the seeding service flushes; this test is the edge of its unit
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["admin"]))
    login_as(client, admin, DEMO_PASSWORD)

    published = 0
    for site in db.session.scalars(sa.select(MealSite).order_by(MealSite.id)).all():
        assert client.post("/staff/today/orders", data={"site": site.id, "date": DAY.isoformat()}).status_code == 302
        for window in site.windows:
            delivered = set(db.session.scalars(sa.select(MealOrder.id).where(
                MealOrder.site_id == site.id, MealOrder.service_date == DAY, MealOrder.meal == window.meal,
                MealOrder.mode == MealMode.DELIVERY, MealOrder.status != MealOrderStatus.CANCELLED)))
            if not delivered:
                _refused_as_empty(client, site, "meals", window.meal.value)
                continue
            plan = _plan_and_publish(client, site, "meals", window.meal.value)
            routed = {s.meal_order_id for r in plan.routes for s in r.stops if s.kind == StopKind.MEAL}
            assert routed == delivered, (site.name, window.meal, plan.summary.get("unassigned"))
            if delivered:
                assert plan.status == PlanStatus.PUBLISHED and planning.check_plan(plan) == []
                published += 1
        if not request_service.visits_for(site, DAY):
            _refused_as_empty(client, site, "visits", None)
            continue
        plan = _plan_and_publish(client, site, "visits", None)
        assert planning.check_plan(plan) == []
        # A visit left off every route says why (no one with the skill on shift, ...).
        assert all(u["reason"] for u in plan.summary["unassigned"])
        published += plan.status == PlanStatus.PUBLISHED
    assert published >= 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan).where(
        Plan.status == PlanStatus.PUBLISHED, Plan.kind == PlanKind.MEALS)) >= 3
