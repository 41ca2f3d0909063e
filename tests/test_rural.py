"""Rural county networks in the app: village points, a county plan's two legs stored and checked together,
coverage through points, the plan page and sheets, bad input refused with nothing changed, the county demo."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dispatch.demo.county import seed_county
from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanStatus, Route, RouteLeg, Stop, TrunkDrop
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.models.village import VillagePoint, VillagePointKind
from dispatch.models.worker import Worker
from dispatch.platform.errors import FieldError
from dispatch.routing.network_check import check_network
from dispatch.services.people.sites import SiteData
from dispatch.services.rural import county as rural_county
from dispatch.services.rural import plans as rural_plans
from dispatch.services.rural.points import PointData, save_point
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, reloaded_plan
from tests.test_staff_sites import site_form


def _county(**kw):
    seeded = seed_county(DAY, seniors=kw.pop("seniors", 30), points=kw.pop("points", 3), **kw)
    db.session.commit()
    return seeded


def _plan_page(client, site):
    r = client.post("/staff/today/plan", data={"site": site.id, "date": DAY.isoformat(), "kind": "meals",
                                               "meal": "lunch"})
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    return reloaded_plan(int(r.headers["Location"].rstrip("/").split("/")[-1]))


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Plan, Route, Stop, TrunkDrop,
                                                                                           VillagePoint))


# --- models and constraints ------------------------------------------------------------------

def test_a_village_point_seats_only_when_seniors_dine_there(app):
    site = _county(seniors=6, points=1).site
    db.session.add(VillagePoint(site_id=site.id, name="No seats", kind=VillagePointKind.SHOP, address="x",
                                lat=40.5, lon=116.0, dine_in=True, seats=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_last_mile_route_names_its_village_point(app):
    c = _county(seniors=6, points=1)
    plan = Plan(site_id=c.site.id, service_date=DAY, kind="meals", meal="lunch")
    worker = db.session.scalar(sa.select(Worker).where(Worker.home_site_id == c.site.id))
    plan.routes.append(Route(worker_id=worker.id, position=0, leg=RouteLeg.LAST_MILE))
    db.session.add(plan)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_insulated_limit_must_be_longer_than_the_hot_limit(app):
    site = _county(seniors=6, points=1).site
    site.insulated_hold_minutes = site.hold_limit_minutes
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- planning a county -----------------------------------------------------------------------

def test_the_county_lunch_is_planned_in_two_legs_checked_together(app, client):
    c = _county()
    login_as(client, create_user("staff", sites=(c.site,)))
    plan = _plan_page(client, c.site)
    assert rural_plans.is_county_plan(plan)
    built = rural_county.build_county(c.site, DAY, plan.meal)
    # The independent checker, on the rows as stored and read back, with today's data.
    assert check_network(built.network, rural_plans.stored_as_network(plan, built)) == []
    trunk = [r for r in plan.routes if r.leg == RouteLeg.TRUNK]
    rounds = [r for r in plan.routes if r.leg == RouteLeg.LAST_MILE]
    assert trunk and rounds and all(not r.stops for r in trunk) and all(not r.drops for r in rounds)
    # Every point's batch rides on exactly one trunk run, carrying its dine-in and door meals.
    dropped = [d.village_point_id for r in trunk for d in r.drops]
    assert sorted(dropped) == sorted(rural_county.point_id_of(p.id) for p in built.network.points)
    for d in (d for r in trunk for d in r.drops):
        assert d.meals == d.dine_in + d.door_meals == built.network.batch_size(rural_county.point_key(d.village_point_id))
    # Every hot meal at the door within the insulated limit of its car leaving the kitchen.
    limit = timedelta(minutes=c.site.insulated_hold_minutes)
    departs = {d.village_point_id: r.start_dt for r in trunk for d in r.drops}
    walked = 0
    for r in rounds:
        assert r.held_from_dt == departs[r.village_point_id]
        for s in r.stops:
            walked += 1
            assert s.eta_dt - r.held_from_dt <= limit and s.eta_dt <= s.window_end_dt
            assert db.session.get(Senior, s.senior_id).village_point_id == r.village_point_id
    assert walked + len(plan.summary["unassigned"]) == len(built.network.door_stops)
    assert walked == plan.summary["network"]["walked"] > 0
    # The page's figures count both legs: a car's 40 km of county road is not "0.0 km".
    figures = plan.summary["figures"]
    assert figures["distance_m"] > 1000 and figures["work_seconds"] >= figures["travel_seconds"] > 0
    assert figures["distance_m"] == sum(r.distance_m for r in plan.routes) and all(r.distance_m > 0 for r in trunk)
    # Published only after the stored legs pass the check again.
    r = client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert reloaded_plan(plan.id).status == PlanStatus.PUBLISHED


def test_a_stored_plan_whose_batch_lost_a_meal_fails_the_check(app, client):
    c = _county()
    login_as(client, create_user("staff", sites=(c.site,)))
    plan = _plan_page(client, c.site)
    drop = next(d for r in plan.routes for d in r.drops if d.door_meals)
    drop.door_meals -= 1
    drop.meals -= 1
    db.session.flush()
    kinds = {v.kind.name for v in rural_plans.check_stored(plan)}
    assert "BATCH_CONTENTS" in kinds
    db.session.rollback()


def test_the_plan_page_and_the_sheets_show_the_trunk_runs_and_village_rounds(app, client):
    c = _county()
    login_as(client, create_user("staff", sites=(c.site,)))
    plan = _plan_page(client, c.site)
    html = client.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
    assert 'data-leg="trunk"' in html and 'data-leg="last_mile"' in html and "data-drops" in html
    assert "Trunk run" in html and "Village round from" in html and "data-county" in html
    first = next(d for r in plan.routes for d in r.drops)
    assert first.village_point.name in html
    spec = json.loads(re.search(r'<script type="application/json" id="plan-map">(.*?)</script>', html, re.S).group(1))
    layers = {layer["name"]: layer for layer in spec["layers"]}
    assert "dashArray" in layers["Village rounds"]["style"] and "dashArray" not in layers["Trunk runs"]["style"]
    assert all(item["label"].startswith("Trunk run") for item in layers["Trunk runs"]["items"])
    assert all(item["label"].startswith("Village round from") for item in layers["Village rounds"]["items"])
    assert "Village points" in layers
    sheets = client.get(f"/staff/plans/{plan.id}/sheets").get_data(as_text=True)
    assert 'data-leg="trunk"' in sheets and 'data-leg="last_mile"' in sheets and "within:" in sheets
    assert first.village_point.name in sheets and f"{first.meals} (" in sheets
    # A trunk sheet's header counts its village points and meals, not the stops it has none of.
    for route in (r for r in plan.routes if r.leg == RouteLeg.TRUNK):
        section = re.search(rf'id="sheet-route-{route.id}".*?</section>', sheets, re.S).group(0)
        header = re.search(r'<p class="sheet-meta">(.*?)</p>', section, re.S).group(1)
        points = len(route.drops)
        meals = sum(d.meals for d in route.drops)
        words = f"{points} village point{'s' if points != 1 else ''} ({meals} meal{'s' if meals != 1 else ''})"
        assert words in header and "0 stops" not in header, header


# --- coverage --------------------------------------------------------------------------------

def test_coverage_counts_a_senior_through_a_village_point(app, client):
    c = _county(seniors=12, points=2)
    from dispatch.services.coverage.circles import coverage_report

    admin = create_user("admin")
    report = coverage_report(admin)
    through = report.through_points
    assert through and all(r.covered for r in through)
    assert {r.through.site_id for r in through} == {c.site.id}
    # The kitchen is kilometres away: without the points they would be gaps.
    assert report.covered == len(through) + sum(1 for r in report.seniors if r.covered and r.through is None)
    login_as(client, admin)
    html = client.get("/coverage/").get_data(as_text=True)
    assert f"through {through[0].through.name}" in html
    # In the Chinese UI the senior and the point go by their Chinese names.
    senior = db.session.get(Senior, through[0].id)
    senior.full_name_zh = "测试老人"
    db.session.commit()
    chinese = client.get("/coverage/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "测试老人" in chinese


# --- bad input: a clear error, nothing changed ------------------------------------------------

def test_a_village_point_no_car_can_reach_in_time_is_refused(app):
    site = _county(seniors=6, points=1).site
    before = _counts()
    far = PointData(name="Far hamlet", kind=VillagePointKind.SHOP, address="over the pass", lat=site.lat + 1.0,
                    lon=site.lon)
    with pytest.raises(FieldError) as error:
        save_point(site, far, by=None)
    assert error.value.field == "lat" and "No kitchen in reach" in str(error.value.message)
    db.session.rollback()
    assert _counts() == before


def test_planning_a_county_with_a_point_out_of_reach_is_refused_and_stores_nothing(app, client):
    c = _county()
    point = db.session.scalar(sa.select(VillagePoint).where(VillagePoint.site_id == c.site.id))
    point.lat += 1.0  # moved by hand, past what the insulated boxes allow by car
    db.session.commit()
    before = _counts()
    login_as(client, create_user("staff", sites=(c.site,)))
    r = client.post("/staff/today/plan", data={"site": c.site.id, "date": DAY.isoformat(), "kind": "meals",
                                               "meal": "lunch"})
    assert r.status_code == 422 and "No kitchen in reach" in r.get_data(as_text=True)
    db.session.rollback()
    assert _counts() == before


@pytest.mark.parametrize("field, value, words", [
    ("packing_rate", 0, "packing rate"),
    ("trunk_trip_meals", 0, "at least one meal"),
])
def test_a_kitchen_setting_no_county_can_be_planned_with_is_refused(app, field, value, words):
    c = _county()
    before = _counts()
    db.session.refresh(c.site)  # loaded, so reading it does not flush the bad value into the check constraint
    setattr(c.site, field, value)  # as a row written around the form would hold it
    with pytest.raises(FieldError) as error:
        rural_plans.plan_county(c.site, DAY, "lunch", by=None)
    assert error.value.field == field and words in str(error.value.message)
    db.session.rollback()
    assert _counts() == before


def test_the_site_form_refuses_a_trip_below_one_meal_and_a_short_insulated_limit(app, client):
    c = _county(seniors=6, points=1)
    login_as(client, create_user("admin"))
    for data, words in (({"trunk_trip_meals": "0"}, "A trip must carry at least one meal"),
                        ({"insulated_hold_minutes": "30"}, "Must be longer than the hot-meal hold limit")):
        r = client.post(f"/staff/sites/{c.site.id}/edit", data=site_form(name=c.site.name, **data))
        assert r.status_code in (200, 422) and words in r.get_data(as_text=True), words
        db.session.rollback()
        site = db.session.get(MealSite, c.site.id)
        assert site.trunk_trip_meals is None and site.insulated_hold_minutes == 120
    with pytest.raises(FieldError):
        SiteData(name="k", address="a", lat=40, lon=116, trunk_trip_meals=0)


# --- the county demo -------------------------------------------------------------------------

def test_the_county_demo_seeds_a_kitchen_its_points_seniors_cars_and_walkers(app):
    c = _county(seniors=40, points=4)
    assert c.points == 4 and c.seniors == 40 and c.cars >= 1 and c.volunteers >= 4 and c.orders == 40
    points = db.session.scalars(sa.select(VillagePoint).where(VillagePoint.site_id == c.site.id)).all()
    assert len(points) == 4 and all(p.name_zh for p in points)
    seniors = db.session.scalars(sa.select(Senior).where(Senior.home_site_id == c.site.id)).all()
    assert len(seniors) == 40 and all(s.village_point_id in {p.id for p in points} for s in seniors)
    assert c.site.insulated_hold_minutes == 120 and rural_county.is_county(c.site)
