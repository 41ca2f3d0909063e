"""Visitation's foundation: each senior's tier and why, the rules table's edits, and which contacts
close which due visits under a tier's rule."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    AlertSeverity,
    AuditEvent,
    ContactKind,
    DueKind,
    DueReason,
    DueStatus,
    DueVisit,
    MealCheckCounts,
    MealHold,
    Mobility,
    SeniorCategory,
    SeniorCategoryType,
    VisitationRule,
    WelfareAlert,
)
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.services.visitation import contacts, rules, tiers
from tests.factories import create_senior, create_site, create_user

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
TODAY = date(2026, 3, 10)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


def young(site, **extra):
    return create_senior(site=site, date_of_birth=date(1955, 5, 1), **extra)


def tier(senior):
    return tiers.tier_of(senior, today=TODAY)


def test_a_young_senior_with_no_risk_known_is_tier_3(app):
    site = create_site()
    view = tier(young(site))
    assert (view.tier, view.computed, view.reasons, view.override) == (3, 3, ("general",), None)


def test_living_alone_at_80_or_frail_is_high_risk_and_either_alone_is_key(app):
    site = create_site()
    assert tier(create_senior(site=site, lives_alone=True, date_of_birth=date(1944, 1, 1))).reasons == (
        "lives_alone_80",)
    assert tier(young(site, lives_alone=True, mobility=Mobility.WHEELCHAIR)).tier == 1
    assert tier(young(site, lives_alone=True)).reasons == ("lives_alone",)
    # 81 on the day: the birthday counts; at 79 it does not.
    assert tier(create_senior(site=site, date_of_birth=date(1945, 3, 10))).reasons == ("aged_80",)
    assert tier(create_senior(site=site, date_of_birth=date(1946, 3, 11))).tier == 3


def test_categories_and_missed_meals_make_a_senior_key(app):
    site = create_site()
    poor = young(site)
    db.session.add(SeniorCategory(senior_id=poor.id, category=SeniorCategoryType.EXTREME_POVERTY))
    db.session.commit()
    assert tier(poor).reasons == ("extreme_poverty",)


def test_a_recent_welfare_alert_or_a_stay_away_just_ended_makes_a_senior_high_risk(app):
    site = create_site()
    alerted, back, old_alert = young(site), young(site), young(site)
    db.session.add_all([
        WelfareAlert(senior_id=alerted.id, site_id=site.id, kind=AlertKind.NO_ANSWER,
                     severity=AlertSeverity.HIGH, raised_dt=NOW - timedelta(days=3)),
        WelfareAlert(senior_id=old_alert.id, site_id=site.id, kind=AlertKind.NO_ANSWER,
                     severity=AlertSeverity.HIGH, raised_dt=NOW - timedelta(days=45)),
        # An overdue visit is about the programme, not a new risk: it must not feed itself.
        WelfareAlert(senior_id=old_alert.id, site_id=site.id, kind=AlertKind.VISIT_OVERDUE,
                     severity=AlertSeverity.MEDIUM, raised_dt=NOW - timedelta(days=1)),
        MealHold(senior_id=back.id, start_date=TODAY - timedelta(days=9), end_date=TODAY - timedelta(days=2),
                 reason="hospital", away=True),
    ])
    db.session.commit()
    views = tiers.tiers_for([alerted, back, old_alert], today=TODAY)
    assert views[alerted.id].reasons == ("recent_alert",)
    assert views[back.id].reasons == ("back_from_stay",)
    assert views[old_alert.id].tier == 3


def test_staff_set_a_tier_with_a_reason_audited_and_can_go_back_to_the_computed_one(app):
    site = create_site()
    senior, staff = young(site), create_user("staff")
    with pytest.raises(FieldError) as error:
        tiers.set_tier(senior, 1, "   ", by=staff)
    assert error.value.field == "reason"
    for bad in (0, 4, "two", None):
        with pytest.raises(FieldError) as error:
            tiers.set_tier(senior, bad, "dementia signs", by=staff)
        assert error.value.field == "tier"
    assert tier(senior).override is None

    tiers.set_tier(senior, "1", "early dementia, daughter abroad", by=staff)
    db.session.commit()
    view = tier(senior)
    assert (view.tier, view.computed, view.override.reason) == (1, 3, "early dementia, daughter abroad")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "visitation.tier_set"))
    assert (event.senior_id, event.user_id, event.detail["tier"]) == (senior.id, staff.id, 1)
    assert "early dementia" not in str(event.detail)  # the trail names fields, never copies the text

    assert tiers.clear_tier(senior, by=staff) is True
    db.session.commit()
    assert tier(senior).tier == 3
    assert tiers.clear_tier(senior, by=staff) is False


def test_the_districts_rules_start_at_the_defaults_and_an_edit_is_written_once_audited(app):
    district = rules.district_rules()
    assert {t: (r.visit_days, r.call_days) for t, r in district.items()} == {1: (7, 1), 2: (14, 7), 3: (None, 30)}
    admin = create_user("admin")
    rules.set_rule(3, site_id=None, visit_days=90, call_days="30", meal_check_counts="visit", by=admin)
    rules.set_rule(3, site_id=None, visit_days=None, call_days=21, meal_check_counts="call", by=admin)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(VisitationRule.id))) == 1
    assert (rules.rule_for(3, None).visit_days, rules.rule_for(3, None).call_days) == (None, 21)
    edits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visitation.rule_update")).all()
    assert [e.detail["after"]["call_days"] for e in edits] == [30, 21]


@pytest.mark.parametrize("field, visit, call, counts", [
    ("visit_days", 0, 7, "call"), ("visit_days", -3, 7, "call"), ("call_days", 7, 367, "call"),
    ("visit_days", 2.5, 7, "call"), ("call_days", 7, "weekly", "call"), ("visit_days", None, None, "call"),
    ("meal_check_counts", 7, 7, "sometimes"),
])
def test_a_bad_rule_is_refused_with_its_field_and_changes_nothing(app, field, visit, call, counts):
    admin = create_user("admin")
    with pytest.raises(FieldError) as error:
        rules.set_rule(2, site_id=None, visit_days=visit, call_days=call, meal_check_counts=counts, by=admin)
    assert error.value.field == field
    db.session.rollback()
    assert (rules.district_rules()[2].visit_days, rules.district_rules()[2].call_days) == (14, 7)


def test_a_sites_own_rule_wins_for_its_seniors_and_clearing_it_brings_back_the_districts(app):
    site, other = create_site(), create_site()
    admin = create_user("admin")
    rules.set_rule(1, site_id=site.id, visit_days=3, call_days=None, meal_check_counts="visit", by=admin)
    db.session.commit()
    assert rules.rule_for(1, site.id).visit_days == 3
    assert rules.rule_for(1, other.id).visit_days == 7
    assert rules.rule_for(1, None).visit_days == 7
    assert rules.clear_site_rule(1, site.id, by=admin) is True
    db.session.commit()
    assert rules.rule_for(1, site.id).visit_days == 7
    assert db.session.scalar(sa.select(sa.func.count(VisitationRule.id)).where(VisitationRule.site_id.isnot(None))) == 0


def _due(senior, kind, site):
    due = DueVisit(senior_id=senior.id, site_id=site.id, kind=kind, reason=DueReason.INTERVAL, tier=1,
                   due_date=TODAY, latest_date=TODAY + timedelta(days=1))
    db.session.add(due)
    db.session.flush()
    return due


@pytest.mark.parametrize("contact, counts, closed", [
    (ContactKind.MEAL_CHECK, MealCheckCounts.CALL, {DueKind.CALL}),
    (ContactKind.MEAL_CHECK, MealCheckCounts.NOTHING, set()),
    (ContactKind.MEAL_CHECK, MealCheckCounts.VISIT, {DueKind.CALL, DueKind.HOME_VISIT}),
    (ContactKind.CALL, MealCheckCounts.VISIT, {DueKind.CALL}),
    (ContactKind.HOME_VISIT, MealCheckCounts.NOTHING, {DueKind.CALL, DueKind.HOME_VISIT}),
])
def test_a_contact_closes_the_due_visits_its_tiers_rule_lets_it(app, contact, counts, closed):
    site = create_site()
    senior = create_senior(site=site, lives_alone=True)  # 86 and alone: tier 1
    rules.set_rule(1, site_id=None, visit_days=7, call_days=1, meal_check_counts=counts, by=None)
    dues = {kind: _due(senior, kind, site) for kind in DueKind}
    db.session.commit()
    made = contacts.record_contact(senior, contact)
    db.session.commit()
    assert {kind for kind, due in dues.items() if due.status == DueStatus.DONE} == closed
    assert made.contact_dt == NOW and made.site_id == site.id
    assert (made.due_visit_id is not None) == bool(closed)
    assert contacts.last_contacts([senior.id])[senior.id] == {contact: NOW}
