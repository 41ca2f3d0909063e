"""``doorstep simulate``: a played week has plans, realistic outcomes, counter meals, visits and budgets."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from dispatch.demo.district import generate_district
from dispatch.demo.seed import seed_district
from dispatch.extensions import db
from dispatch.models.alert import AlertStatus, WelfareAlert
from dispatch.models.dine_in import DineInMeal
from dispatch.models.outcome import StopEvent
from dispatch.models.plan import Plan, Stop, StopKind, StopOutcome
from dispatch.models.subsidy import SubsidyBudget

TODAY = date(2026, 3, 12)


def small_district():
    seed_district(generate_district(seed=3, today=TODAY, seniors=45, sites=2), with_logins=False)


def count(query):
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def test_simulate_plays_the_days_before_today_with_a_realistic_mix(app, runner):
    small_district()
    result = runner.invoke(args=["simulate", "--days", "3", "--today", TODAY.isoformat(), "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "3 days played" in result.output
    days = set(db.session.scalars(sa.select(Plan.service_date)))
    assert days == {date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)}
    meal_outcomes = list(db.session.scalars(sa.select(Stop.outcome).where(Stop.kind == StopKind.MEAL)))
    assert meal_outcomes and None not in meal_outcomes
    delivered = meal_outcomes.count(StopOutcome.DELIVERED)
    assert 0.75 * len(meal_outcomes) <= delivered < len(meal_outcomes)  # mostly delivered, not all
    # Outcomes went through the phones' use case: one event per tap, in the simulated past.
    assert count(sa.select(StopEvent.id)) >= len(meal_outcomes)
    visits = list(db.session.scalars(sa.select(Stop).where(Stop.kind == StopKind.VISIT)))
    assert visits and all(v.arrival_dt and v.departure_dt and v.departure_dt > v.arrival_dt for v in visits)
    assert count(sa.select(DineInMeal.id)) > 0
    assert count(sa.select(SubsidyBudget.id)) >= 2
    assert count(sa.select(WelfareAlert.id).where(WelfareAlert.status != AlertStatus.RESOLVED)) == 0

    plans = count(sa.select(Plan.id))
    again = runner.invoke(args=["simulate", "--days", "3", "--today", TODAY.isoformat()])
    assert again.exit_code == 0 and "0 plans, 0 meal stops" in again.output and "already played" in again.output
    assert count(sa.select(Plan.id)) == plans
    assert len(list(db.session.scalars(sa.select(Stop.id).where(Stop.kind == StopKind.MEAL)))) == len(meal_outcomes)
