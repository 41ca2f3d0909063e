"""Due visits and calls: made on the right day from tier, rule and last contact; idempotent; escalated."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, WelfareAlert
from dispatch.models.meals import MealHold
from dispatch.models.notification import Notification, NotificationEvent
from dispatch.models.visitation import (
    ContactKind,
    DueKind,
    DueReason,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpKind,
    MealCheckCounts,
    VisitationRule,
)
from dispatch.platform import clock
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.services.family import notifications
from dispatch.services.visitation import calls, contacts, due, rules
from tests.factories import create_senior, create_site, create_user

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, Monday 11 May
DAY = date(2026, 5, 11)
SHANGHAI = clock.zone_named("Asia/Shanghai")


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def site(app):
    return create_site(name="Hongqiao canteen")


def _at(day: date, hour: int = 10) -> datetime:
    return clock.at_local(day, time(hour), SHANGHAI)


def _dues(senior=None, kind=None) -> list[DueVisit]:
    query = sa.select(DueVisit).order_by(DueVisit.id)
    if senior is not None:
        query = query.where(DueVisit.senior_id == senior.id)
    if kind is not None:
        query = query.where(DueVisit.kind == kind)
    return db.session.scalars(query).all()


def _open(senior, kind):
    return [d for d in _dues(senior, kind) if d.status in (DueStatus.OPEN, DueStatus.PLANNED)]


def _tier1(site, **extra):
    # Born 1940: 86 in 2026, living alone: tier 1 (visit every 7 days, call every day). No meal enrollment.
    return create_senior(site, full_name="Wang Guilan", full_name_zh="王桂兰", lives_alone=True, **extra)


def test_a_tier_one_senior_living_alone_with_no_meals_is_due_at_once_when_never_contacted(site):
    senior = _tier1(site)
    made = due.generate(DAY, now=NOW)
    db.session.commit()
    visit, call = sorted(made, key=lambda d: d.kind != DueKind.HOME_VISIT)
    assert (visit.kind, visit.tier, visit.reason) == (DueKind.HOME_VISIT, 1, DueReason.INTERVAL)
    assert (visit.due_date, visit.latest_date) == (DAY, DAY + timedelta(days=6))  # within a week
    assert (call.kind, call.due_date, call.latest_date) == (DueKind.CALL, DAY, DAY)  # daily calls: today
    assert {d.senior_id for d in made} == {senior.id}


def test_a_home_visit_becomes_due_two_days_before_the_week_runs_out_not_a_day_earlier(site):
    senior = _tier1(site)
    contacts.record_contact(senior, ContactKind.HOME_VISIT, at=_at(DAY))
    db.session.commit()
    for offset in range(1, 5):  # the 12th to the 15th: the visit is not due yet
        day = DAY + timedelta(days=offset)
        due.generate(day, now=_at(day))
        assert _open(senior, DueKind.HOME_VISIT) == [], day
    day = DAY + timedelta(days=5)
    due.generate(day, now=_at(day))
    (visit,) = _open(senior, DueKind.HOME_VISIT)
    assert (visit.due_date, visit.latest_date) == (DAY + timedelta(days=5), DAY + timedelta(days=7))


def test_the_daily_call_is_due_the_day_after_a_contact_and_not_the_same_day(site):
    senior = _tier1(site)
    contacts.record_contact(senior, ContactKind.CALL, at=_at(DAY))
    due.generate(DAY, now=_at(DAY, 18))
    assert _open(senior, DueKind.CALL) == []
    tomorrow = DAY + timedelta(days=1)
    due.generate(tomorrow, now=_at(tomorrow))
    (call,) = _open(senior, DueKind.CALL)
    assert (call.due_date, call.latest_date) == (tomorrow, tomorrow)


def test_generate_is_idempotent(site):
    _tier1(site)
    create_senior(site, date_of_birth=date(1960, 3, 3))  # tier 3: a call within a week
    first = due.generate(DAY, now=NOW)
    db.session.commit()
    assert len(first) == 3
    assert due.generate(DAY, now=NOW) == []
    assert due.generate(DAY + timedelta(days=1), now=_at(DAY + timedelta(days=1))) == []
    assert len(_dues()) == 3


def _tier2(site):
    return create_senior(site, full_name="Li Jianguo", lives_alone=False)  # 86, not alone: tier 2 (14 / 7)


def _rule(tier: int, counts: MealCheckCounts) -> None:
    visit_days, call_days, _counts = rules.DEFAULTS[tier]
    rules.set_rule(tier, site_id=None, visit_days=visit_days, call_days=call_days, meal_check_counts=counts, by=None)
    db.session.commit()


@pytest.mark.parametrize(("counts", "call_due", "visit_due"), [
    (MealCheckCounts.CALL, False, True),  # resets the call, not the visit
    (MealCheckCounts.NOTHING, True, True),
    (MealCheckCounts.VISIT, False, False),  # counts as a visit: resets both
])
def test_a_meal_check_resets_what_the_rule_says_it_counts_as(site, counts, call_due, visit_due):
    _rule(2, counts)
    senior = _tier2(site)
    contacts.record_contact(senior, ContactKind.HOME_VISIT, at=_at(DAY - timedelta(days=10)))
    contacts.record_contact(senior, ContactKind.MEAL_CHECK, at=_at(DAY))
    day = DAY + timedelta(days=5)  # visit ran out on the 15th; a call 7 days after the meal check is the 18th
    due.generate(day, now=_at(day))
    assert bool(_open(senior, DueKind.CALL)) is call_due
    assert bool(_open(senior, DueKind.HOME_VISIT)) is visit_due
    if visit_due:
        (visit,) = _open(senior, DueKind.HOME_VISIT)
        assert visit.latest_date == DAY + timedelta(days=4) and visit.is_overdue(day)


def test_no_call_is_asked_for_when_a_home_visit_is_due_no_later(site):
    senior = create_senior(site, date_of_birth=date(1960, 3, 3))  # tier 3 by the facts
    db.session.add(VisitationRule(site_id=site.id, tier=3, visit_days=5, call_days=10))
    db.session.commit()
    due.generate(DAY, now=NOW)
    assert [d.kind for d in _dues(senior)] == [DueKind.HOME_VISIT]  # visit by the 15th; the call could wait


def test_an_away_hold_that_ended_yesterday_makes_a_visit_due_within_a_day_once(site):
    senior = create_senior(site, date_of_birth=date(1960, 3, 3))  # tier 3: calls only, no visits
    db.session.add(MealHold(senior_id=senior.id, start_date=DAY - timedelta(days=6), end_date=DAY - timedelta(days=1),
                            reason="Hospital", away=True))
    db.session.commit()
    due.generate(DAY, now=NOW)
    (visit,) = _dues(senior, DueKind.HOME_VISIT)
    assert (visit.reason, visit.due_date, visit.latest_date) == (DueReason.EVENT, DAY, DAY + timedelta(days=1))
    assert "back home" in str(due.reason_text(visit))
    contacts.record_contact(senior, ContactKind.HOME_VISIT, at=NOW + timedelta(hours=3))
    assert visit.status == DueStatus.DONE
    due.generate(DAY, now=NOW + timedelta(hours=4))
    due.generate(DAY + timedelta(days=1), now=_at(DAY + timedelta(days=1)))
    assert len(_dues(senior, DueKind.HOME_VISIT)) == 1  # one event, one visit


def test_an_event_brings_an_open_visit_forward(site):
    senior = _tier1(site)
    due.generate(DAY - timedelta(days=2), now=_at(DAY - timedelta(days=2)))
    (visit,) = _open(senior, DueKind.HOME_VISIT)
    assert visit.latest_date == DAY + timedelta(days=4)
    db.session.add(MealHold(senior_id=senior.id, start_date=DAY - timedelta(days=1), end_date=DAY, away=True))
    due.generate(DAY, now=NOW)
    assert _open(senior, DueKind.HOME_VISIT) == [visit]
    assert (visit.reason, visit.latest_date) == (DueReason.EVENT, DAY + timedelta(days=1))


def test_a_senior_who_left_has_open_dues_cancelled_with_a_reason(site):
    senior = _tier1(site)
    due.generate(DAY, now=NOW)
    senior.is_active = False
    db.session.commit()
    due.generate(DAY, now=NOW)
    db.session.commit()
    assert {d.status for d in _dues(senior)} == {DueStatus.CANCELLED}
    assert all(d.status_reason for d in _dues(senior))


def test_a_missed_visit_escalates_to_one_alert_then_to_the_district(site):
    senior = _tier1(site)
    admin = create_user("admin")
    create_user("staff", sites=[site])  # site staff hear of level 1 (the welfare alert), not of level 2
    due.generate(DAY, now=NOW)
    db.session.commit()
    visit = _open(senior, DueKind.HOME_VISIT)[0]
    latest = visit.latest_date
    first = due.escalate(_at(latest, 20))  # the visit's last day: not overdue yet (the daily call is)
    assert visit.id not in first.site and visit.escalation_level == 0
    report = due.escalate(_at(latest + timedelta(days=1)))
    assert visit.id in report.site and visit.escalation_level == 1
    overdue_alerts = db.session.scalars(sa.select(WelfareAlert).where(
        WelfareAlert.kind == AlertKind.VISIT_OVERDUE)).all()
    assert len(overdue_alerts) == 1  # the call's, still unresolved, stands for the visit too
    (alert,) = overdue_alerts
    assert (alert.site_id, alert.severity, alert.senior_id) == (site.id, AlertSeverity.HIGH, senior.id)
    again = due.escalate(_at(latest + timedelta(days=2)))
    assert again.alerts == [] and visit.escalation_level == 1
    district = due.escalate(_at(latest + timedelta(days=3)))
    assert visit.id in district.district and visit.escalation_level == 2 and visit.escalated_dt is not None
    told = db.session.scalars(sa.select(Notification).where(
        Notification.event == NotificationEvent.DISTRICT_VISIT_OVERDUE)).all()
    assert told and {n.user_id for n in told} == {admin.id}
    (about_visit,) = [n for n in told if n.payload["due_visit_id"] == visit.id]
    assert about_visit.payload["latest_date"] == latest.isoformat() and about_visit.payload["site_name"] == site.name
    for locale, subject in (("en", "Welfare visit long overdue"), ("zh_Hans_CN", "探访关爱严重逾期")):
        admin.locale = locale
        message = notifications.render(about_visit)
        assert subject in message.subject
        assert "family page" not in message.body  # a message to the district, not to a family
    assert due.escalate(_at(latest + timedelta(days=9))).as_dict() == {"site": [], "alerts": [], "district": []}
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id))) == 1
    assert visit in due.district_escalations()
    rows = due.overdue([site.id], latest + timedelta(days=3))
    assert rows[0].overdue and {r.due.id for r in rows} >= {visit.id}


def test_a_tier_two_overdue_due_raises_a_medium_alert(site):
    senior = _tier2(site)
    due.generate(DAY, now=NOW)
    assert _open(senior, DueKind.CALL) == []  # never contacted: the visit within a week does for the call
    (visit,) = _open(senior, DueKind.HOME_VISIT)
    due.escalate(_at(visit.latest_date + timedelta(days=1)))
    alert = db.session.scalar(sa.select(WelfareAlert).where(WelfareAlert.kind == AlertKind.VISIT_OVERDUE))
    assert alert.severity == AlertSeverity.MEDIUM


def test_due_list_puts_overdue_first_then_latest_date_then_tier(site):
    a = _tier2(site)
    b = _tier1(site)
    due.generate(DAY - timedelta(days=3), now=_at(DAY - timedelta(days=3)))
    c = create_senior(site, date_of_birth=date(1960, 3, 3))
    due.generate(DAY, now=NOW)
    rows = due.due_list([site.id], DAY)
    assert [r.overdue for r in rows] == sorted((r.overdue for r in rows), reverse=True)
    assert rows[0].overdue and rows[0].days_overdue == 3 and rows[0].senior.id == b.id  # b's daily call
    assert {r.senior.id for r in rows} == {a.id, b.id, c.id}
    other = create_site()
    assert due.due_list([other.id], DAY) == []


# Calls ------------------------------------------------------------------------------------

def _call_due(senior):
    contacts.record_contact(senior, ContactKind.HOME_VISIT, at=_at(DAY - timedelta(days=7)))
    due.generate(DAY, now=NOW)
    return _open(senior, DueKind.CALL)[0]


def test_a_reached_call_is_a_contact_and_a_second_tap_changes_nothing(site):
    staff = create_user("staff", sites=[site])
    senior = _tier2(site)
    call = _call_due(senior)
    result = calls.record_call(call, "reached_well", "", by=staff, now=NOW)
    assert call.status == DueStatus.DONE and result.contact_id
    again = calls.record_call(call, "reached_well", "", by=staff, now=NOW)
    assert again.already_done and again.contact_id is None
    assert [c.kind for c in contacts.history(senior)] == [ContactKind.CALL, ContactKind.HOME_VISIT]  # one call


def test_a_concern_opens_a_follow_up_for_the_caller_and_needs_a_note(site):
    staff = create_user("staff", sites=[site])
    senior = _tier2(site)
    call = _call_due(senior)
    with pytest.raises(FieldError) as error:
        calls.record_call(call, "reached_concern", "  ", by=staff, now=NOW)
    assert error.value.field == "note"
    with pytest.raises(FieldError) as error:
        calls.record_call(call, "maybe", "", by=staff, now=NOW)
    assert error.value.field == "outcome"
    result = calls.record_call(call, "reached_concern", "Sounds confused, no food left", by=staff, now=NOW)
    (follow_up,) = db.session.scalars(sa.select(FollowUp)).all()
    assert result.follow_up is follow_up
    assert (follow_up.kind, follow_up.owner_id, follow_up.deadline, follow_up.finding) == (
        FollowUpKind.OTHER, staff.id, DAY + timedelta(days=3), "Sounds confused, no food left")


def test_no_answer_from_a_senior_living_alone_raises_an_alert_and_keeps_the_call_open(site):
    staff = create_user("staff", sites=[site])
    alone = create_senior(site, date_of_birth=date(1960, 3, 3), lives_alone=True)  # tier 2
    other = create_senior(site, date_of_birth=date(1960, 3, 3))  # tier 3
    contacts.record_contact(other, ContactKind.CALL, at=_at(DAY - timedelta(days=30)))
    alone_call, other_call = _call_due(alone), _open(other, DueKind.CALL)[0]
    result = calls.record_call(alone_call, "no_answer", "", by=staff, now=NOW)
    assert result.alert is not None and result.alert.kind == AlertKind.NO_ANSWER
    assert alone_call.status == DueStatus.OPEN
    assert calls.record_call(other_call, "no_answer", "", by=staff, now=NOW).alert is None
    assert other_call.status == DueStatus.OPEN
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id))) == 1


# The command line ------------------------------------------------------------------------

def test_visits_due_makes_and_lists_and_commits(site, runner):
    senior = _tier1(site)
    result = runner.invoke(args=["visits", "due", "--site", str(site.id), "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("#")]
    assert len(lines) == 2
    assert all("Wang Guilan 王桂兰" in line and "tier 1" in line for line in lines)
    assert any("home_visit" in line and f"latest {(DAY + timedelta(days=6)).isoformat()}" in line for line in lines)
    db.session.expire_all()
    assert len(_dues(senior)) == 2
    later = runner.invoke(args=["visits", "due", "--site", str(site.id), "--date", (DAY + timedelta(days=2)).isoformat()])
    assert later.exit_code == 0 and "0 new" in later.output
    assert any("OVERDUE 2d" in line and "call" in line for line in later.output.splitlines())


@pytest.mark.parametrize("args", [["--site", "99999"], ["--date", "2026-13-01"], ["--date", "soon"],
                                  ["--date", "0001-01-01"], ["--site", "x"]])
def test_visits_due_refuses_bad_input_and_changes_nothing(site, runner, args):
    _tier1(site)
    result = runner.invoke(args=["visits", "due", *args])
    assert result.exit_code != 0
    assert "site" in result.output.lower() or "date" in result.output.lower()
    db.session.expire_all()
    assert _dues() == []


def test_visits_escalate_prints_what_it_did(site, runner):
    _tier1(site)
    due.generate(DAY, now=NOW)
    db.session.commit()
    result = runner.invoke(args=["visits", "escalate", "--now", _at(DAY + timedelta(days=1)).isoformat()])
    assert result.exit_code == 0, result.output
    assert '"alerts": [' in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id))) == 1


def test_the_alert_tick_makes_the_days_dues_and_escalates_them(site, runner):
    senior = _tier1(site)
    result = runner.invoke(args=["alerts", "tick", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert len(_dues(senior)) == 2
    later = runner.invoke(args=["alerts", "tick", "--now", (NOW + timedelta(days=1)).isoformat()])
    assert later.exit_code == 0, later.output
    assert '"alerts": [' in later.output and '"visitation": {' in later.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id)).where(
        WelfareAlert.kind == AlertKind.VISIT_OVERDUE)) == 1


def test_the_tick_job_runs_the_visitation_clock_on_the_apps_clock(site, app_clock):
    from dispatch import jobs

    senior = _tier1(site)
    result = jobs.tick_job()
    assert len(result["visitation"]["made"]) == 2
    assert jobs.tick_job()["visitation"]["made"] == []
    assert len(_dues(senior)) == 2


def test_the_overdue_alert_closes_once_the_visit_is_made_and_not_before(site):
    """A call answers the overdue call but not the overdue visit: the alert stays until the visit is made."""
    from dispatch.models.alert import AlertStatus

    senior = _tier2(site)
    due.generate(DAY, now=NOW)
    (visit,) = _open(senior, DueKind.HOME_VISIT)
    late = _at(visit.latest_date + timedelta(days=1))
    due.escalate(late)
    alert = db.session.scalar(sa.select(WelfareAlert).where(WelfareAlert.kind == AlertKind.VISIT_OVERDUE))
    assert alert.status == AlertStatus.OPEN
    contacts.record_contact(senior, ContactKind.CALL, at=late + timedelta(hours=1))
    assert alert.status == AlertStatus.OPEN and visit.status != DueStatus.DONE  # a call is not a visit
    contacts.record_contact(senior, ContactKind.HOME_VISIT, at=late + timedelta(hours=2))
    assert visit.status == DueStatus.DONE
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_dt == late + timedelta(hours=2)
    db.session.commit()
