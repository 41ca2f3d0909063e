"""Monthly statements: only proofs of service are billed, totals add up, closing freezes."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.meals import MealMode, MealOrderStatus
from dispatch.models.plan import StopOutcome
from dispatch.models.site import MealType
from dispatch.models.statement import ProofKind
from dispatch.models.subsidy import SubsidyRule
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.meals import dine_in
from dispatch.services.money import statement_exports, statements, subsidies
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, create_worker

MARCH = date(2026, 3, 1)
TODAY = date(2026, 5, 2)
JURONG = (("Aged 60-74", 60, 74, 100), ("Aged 75-84", 75, 84, 500), ("Aged 85-94", 85, 94, 800),
          ("Aged 95+", 95, None, 900))


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def jurong_rules(**kw):
    for name, lo, hi, cents in JURONG:
        db.session.add(SubsidyRule(name=name, min_age=lo, max_age=hi, valid_from=date(2026, 1, 1),
                                   meal_price_cents=1500, subsidy_cents=cents, delivery_subsidy_cents=200, **kw))
    db.session.commit()


def senior_aged(site, age, **kw):
    return create_senior(site, date_of_birth=date(2026 - age, 1, 1), **kw)


class Meals:
    """Meals for one site: deliveries with any outcome, and counter records."""

    def __init__(self, site):
        self.site = site
        self.worker = create_worker(site)
        self.routes = {}

    def delivery(self, senior, day, outcome: StopOutcome | None, meal=MealType.LUNCH):
        order = pf.meal_order(senior, self.site, day=day, meal=meal)
        if day not in self.routes:
            self.routes[day] = pf.route(pf.plan(self.site, day=day), self.worker)
        route = self.routes[day]
        stop = pf.stop(route, len(route.stops) + 100 * len(self.routes), senior, order=order, day=day)
        stop.outcome = outcome
        if outcome == StopOutcome.DELIVERED:
            order.status = MealOrderStatus.DELIVERED
        db.session.commit()
        return stop

    def dine(self, senior, day, meal=MealType.LUNCH, reason=None):
        when = datetime(day.year, day.month, day.day, 4, 0, tzinfo=timezone.utc)  # noon in Shanghai
        return dine_in.record_meal(senior, self.site, meal, client_id=dine_in.new_client_id(), by=None,
                                   override_reason=reason, now=when).meal


def test_only_delivered_and_dine_in_meals_are_billed(ctx):
    site = create_site()
    jurong_rules()
    meals = Meals(site)
    a, b, c = senior_aged(site, 70), senior_aged(site, 80), senior_aged(site, 96)
    meals.delivery(a, date(2026, 3, 2), StopOutcome.DELIVERED)
    meals.delivery(a, date(2026, 3, 3), StopOutcome.NOT_HOME)
    meals.delivery(b, date(2026, 3, 2), StopOutcome.REFUSED)
    meals.delivery(b, date(2026, 3, 4), None)  # never reported: no proof
    pf.meal_order(c, site, day=date(2026, 3, 5), mode=MealMode.DINE_IN)  # ordered, never eaten
    meals.dine(b, date(2026, 3, 6))
    meals.dine(c, date(2026, 3, 7))
    meals.delivery(a, date(2026, 4, 1), StopOutcome.DELIVERED)  # another month

    st_ = statements.statement(site, MARCH)
    got = sorted((ln.senior_id, ln.service_date.day, ln.mode.value, ln.price_cents, ln.subsidy_cents, ln.copay_cents)
                 for ln in st_.lines)
    assert got == sorted([
        (a.id, 2, "delivery", 1500, 300, 1200),  # ¥1 + ¥2 delivery subsidy
        (b.id, 6, "dine_in", 1500, 500, 1000),
        (c.id, 7, "dine_in", 1500, 900, 600),
    ])
    assert st_.total.subsidy_cents == 1700 and st_.by_senior[a.id].meals == 1
    assert statements.statement(site, MARCH, senior_id=b.id).total.meals == 1


outcomes = st.sampled_from([None, *StopOutcome.__members__.values()])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(60, 100), st.integers(1, 28), outcomes, st.booleans()),
                     min_size=1, max_size=8))
def test_statement_total_is_the_sum_of_its_lines_and_bills_only_proofs(ctx, plan):
    site = create_site()
    db.session.add(SubsidyRule(name=f"band {site.id}", site_id=site.id, min_age=60, valid_from=date(2026, 1, 1),
                               meal_price_cents=1500, subsidy_cents=700, delivery_fee_cents=300,
                               delivery_subsidy_cents=200, cap_per_month_cents=2000))
    db.session.commit()
    meals = Meals(site)
    proofs = set()
    for age, day, outcome, at_counter in plan:
        senior = senior_aged(site, age)
        service_day = date(2026, 3, day)
        if at_counter:
            proofs.add((ProofKind.DINE_IN, meals.dine(senior, service_day).id))
        else:
            stop = meals.delivery(senior, service_day, outcome)
            if outcome == StopOutcome.DELIVERED:
                proofs.add((ProofKind.DELIVERY, stop.id))
    st_ = statements.statement(site, MARCH)
    assert {(ln.proof_kind, ln.proof_id) for ln in st_.lines} == proofs
    assert st_.total.price_cents == sum(ln.price_cents for ln in st_.lines)
    assert st_.total.subsidy_cents == sum(ln.subsidy_cents for ln in st_.lines)
    assert st_.total.copay_cents == sum(ln.copay_cents for ln in st_.lines)
    assert all(ln.subsidy_cents + ln.copay_cents == ln.price_cents for ln in st_.lines)
    closed = statements.close_month(site, MARCH, by=None, today=TODAY)
    assert closed.total_subsidy_cents == st_.total.subsidy_cents
    assert sorted(statements.statement(site, MARCH).lines, key=repr) == sorted(st_.lines, key=repr)


def test_monthly_cap_is_applied_in_date_order(ctx):
    site = create_site()
    db.session.add(SubsidyRule(name="capped", min_age=60, valid_from=date(2026, 1, 1), meal_price_cents=1500,
                               subsidy_cents=800, cap_per_month_cents=2000))
    db.session.commit()
    meals = Meals(site)
    senior = senior_aged(site, 70)
    for day in (3, 1, 2):
        meals.dine(senior, date(2026, 3, day))
    lines = statements.statement(site, MARCH).lines
    assert [(ln.service_date.day, ln.subsidy_cents) for ln in lines] == [(1, 800), (2, 800), (3, 400)]


def test_closing_freezes_the_month_against_rule_changes_and_late_records(ctx):
    site = create_site()
    jurong_rules()
    staff = create_user("staff", sites=[site])
    admin = create_user("admin")
    meals = Meals(site)
    a, b = senior_aged(site, 70), senior_aged(site, 80)
    stop = meals.delivery(a, date(2026, 3, 2), StopOutcome.DELIVERED)
    meals.dine(b, date(2026, 3, 3))
    before = statements.statement(site, MARCH)
    with pytest.raises(FieldError):  # not over yet
        statements.close_month(site, MARCH, by=staff, today=date(2026, 3, 31))
    statements.close_month(site, MARCH, by=staff, today=TODAY)
    with pytest.raises(StaleRecord):
        statements.close_month(site, MARCH, by=staff, today=TODAY)

    # A rule reaching into March is refused; one from April is fine and leaves March alone.
    rule = db.session.scalar(sa.select(SubsidyRule).where(SubsidyRule.name == "Aged 60-74"))
    change = subsidies.RuleData(name="Aged 60-74", site_id=None, category=None, min_age=60, max_age=74,
                                valid_from=date(2026, 3, 15), valid_to=None, meal_price_cents=1800,
                                subsidy_cents=1800)
    with pytest.raises(FieldError) as err:
        subsidies.supersede_rule(rule, change, by=admin)
    assert err.value.field == "valid_from"
    # Even a change slipped in directly, a later outcome and a late counter record do not alter it.
    rule.subsidy_cents = 1500
    stop.outcome = StopOutcome.NOT_HOME
    db.session.commit()
    meals.dine(a, date(2026, 3, 20))
    after = statements.statement(site, MARCH)
    assert after.is_closed
    assert sorted(after.lines, key=repr) == sorted(before.lines, key=repr)
    assert after.total == before.total

    with pytest.raises(statements.NotAllowed):
        statements.reopen_month(site, MARCH, reason="typo", by=staff)
    with pytest.raises(FieldError):
        statements.reopen_month(site, MARCH, reason="  ", by=admin)
    statements.reopen_month(site, MARCH, reason="late counter sheet from 20 March", by=admin)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "statement.reopen"))
    assert event.user_id == admin.id and event.detail["reason"] == "late counter sheet from 20 March"
    assert event.detail["frozen_subsidy_cents"] == before.total.subsidy_cents  # what was frozen stays on record
    reopened = statements.statement(site, MARCH)
    assert not reopened.is_closed and reopened.total.meals == 2  # a's delivery is no longer proven; a ate in


def test_extra_meal_with_override_is_billed_without_subsidy(ctx):
    site = create_site()
    jurong_rules()
    meals = Meals(site)
    senior = senior_aged(site, 80)
    meals.dine(senior, date(2026, 3, 2))
    meals.dine(senior, date(2026, 3, 2), reason="dropped the tray")
    lines = statements.statement(site, MARCH).lines
    assert [(ln.subsidy_cents, ln.copay_cents) for ln in lines] == [(500, 1000), (0, 1500)]


def test_csv_and_xlsx_exports_guard_formulas_and_add_up(ctx):
    from openpyxl import load_workbook

    site = create_site(name="=HYPERLINK(\"http://x\")")
    jurong_rules()
    meals = Meals(site)
    meals.dine(senior_aged(site, 70, full_name="@SUM(A1)"), date(2026, 3, 2))
    meals.dine(senior_aged(site, 90), date(2026, 3, 2))
    st_ = statements.statement(site, MARCH)
    rows = list(csv.reader(io.StringIO(statement_exports.statement_csv(st_))))
    assert rows[0][:4] == ["site", "month", "senior_id", "senior"]
    assert rows[1][0].startswith("'=") and any(r[3] == "'@SUM(A1)" for r in rows[1:-1])
    assert rows[-1][0] == "total" and rows[-1][-2:] == ["9.00", "21.00"]
    book = load_workbook(io.BytesIO(statement_exports.statement_xlsx(st_)))
    sheet = book["Meals"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert all(not (isinstance(v, str) and v.startswith(("=", "@"))) for row in values for v in row)
    assert values[-1][0] == "total" and values[-1][11] == 9.0


def test_statement_pages_close_export_and_only_admins_reopen(client):
    from tests.factories import login_as

    with client.application.test_request_context():
        site = create_site()
        jurong_rules()
        meals = Meals(site)
        senior = senior_aged(site, 80, full_name="Zhou Meihua")
        meals.dine(senior, date(2026, 3, 2))
        staff = create_user("staff", sites=[site])
        admin = create_user("admin")
        site_id, senior_id = site.id, senior.id
    login_as(client, staff)
    page = client.get(f"/staff/statements?site={site_id}&month=2026-03").get_data(as_text=True)
    assert "Zhou Meihua" in page and "¥5.00" in page and "Close Mar 2026" in page
    senior_page = client.get(f"/staff/statements/senior/{senior_id}?site={site_id}&month=2026-03")
    assert "Ate at the canteen" in senior_page.get_data(as_text=True)
    download = client.get(f"/staff/statements.csv?site={site_id}&month=2026-03")
    assert download.status_code == 200 and "Zhou Meihua" in download.get_data(as_text=True)
    assert client.get(f"/staff/statements.xlsx?site={site_id}&month=2026-03").data[:2] == b"PK"
    assert client.get(f"/staff/statements?site={site_id}&month=March").status_code == 400
    client.post(f"/staff/statements/close?site={site_id}&month=2026-03")
    assert "Closed" in client.get(f"/staff/statements?site={site_id}&month=2026-03").get_data(as_text=True)
    assert client.post(f"/staff/statements/reopen?site={site_id}&month=2026-03",
                       data={"reason": "x"}).status_code == 403
    client = client.application.test_client()
    login_as(client, admin)
    client.post(f"/staff/statements/reopen?site={site_id}&month=2026-03", data={"reason": "late sheet"})
    assert "Open" in client.get(f"/staff/statements?site={site_id}&month=2026-03").get_data(as_text=True)
    other = create_site()
    assert client.get(f"/staff/statements?site={other.id + 999}").status_code == 404


def test_admins_set_a_sites_monthly_budget_and_staff_cannot(client):
    from dispatch.models.subsidy import SubsidyBudget
    from tests.factories import login_as

    site = create_site()
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    assert client.post(f"/staff/statements/budget?site={site.id}&month=2026-03", data={"amount": "1"}).status_code == 403
    admin_client = client.application.test_client()
    login_as(admin_client, create_user("admin"))
    for bad in ("lots", "1.234", "-5", "nan"):
        admin_client.post(f"/staff/statements/budget?site={site.id}&month=2026-03", data={"amount": bad})
    assert db.session.scalar(sa.select(sa.func.count(SubsidyBudget.id))) == 0
    admin_client.post(f"/staff/statements/budget?site={site.id}&month=2026-03", data={"amount": "12,000.50"})
    admin_client.post(f"/staff/statements/budget?site={site.id}&month=2026-03", data={"amount": "13000"})
    assert db.session.scalar(sa.select(SubsidyBudget.amount_cents)) == 1_300_000
    page = client.get(f"/staff/statements?site={site.id}&month=2026-03").get_data(as_text=True)
    assert "¥13,000.00" in page
