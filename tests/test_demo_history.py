"""A fresh demo's recent past: the last week written directly, so the dashboard and statements show figures."""
from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from dispatch.demo.district import generate_district
from dispatch.demo.history import quick_history
from dispatch.demo.seed import seed_district
from dispatch.extensions import db
from dispatch.models.alert import AlertStatus, WelfareAlert
from dispatch.models.dine_in import DineInMeal
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.outcome import StopEvent
from dispatch.models.plan import Plan, PlanStatus, Stop, StopKind, StopOutcome
from dispatch.models.site import MealSite
from dispatch.platform import clock
from dispatch.services.money import statements
from tests.factories import create_user, login_as

TODAY = date(2026, 3, 12)


def count(model_id, *where):
    return db.session.scalar(sa.select(sa.func.count(model_id)).where(*where))


def test_the_quick_history_fills_every_dashboard_chart_and_the_statement(app, client):
    with app.test_request_context():
        seed_district(generate_district(seed=4, today=TODAY, seniors=40, sites=2), with_logins=False)
        played = quick_history(today=TODAY, days=7, seed=2)
        db.session.commit()
    assert played.days == 7 and played.plans > 0 and played.deliveries > 0 and played.visits > 0
    days = set(db.session.scalars(sa.select(Plan.service_date)))
    assert days == {TODAY - timedelta(days=n) for n in range(1, 8)}
    assert count(Plan.id, Plan.status != PlanStatus.CLOSED) == 0
    # Each stop has its outcome and the event that proves it, as the phones' use case leaves them.
    meal_stops = list(db.session.scalars(sa.select(Stop).where(Stop.kind == StopKind.MEAL)))
    assert meal_stops and all(s.outcome and s.outcome_dt and s.arrival_dt for s in meal_stops)
    delivered = sum(s.outcome == StopOutcome.DELIVERED for s in meal_stops)
    assert 0.75 * len(meal_stops) <= delivered < len(meal_stops)
    assert count(StopEvent.id, StopEvent.stop_id.in_([s.id for s in meal_stops])) == len(meal_stops)
    assert count(MealOrder.id, MealOrder.status == MealOrderStatus.DELIVERED) == delivered
    # Every delivery was served; only a few counter meals nobody came for stay ordered.
    assert count(MealOrder.id, MealOrder.status == MealOrderStatus.ORDERED, MealOrder.mode == MealMode.DELIVERY) == 0
    visits = list(db.session.scalars(sa.select(Stop).where(Stop.kind == StopKind.VISIT)))
    assert visits and all(v.departure_dt > v.arrival_dt and v.service_request.status.value in
                          ("completed", "missed") for v in visits)
    assert count(DineInMeal.id) == played.dine_in > 0
    assert count(WelfareAlert.id) == played.alerts
    assert count(WelfareAlert.id, WelfareAlert.status != AlertStatus.RESOLVED) == 0

    site = db.session.scalars(sa.select(MealSite).order_by(MealSite.id)).first()
    assert statements.statement(site, date(2026, 3, 1)).lines  # delivered and counter meals are billed

    login_as(client, create_user("admin"))
    html = client.get("/staff/dashboard?end=2026-03-11&days=7").get_data(as_text=True)
    charts = dict(re.findall(r'id="chart-([a-z-]+)" data-has-data="(yes|no)"', html))
    assert {k: charts.get(k) for k in ("meals", "on-time", "missed", "visits", "spend")} == \
        {k: "yes" for k in ("meals", "on-time", "missed", "visits", "spend")}

    with app.test_request_context():
        again = quick_history(today=TODAY, days=7, seed=2)
    assert again.plans == again.deliveries == 0 and again.skipped >= 7  # a played site-day is not played twice


def test_a_fresh_demo_has_a_week_of_history_unless_told_not_to(app, runner):
    bare = runner.invoke(args=["demo", "--no-serve", "--no-plan", "--no-history", "--seniors", "60"])
    assert bare.exit_code == 0, bare.output
    assert "History:" not in bare.output and count(Plan.id) == 0

    full = runner.invoke(args=["demo", "--no-serve", "--no-plan", "--reset", "--seniors", "60"])
    assert full.exit_code == 0, full.output
    assert "History: 7 days played" in full.output
    today = clock.local_today()
    days = set(db.session.scalars(sa.select(Plan.service_date)))
    assert days == {today - timedelta(days=n) for n in range(1, 8)}
    assert count(Stop.id, Stop.outcome.is_not(None)) > 0
