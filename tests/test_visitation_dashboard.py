"""The administrators' visitation figures: computed on a small known set of seniors and contacts, per site and
tier; the monthly rate counted in the site's zone; the CSV's columns and values; staff see only their sites."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

import pytest

from dispatch.extensions import db
from dispatch.models.visitation import (
    CheckItem,
    Contact,
    ContactKind,
    DueKind,
    DueReason,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
)
from dispatch.platform.clock import FixedClock
from dispatch.services.visitation import dashboard
from tests.factories import create_senior, create_site, create_user, login_as

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
MARCH, FEBRUARY = date(2026, 3, 1), date(2026, 2, 1)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def contact(senior, kind, at):
    db.session.add(Contact(senior_id=senior.id, site_id=senior.home_site_id, kind=kind, contact_dt=at))


def finding(senior, item, created, closed=None):
    db.session.add(FollowUp(
        senior_id=senior.id, site_id=senior.home_site_id, item=item, kind=FollowUpKind.OTHER, finding="seen",
        deadline=created.date(), created_dt=created,
        status=FollowUpStatus.CLOSED if closed else FollowUpStatus.OPEN, closed_dt=closed,
        action="done" if closed else None, close_note="sorted" if closed else None))


def due(senior, latest, status=DueStatus.OPEN, closed=None):
    db.session.add(DueVisit(senior_id=senior.id, site_id=senior.home_site_id, kind=DueKind.HOME_VISIT,
                            reason=DueReason.INTERVAL, tier=1, due_date=latest, latest_date=latest, status=status,
                            created_dt=utc(2026, 2, 20), closed_dt=closed))


@pytest.fixture
def known(app):
    """Site A with five seniors of known tiers and contacts, site B with one."""
    a, b = create_site(name="Canteen A"), create_site(name="Canteen B")
    old_alone = dict(lives_alone=True, date_of_birth=date(1941, 1, 1))  # 85, lives alone: tier 1
    young = dict(date_of_birth=date(1955, 5, 1))
    s1 = create_senior(a, **old_alone)
    s2 = create_senior(a, **old_alone)
    s3 = create_senior(a, **young)  # tier 3
    s4 = create_senior(a, **young)  # tier 3, never contacted
    s5 = create_senior(a, lives_alone=True, **young)  # tier 2
    create_senior(a, is_active=False, **old_alone)  # left the programme: not on the list
    t = create_senior(b, **old_alone)
    contact(s1, ContactKind.HOME_VISIT, utc(2026, 3, 8, 2))
    contact(s1, ContactKind.CALL, utc(2026, 3, 9, 2))
    # 23:30 on 28 February in Shanghai (15:30 UTC): February's.
    contact(s2, ContactKind.HOME_VISIT, utc(2026, 2, 28, 15, 30))
    # 00:30 on 1 March in Shanghai is still 28 February in UTC: March's in the site's zone.
    contact(s3, ContactKind.CALL, utc(2026, 2, 28, 16, 30))
    contact(s5, ContactKind.MEAL_CHECK, utc(2026, 3, 5, 4))  # counts as a call under tier 2's rule
    contact(t, ContactKind.HOME_VISIT, utc(2026, 3, 9, 2))
    due(s2, date(2026, 3, 7))  # overdue
    due(s1, date(2026, 3, 12))  # not yet
    due(s4, date(2026, 3, 1), status=DueStatus.DONE, closed=utc(2026, 3, 2))  # was overdue, met since
    finding(s1, CheckItem.FOOD, utc(2026, 3, 2, 2), utc(2026, 3, 4, 14))  # 2.5 days
    finding(s2, CheckItem.FALLS, utc(2026, 3, 5, 2))  # still open
    finding(s5, CheckItem.FOOD, utc(2026, 3, 3, 2), utc(2026, 3, 4, 2))  # 1 day
    finding(s1, CheckItem.GAS_FIRE, utc(2026, 2, 20, 2), utc(2026, 2, 21, 2))  # February's
    db.session.commit()
    return a, b


def test_the_months_figures_per_tier_on_a_known_set(known):
    a, b = known
    f = dashboard.build(create_user("admin"), month=MARCH)
    assert [s.name for s in f.sites] == ["Canteen A", "Canteen B"] and f.as_of[a.id] == date(2026, 3, 10)
    t1, t2, t3 = (f.cell(a.id, t) for t in (1, 2, 3))
    assert (t1.seniors, t1.in_interval, t1.contacted_in_month, t1.overdue) == (2, 1, 1, 1)
    assert (t1.in_interval_pct, t1.monthly_rate_pct) == (50.0, 50.0)
    assert t1.bands == {"0-7": 1, "8-14": 1, "15-30": 0, "31-90": 0, "over-90": 0}
    assert (t1.findings, t1.findings_open, t1.close_days, t1.median_close_days) == (2, 1, [2.5], 2.5)
    # The meal check counts as a call, but tier 2 also needs a visit every 14 days.
    assert (t2.seniors, t2.in_interval, t2.contacted_in_month, t2.monthly_rate_pct) == (1, 0, 1, 100.0)
    assert (t3.seniors, t3.in_interval, t3.contacted_in_month, t3.overdue) == (2, 1, 1, 0)
    assert t3.bands == {"0-7": 0, "8-14": 1, "15-30": 0, "31-90": 0, "over-90": 1}
    food, falls = f.items[CheckItem.FOOD], f.items[CheckItem.FALLS]
    assert (food.count, food.closed, food.open, food.median_close_days) == (2, 2, 0, 1.75)
    assert (falls.count, falls.closed, falls.open) == (1, 0, 1) and CheckItem.GAS_FIRE not in f.items
    assert f.total().seniors == 6 and f.by_site()[b.id].contacted_in_month == 1


def test_a_past_month_is_judged_as_of_its_last_day_in_the_sites_zone(known):
    a, _b = known
    f = dashboard.build(create_user("admin"), month=FEBRUARY)
    assert f.as_of[a.id] == date(2026, 2, 28)
    t1, t3 = f.cell(a.id, 1), f.cell(a.id, 3)
    assert t1.contacted_in_month == 1  # s2's late-evening visit on 28 February
    assert t3.contacted_in_month == 0  # s3's call was on 1 March in Shanghai
    # s4's due (latest 1 March) was not overdue yet on 28 February; findings are February's.
    assert t3.overdue == 0 and (t1.findings, t1.close_days) == (1, [1.0])
    assert dashboard.build(create_user("admin"), month=date(2026, 4, 1)).total().seniors == 0


def test_the_csv_has_one_row_per_site_and_tier_and_no_personal_data(known, client):
    a, b = known
    login_as(client, create_user("admin"))
    response = client.get("/staff/dashboard/visitation.csv?month=2026-03")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="visitation-2026-03.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(dashboard.CSV_COLUMNS)
    assert [(r["site"], r["tier"]) for r in rows] == [(n, t) for n in ("Canteen A", "Canteen B") for t in "123"]
    first = rows[0]
    assert {k: first[k] for k in ("month", "as_of", "seniors", "contacted_within_interval", "within_interval_pct",
                                  "contacted_in_month", "monthly_visitation_rate_pct", "overdue_dues",
                                  "days_since_contact_0-7", "days_since_contact_8-14",
                                  "days_since_contact_over-90", "findings", "findings_closed", "findings_open",
                                  "median_days_to_close")} == {
        "month": "2026-03", "as_of": "2026-03-10", "seniors": "2", "contacted_within_interval": "1",
        "within_interval_pct": "50.0", "contacted_in_month": "1", "monthly_visitation_rate_pct": "50.0",
        "overdue_dues": "1", "days_since_contact_0-7": "1", "days_since_contact_8-14": "1",
        "days_since_contact_over-90": "0", "findings": "2", "findings_closed": "1", "findings_open": "1",
        "median_days_to_close": "2.5"}
    assert rows[4]["seniors"] == "0" and rows[4]["monthly_visitation_rate_pct"] == ""
    assert "Senior" not in response.get_data(as_text=True)  # no names
    bad = client.get("/staff/dashboard/visitation.csv?month=2026-13")
    assert bad.status_code == 422 and bad.json["field"] == "month"


def test_staff_see_only_their_own_sites_figures(known, client):
    a, b = known
    login_as(client, create_user("staff", sites=(b,)))
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/dashboard/visitation.csv?month=2026-03")
                                           .get_data(as_text=True))))
    assert {r["site"] for r in rows} == {"Canteen B"} and [r["seniors"] for r in rows] == ["1", "0", "0"]
    assert client.get(f"/staff/dashboard/visitation.csv?month=2026-03&site={a.id}").status_code == 404
    page = client.get("/staff/dashboard?end=2026-03-09")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Canteen A" not in html
    assert 'id="visitation-heading"' in html and 'id="chart-visit-rate"' in html
    assert client.get(f"/staff/dashboard?site={a.id}").status_code == 404


def test_the_dashboards_visitation_section_draws_charts_that_name_their_numbers(known, client):
    login_as(client, create_user("admin"))
    html = client.get("/staff/dashboard?end=2026-03-09").get_data(as_text=True)
    section = html.split('id="visitation-heading"', 1)[1]
    for chart in ("visit-rate", "visit-interval", "visit-overdue", "visit-days", "visit-findings"):
        assert f'id="chart-{chart}" data-has-data="yes"' in section
    assert "Target 100%" in section and 'id="visitation-table"' in section
    assert section.count("<svg class=\"chart") == 5 and "style=" not in section
    findings = section.split('id="visitation-findings"', 1)[1].split("</table>", 1)[0]
    food = findings.split("Food in the house", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td[^>]*>([^<]*)</td>", food) == ["2", "2", "0", "1.8"]


def test_the_section_reads_in_chinese(known, client):
    login_as(client, create_user("admin"))
    html = client.get("/staff/dashboard?end=2026-03-09", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
                      ).get_data(as_text=True)
    section = html.split('id="visitation-heading"', 1)[1]
    assert "探访关爱" in section and "月探访率" in section and "家中食物" in section and "目标 100%" in section
