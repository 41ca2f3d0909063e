"""The dashboard's figures for a period and the sites a user may see.

Every figure is computed from the same records the rest of Doorstep keeps:
meal stops and their outcomes, counter meals, welfare alerts, visit check-in
and check-out, routes, the coverage computation and the monthly statements.
Staff see their own sites only (``sites_visible_to``); the coverage figure is
cut down the same way by ``coverage_report``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.alert import WelfareAlert
from dispatch.models.dine_in import DineInMeal
from dispatch.models.plan import Plan, PlanStatus, Route, Stop, StopKind, StopOutcome
from dispatch.models.service_request import ServiceRequest, ServiceType
from dispatch.models.site import MealSite
from dispatch.models.subsidy import SubsidyBudget
from dispatch.platform import clock
from dispatch.platform.access import sites_visible_to
from dispatch.platform.labels import shown_name
from dispatch.services.coverage import circles as coverage
from dispatch.services.money import statements, subsidies
from dispatch.services.volunteers.hours import Hours, volunteer_hours

MISSED = (StopOutcome.NOT_HOME, StopOutcome.REFUSED, StopOutcome.HOSPITALISED, StopOutcome.COULD_NOT_ACCESS)
MAX_DAYS = 92


@dataclass
class Dashboard:
    sites: list[MealSite]
    first: date
    last: date
    days: list[date]
    delivered: dict[date, int] = field(default_factory=dict)
    dined: dict[date, int] = field(default_factory=dict)
    missed: dict[date, int] = field(default_factory=dict)
    on_time: dict[date, tuple[int, int]] = field(default_factory=dict)  # (on time, delivered with a time)
    alerts: dict[date, int] = field(default_factory=dict)
    visit_minutes: dict[ServiceType, int] = field(default_factory=dict)
    volunteers: list[Hours] = field(default_factory=list)
    coverage: list[tuple[str, int, int]] = field(default_factory=list)  # (site name, covered, homed)
    coverage_total: tuple[int, int] = (0, 0)
    month: date | None = None
    spend_by_band: dict[str, int] = field(default_factory=dict)
    spend_total: int = 0
    budget: int | None = None

    def on_time_pct(self, day: date) -> float | None:
        good, n = self.on_time.get(day, (0, 0))
        return 100.0 * good / n if n else None

    @property
    def on_time_overall(self) -> float | None:
        good = sum(g for g, _n in self.on_time.values())
        n = sum(n for _g, n in self.on_time.values())
        return 100.0 * good / n if n else None

    @property
    def coverage_pct(self) -> float | None:
        covered, total = self.coverage_total
        return 100.0 * covered / total if total else None


def build(user, *, last: date, days: int = 7, site: MealSite | None = None) -> Dashboard:
    """The dashboard of the ``days`` days ending ``last`` for ``site`` (or every site the user may see)."""
    days = max(1, min(days, MAX_DAYS))
    sites = [site] if site is not None else list(db.session.scalars(
        sites_visible_to(user).where(MealSite.is_active.is_(True)).order_by(MealSite.name)))
    first = last - timedelta(days=days - 1)
    dash = Dashboard(sites=sites, first=first, last=last, days=[first + timedelta(days=i) for i in range(days)])
    ids = [s.id for s in sites]
    if not ids:
        return dash
    _meals(dash, ids)
    _dined(dash, ids)
    _alerts(dash, ids)
    _visits(dash, ids)
    dash.volunteers = volunteer_hours(user, first, last, site_ids=set(ids))
    _coverage(dash, user, set(ids))
    _spend(dash, sites)
    return dash


def _meals(dash: Dashboard, ids: list[int]) -> None:
    rows = db.session.execute(
        sa.select(Stop.meal_order_id, Stop.outcome, Stop.arrival_dt, Stop.outcome_dt, Stop.window_end_dt,
                  Plan.service_date)
        .join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(Plan.site_id.in_(ids), Plan.service_date.between(dash.first, dash.last),
               Plan.status != PlanStatus.DRAFT, Stop.kind == StopKind.MEAL, Stop.outcome.is_not(None))
        .order_by(Stop.outcome_dt)
    ).all()
    latest = {}  # one outcome per meal order, the latest reported (a re-planned stop appears twice)
    for row in rows:
        latest[row.meal_order_id] = row
    delivered, missed, on_time = Counter(), Counter(), defaultdict(lambda: [0, 0])
    for row in latest.values():
        if row.outcome == StopOutcome.DELIVERED:
            delivered[row.service_date] += 1
            at = row.arrival_dt or row.outcome_dt
            if at is not None:
                on_time[row.service_date][1] += 1
                on_time[row.service_date][0] += at <= row.window_end_dt
        elif row.outcome in MISSED:
            missed[row.service_date] += 1
    dash.delivered, dash.missed = dict(delivered), dict(missed)
    dash.on_time = {d: (g, n) for d, (g, n) in on_time.items()}


def _dined(dash: Dashboard, ids: list[int]) -> None:
    dash.dined = dict(db.session.execute(
        sa.select(DineInMeal.service_date, sa.func.count(DineInMeal.id))
        .where(DineInMeal.site_id.in_(ids), DineInMeal.service_date.between(dash.first, dash.last))
        .group_by(DineInMeal.service_date)).all())


def _alerts(dash: Dashboard, ids: list[int]) -> None:
    zone = clock.default_zone()
    raised = db.session.scalars(sa.select(WelfareAlert.raised_dt).where(
        WelfareAlert.site_id.in_(ids),
        WelfareAlert.raised_dt >= clock.day_bounds(dash.first - timedelta(days=1), zone)[0],
        WelfareAlert.raised_dt < clock.day_bounds(dash.last + timedelta(days=2), zone)[0]))
    counts = Counter(dt.astimezone(zone).date() for dt in raised)
    dash.alerts = {d: n for d, n in counts.items() if dash.first <= d <= dash.last}


def _visits(dash: Dashboard, ids: list[int]) -> None:
    rows = db.session.execute(
        sa.select(ServiceRequest.service_type, Stop.arrival_dt, Stop.departure_dt)
        .join(ServiceRequest, Stop.service_request_id == ServiceRequest.id)
        .join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(Plan.site_id.in_(ids), Plan.service_date.between(dash.first, dash.last),
               Stop.kind == StopKind.VISIT, Stop.arrival_dt.is_not(None), Stop.departure_dt.is_not(None))
    ).all()
    minutes: Counter = Counter()
    for service, arrived, left in rows:
        minutes[ServiceType(service)] += max(0, int((left - arrived).total_seconds() // 60))
    dash.visit_minutes = dict(minutes)


def _coverage(dash: Dashboard, user, ids: set[int]) -> None:
    report = coverage.coverage_report(user)
    names = {s.id: shown_name(s) for s in dash.sites}
    per_site: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in report.seniors:
        if row.current_site_id in ids:
            per_site[row.current_site_id][0] += bool(row.covered)
            per_site[row.current_site_id][1] += 1
    dash.coverage = [(names[i], c, n) for i, (c, n) in sorted(per_site.items(), key=lambda kv: names[kv[0]])]
    dash.coverage_total = (sum(c for _n, c, _t in dash.coverage), sum(t for _n, _c, t in dash.coverage))


def _spend(dash: Dashboard, sites: list[MealSite]) -> None:
    month = subsidies.month_start(dash.last)
    dash.month = month
    bands: Counter = Counter()
    for site in sites:
        st = statements.statement(site, month)
        for band, totals in st.by_band.items():
            bands[band] += totals.subsidy_cents
    dash.spend_by_band = dict(sorted(bands.items(), key=lambda kv: (-kv[1], kv[0])))
    dash.spend_total = sum(bands.values())
    budgets = db.session.scalars(sa.select(SubsidyBudget.amount_cents).where(
        SubsidyBudget.site_id.in_([s.id for s in sites]), SubsidyBudget.month == month)).all()
    dash.budget = sum(budgets) if budgets else None
