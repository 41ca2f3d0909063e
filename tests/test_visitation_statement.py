"""The monthly statement counts the site's welfare visits and calls (where visitation is funded), by the
site's calendar, and freezes them with the month."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dispatch.extensions import db
from dispatch.models import Contact, ContactKind, VisitRecord
from dispatch.platform.clock import FixedClock
from dispatch.services.money import statements
from tests.factories import create_senior, create_site, create_user, login_as

MARCH = date(2026, 3, 1)
APRIL_2 = datetime(2026, 4, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_clock():
    return FixedClock(APRIL_2)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def _record(senior, site, at, *, seen=True, n=[0]):
    n[0] += 1
    db.session.add(VisitRecord(senior_id=senior.id, site_id=site.id, contact_kind=ContactKind.HOME_VISIT, seen=seen,
                               items={}, client_id=f"stmt-visit-{n[0]}", received_dt=at))


def test_the_months_visits_are_counted_in_the_sites_calendar_and_frozen_at_closing(app, client):
    site = create_site(timezone="Asia/Shanghai")
    other = create_site(timezone="Asia/Shanghai")
    a, b, c = (create_senior(site=site) for _ in range(3))
    stranger = create_senior(site=other)
    _record(a, site, utc(2026, 3, 31, 15, 30))  # 23:30 on 31 March in Shanghai: March
    _record(b, site, utc(2026, 3, 31, 16, 10))  # 00:10 on 1 April in Shanghai: April
    _record(b, site, utc(2026, 3, 10, 3, 0), seen=False)
    _record(stranger, other, utc(2026, 3, 12, 3, 0))
    db.session.add_all([
        Contact(senior_id=a.id, site_id=site.id, kind=ContactKind.HOME_VISIT, contact_dt=utc(2026, 3, 31, 15, 30)),
        Contact(senior_id=c.id, site_id=site.id, kind=ContactKind.CALL, contact_dt=utc(2026, 3, 5, 8, 0)),
        Contact(senior_id=c.id, site_id=site.id, kind=ContactKind.MEAL_CHECK, contact_dt=utc(2026, 3, 6, 4, 0)),
        Contact(senior_id=b.id, site_id=site.id, kind=ContactKind.CALL, contact_dt=utc(2026, 2, 28, 15, 59)),
    ])
    db.session.commit()

    live = statements.statement(site, MARCH)
    assert live.visitation == {"visits_seen": 1, "visits_not_seen": 1, "calls": 1, "meal_checks": 1,
                               "seniors_contacted": 2, "seniors_on_list": 3}
    assert live.visitation_rate == pytest.approx(2 / 3)
    assert statements.statement(site, MARCH, senior_id=a.id).visitation is None  # one senior's sheet: meals only

    statements.close_month(site, MARCH, by=None, today=date(2026, 4, 2))
    db.session.commit()
    _record(c, site, utc(2026, 3, 20, 3, 0))  # written late: the closed month does not move
    db.session.commit()
    assert statements.statement(site, MARCH).visitation["visits_seen"] == 1

    login_as(client, create_user("staff", sites=[site]))
    page = client.get(f"/staff/statements?site={site.id}&month=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="welfare-visits"' in html and "67% (2 of 3 seniors on the list contacted)" in html
    assert "frozen at closing" in html
