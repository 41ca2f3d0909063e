"""The staff's visitation pages: due list, call list with one tap per outcome, a senior's tier; the admin rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.visitation import (
    Contact,
    DueKind,
    DueStatus,
    DueVisit,
    FollowUp,
    MealCheckCounts,
    VisitationRule,
    VisitationTierOverride,
)
from dispatch.platform.clock import FixedClock
from dispatch.services.visitation import due
from tests.factories import create_senior, create_site, create_user, login_as

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, Monday 11 May
DAY = date(2026, 5, 11)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def world(app, client):
    site = create_site(name="Hongqiao canteen")
    other = create_site(name="Gubei canteen")
    senior = create_senior(site, full_name="Wang Guilan", full_name_zh="王桂兰", lives_alone=True)  # tier 1
    stranger = create_senior(other, full_name="Zhao Ming")
    due.generate(DAY - timedelta(days=2), now=NOW - timedelta(days=2))
    db.session.commit()
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    return site, other, senior, stranger, staff


def _due(senior, kind) -> DueVisit:
    return db.session.scalar(sa.select(DueVisit).where(DueVisit.senior_id == senior.id, DueVisit.kind == kind))


def test_the_due_list_shows_my_sites_overdue_first_with_words_not_only_colour(world, client):
    site, other, senior, stranger, staff = world
    page = client.get("/staff/visitation")
    assert page.status_code == 200
    text = page.text
    assert "Wang Guilan" in text and "王桂兰" in text and "Zhao Ming" not in text
    assert "Overdue by 2 days" in text  # the daily call of two days ago
    assert text.index("Overdue by 2 days") < text.index("On time")
    assert "Tier 1" in text and "Interval ran out" in text
    assert client.get(f"/staff/visitation?site={other.id}").status_code == 404
    assert client.get("/staff/visitation?date=2026-02-30").status_code == 400
    assert 'href="/staff/visitation"' in client.get("/staff/seniors").text  # in the nav


def test_the_call_list_records_one_tap_once(world, client):
    site, other, senior, stranger, staff = world
    call = _due(senior, DueKind.CALL)
    page = client.get(f"/staff/visitation/calls?site={site.id}")
    assert page.status_code == 200 and f'id="due-{call.id}"' in page.text
    assert f'<label for="note-{call.id}">' in page.text and 'value="no_answer"' in page.text
    response = client.post(f"/staff/visitation/dues/{call.id}/call", data={"outcome": "reached_well", "note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert _due(senior, DueKind.CALL).status == DueStatus.DONE
    again = client.post(f"/staff/visitation/dues/{call.id}/call", data={"outcome": "reached_well"},
                        follow_redirects=True)
    assert again.status_code == 200 and "already recorded" in again.text
    assert db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.kind == "call")) == 1


def test_a_bad_outcome_or_a_concern_without_a_note_is_a_form_error_and_changes_nothing(world, client):
    site, other, senior, stranger, staff = world
    call = _due(senior, DueKind.CALL)
    bad = client.post(f"/staff/visitation/dues/{call.id}/call", data={"outcome": "shrug"})
    assert bad.status_code == 422 and "Choose what came of the call." in bad.text
    concern = client.post(f"/staff/visitation/dues/{call.id}/call", data={"outcome": "reached_concern", "note": " "})
    assert concern.status_code == 422 and "Say what the concern is." in concern.text
    assert f'aria-describedby="note-{call.id}-error"' in concern.text
    db.session.expire_all()
    assert _due(senior, DueKind.CALL).status == DueStatus.OPEN
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(FollowUp.id))) == 0
    ok = client.post(f"/staff/visitation/dues/{call.id}/call", data={"outcome": "reached_concern",
                                                                     "note": "Sounds low, fridge empty"})
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(FollowUp.finding)) == "Sounds low, fridge empty"


def test_staff_of_another_site_get_404_for_its_dues(world, client, app):
    site, other, senior, stranger, staff = world
    foreign = _due(stranger, DueKind.HOME_VISIT)
    response = client.post(f"/staff/visitation/dues/{foreign.id}/call", data={"outcome": "reached_well"})
    assert response.status_code == 404
    assert client.get(f"/staff/seniors/{stranger.id}/visitation").status_code == 404
    assert client.post(f"/staff/seniors/{stranger.id}/visitation",
                       data={"tier": "3", "reason": "x"}).status_code == 404
    db.session.expire_all()
    assert _due(stranger, DueKind.HOME_VISIT).status == DueStatus.OPEN


def test_the_senior_page_shows_tier_reasons_and_sets_or_clears_the_tier(world, client):
    site, other, senior, stranger, staff = world
    detail = client.get(f"/staff/seniors/{senior.id}")
    assert detail.status_code == 200 and 'id="visitation"' in detail.text and "Tier 1" in detail.text
    assert 'id="tier-form"' in detail.text and "lives alone, aged 80 or over" in detail.text
    assert '<label for="vis-reason">' in detail.text
    page = client.get(f"/staff/seniors/{senior.id}/visitation")
    assert page.status_code == 200 and "lives alone, aged 80 or over" in page.text
    refused = client.post(f"/staff/seniors/{senior.id}/visitation", data={"intent": "set", "tier": "2", "reason": ""})
    assert refused.status_code == 422 and 'id="vis-reason-error"' in refused.text
    assert db.session.scalar(sa.select(sa.func.count(VisitationTierOverride.id))) == 0
    saved = client.post(f"/staff/seniors/{senior.id}/visitation",
                        data={"intent": "set", "tier": "2", "reason": "Daughter moved in"}, follow_redirects=True)
    assert saved.status_code == 200 and "Daughter moved in" in saved.text
    assert db.session.scalar(sa.select(VisitationTierOverride.tier)) == 2
    cleared = client.post(f"/staff/seniors/{senior.id}/visitation", data={"intent": "clear"}, follow_redirects=True)
    assert cleared.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(VisitationTierOverride.id))) == 0


@pytest.fixture
def admin_client(app, world):
    admin = create_user("admin")
    client = app.test_client()
    login_as(client, admin)
    return client


@pytest.mark.parametrize(("data", "field"), [
    ({"visit_days": "0", "call_days": "1"}, "visit_days"),
    ({"visit_days": "7", "call_days": "-2"}, "call_days"),
    ({"visit_days": "367", "call_days": "1"}, "visit_days"),
    ({"visit_days": "7", "call_days": "1", "meal_check_counts": "hug"}, "meal_check_counts"),
    ({"visit_days": "7", "call_days": "1", "scope": "99999"}, "scope"),
])
def test_bad_rule_input_is_refused_with_the_field_named_and_nothing_changes(admin_client, data, field):
    before = [(r.id, r.visit_days, r.call_days, r.meal_check_counts) for r in
              db.session.scalars(sa.select(VisitationRule).order_by(VisitationRule.id))]
    response = admin_client.post("/admin/visitation/rules", data={"intent": "set", "scope": "district", "tier": "1",
                                                                  "meal_check_counts": "call", **data})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    db.session.expire_all()
    assert [(r.id, r.visit_days, r.call_days, r.meal_check_counts) for r in
            db.session.scalars(sa.select(VisitationRule).order_by(VisitationRule.id))] == before


def test_an_admin_changes_a_site_rule_and_removes_it(admin_client, world):
    site = world[0]
    page = admin_client.get("/admin/visitation/rules")
    assert page.status_code == 200 and "The district" in page.text
    saved = admin_client.post("/admin/visitation/rules", data={
        "intent": "set", "scope": str(site.id), "tier": "2", "visit_days": "10", "call_days": "",
        "meal_check_counts": "visit"})
    assert saved.status_code == 302
    rule = db.session.scalar(sa.select(VisitationRule).where(VisitationRule.site_id == site.id))
    assert (rule.tier, rule.visit_days, rule.call_days, rule.meal_check_counts) == (2, 10, None, MealCheckCounts.VISIT)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "visitation.rule_update")) == 1
    assert "Hongqiao canteen" in admin_client.get("/admin/visitation/rules").text
    admin_client.post("/admin/visitation/rules", data={"intent": "clear", "scope": str(site.id), "tier": "2"})
    db.session.expire_all()
    assert db.session.scalar(sa.select(VisitationRule).where(VisitationRule.site_id == site.id)) is None


def test_the_rules_page_shows_the_district_defaults_before_any_row_is_written(admin_client):
    db.session.execute(sa.delete(VisitationRule))
    db.session.commit()
    page = admin_client.get("/admin/visitation/rules")
    assert page.status_code == 200
    assert page.text.count("The district") >= 3 and "30 days" in page.text and "no visits" in page.text


def test_staff_cannot_open_the_rules_page(world, client):
    assert client.get("/admin/visitation/rules").status_code == 403


def test_district_escalations_show_on_the_admin_page(admin_client, world):
    site, other, senior, stranger, staff = world
    due.escalate(NOW + timedelta(days=5))
    db.session.commit()
    page = admin_client.get("/admin/visitation/rules")
    assert 'id="escalated"' in page.text and "Wang Guilan" in page.text


def test_an_overdue_visit_shows_on_the_sites_live_board(world, client):
    site, other, senior, stranger, staff = world
    report = due.escalate(NOW)  # the daily call of two days ago is overdue
    db.session.commit()
    assert len(report.alerts) == 1
    board = client.get(f"/staff/board?site={site.id}")
    assert board.status_code == 200
    assert "Welfare visit or call overdue" in board.text and "Wang Guilan" in board.text


def test_the_pages_in_chinese_say_tanfang_guanai_and_show_the_chinese_name(world, client):
    site, other, senior, stranger, staff = world
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    for url in ("/staff/visitation", "/staff/visitation/calls", f"/staff/seniors/{senior.id}/visitation",
                f"/staff/seniors/{senior.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "探访关爱" in page.text and "王桂兰" in page.text, url
        assert "Wang Guilan" not in page.text, url
    assert "逾期 2 天" in client.get("/staff/visitation").text


def test_check_who_is_due_now_makes_the_days_dues_once(world, client):
    site, other, senior, stranger, staff = world
    newcomer = create_senior(site, full_name="Sun Li", date_of_birth=date(1960, 1, 1))
    response = client.post("/staff/visitation/generate", data={"site": str(site.id)}, follow_redirects=True)
    assert response.status_code == 200 and "Sun Li" in response.text
    count = db.session.scalar(sa.select(sa.func.count(DueVisit.id)).where(DueVisit.senior_id == newcomer.id))
    assert count == 1
    client.post("/staff/visitation/generate", data={"site": str(site.id)})
    assert db.session.scalar(sa.select(sa.func.count(DueVisit.id)).where(DueVisit.senior_id == newcomer.id)) == 1
    assert client.post("/staff/visitation/generate", data={"site": str(other.id)}).status_code == 404
