"""The demo has home visitation on first login: tiers, a past of contacts and visit records, findings
with follow-ups, some overdue visits on the board, and a volunteer's visits round with its own login."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from dispatch.demo.day import prepare_demo_day
from dispatch.demo.history import quick_history
from dispatch.demo.seed import DEMO_EMAILS, VISITOR_EMAIL
from dispatch.demo.visitation import visitation_history
from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    Contact,
    ContactKind,
    DueStatus,
    DueVisit,
    FamilyLink,
    FollowUp,
    FollowUpStatus,
    Plan,
    PlanKind,
    PlanStatus,
    Route,
    ServiceType,
    User,
    VisitationTierOverride,
    VisitRecord,
    WelfareAlert,
    Worker,
)
from dispatch.services import planning
from dispatch.services.visitation import follow_ups

DAY = date(2030, 3, 7)  # a Thursday


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2}


def count(column, *where):
    return db.session.scalar(sa.select(sa.func.count(column)).where(*where))


def test_the_demo_district_opens_with_its_visitation_programme_running(app, runner):
    assert runner.invoke(args=["seed", "--today", DAY.isoformat()]).exit_code == 0
    with app.test_request_context():
        quick_history(today=DAY, seed=1)
        past = visitation_history(today=DAY, seed=1)
        day = prepare_demo_day(DAY)
        db.session.commit()

    # The past: every kind of contact, visit records, follow-ups both open and closed with their close.
    kinds = set(db.session.scalars(sa.select(Contact.kind).distinct()))
    assert kinds == set(ContactKind)
    assert past.records == count(VisitRecord.id) > 0
    assert count(FollowUp.id, FollowUp.status == FollowUpStatus.OPEN) == past.follow_ups_open > 0
    closed = db.session.scalars(sa.select(FollowUp).where(FollowUp.status == FollowUpStatus.CLOSED)).all()
    assert closed and all(f.action in follow_ups.ACTIONS and f.close_note and f.closed_dt for f in closed)
    # The staff login's sites hold the findings, open and closed.
    staff = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["staff"]))
    staff_sites = {link.site_id for link in staff.staff_sites}
    assert {f.status for f in db.session.scalars(sa.select(FollowUp))
            if f.site_id in staff_sites} == {FollowUpStatus.OPEN, FollowUpStatus.CLOSED}
    assert count(VisitationTierOverride.id, VisitationTierOverride.reason != "") == 2
    # The family login's seniors were visited lately, so the family page has a summary to show.
    family = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["family"]))
    parents = set(db.session.scalars(sa.select(FamilyLink.senior_id).where(FamilyLink.user_id == family.id)))
    assert parents <= set(db.session.scalars(sa.select(VisitRecord.senior_id)))

    # Today: dues made, the overdue ones on the board, the district told of the longest overdue.
    v = day.visitation
    assert v is not None and v.dues_made == count(DueVisit.id) > 0
    assert v.overdue_alerts == count(WelfareAlert.id, WelfareAlert.kind == AlertKind.VISIT_OVERDUE) > 0
    assert v.district_escalations == count(DueVisit.id, DueVisit.escalation_level == 2)

    # The visits round: published, passing the independent check, the visitor login on a route of welfare visits.
    visits = db.session.scalar(sa.select(Plan).where(Plan.kind == PlanKind.VISITS, Plan.service_date == DAY,
                                                     Plan.status == PlanStatus.PUBLISHED))
    assert visits is not None and planning.check_plan(visits) == []
    visitor = db.session.scalar(sa.select(Worker).join(User, Worker.user_id == User.id)
                                .where(User.email == VISITOR_EMAIL))
    route = db.session.scalar(sa.select(Route).where(Route.plan_id == visits.id, Route.worker_id == visitor.id))
    welfare = [s for s in route.stops if s.service_request.service_type == ServiceType.HOME_VISITATION]
    assert len(welfare) == v.visitor_visits > 0 and v.visitor.startswith(visitor.full_name)
    assert {r.name for r in db.session.get(User, visitor.user_id).roles} == {"worker"}
    planned = {d.service_request_id for d in db.session.scalars(
        sa.select(DueVisit).where(DueVisit.status == DueStatus.PLANNED))}
    assert {s.service_request_id for s in welfare} <= planned
