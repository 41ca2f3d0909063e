"""The visitor's record from the phone: one record per visit, replays, refusals, and what a record sets off."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    AuditEvent,
    ServiceType,
    Stop,
    StopEvent,
    StopOutcome,
    WelfareAlert,
)
from dispatch.models.visitation import (
    Contact,
    ContactKind,
    DueKind,
    DueReason,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpKind,
    VisitRecord,
)
from dispatch.platform.clock import FixedClock
from tests.factories import create_senior, create_site, create_user, create_worker, login_as
from tests.test_outcomes import DAY, NOON, build_route


@pytest.fixture
def app_clock():
    return FixedClock(NOON)


def home_visit_route(worker, seniors, site):
    route = build_route(worker, seniors, site=site, kind="visit")
    for stop in route.stops:
        stop.service_request.service_type = ServiceType.HOME_VISITATION
    db.session.commit()
    return route


@pytest.fixture
def visits(app):
    site = create_site(timezone="Asia/Shanghai")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    alone = create_senior(site=site, full_name="Chen Jianguo", lives_alone=True)
    other = create_senior(site=site, full_name="Wang Fang")
    route = home_visit_route(worker, [alone, other], site)
    bath_route = build_route(create_worker(site=site), [other], site=site, kind="visit")
    meal_route = build_route(worker, [other], site=site)
    return {"site": site, "user": user, "worker": worker, "alone": alone, "other": other,
            "stops": [s.id for s in route.stops], "meal_stop": meal_route.stops[0].id,
            "bath_stop": bath_route.stops[0].id}


def post_record(client, stop_id, **body):
    body.setdefault("client_id", uuid.uuid4().hex)
    body.setdefault("seen", True)
    return client.post(f"/worker/api/stops/{stop_id}/visit-record", json=body)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_card_of_a_home_visit_shows_the_record_form(client, visits):
    login_as(client, visits["user"])
    html = client.get("/worker/today").text
    assert 'class="visit-record-form"' in html
    assert 'name="item-food" value="concern"' in html and 'name="conf-gas_fire"' in html
    assert 'name="seen_well" value="1"' in html and "Delivered, seen well" in html  # the meal stop's face to face
    assert 'data-api-visit="/worker/api/stops/STOP/visit-record"' in html


def test_a_record_stores_one_row_and_a_replay_returns_the_first_result(client, visits):
    login_as(client, visits["user"])
    stop_id = visits["stops"][1]
    body = {"client_id": "record-0001", "seen": True, "notes": "Chatted about her garden.",
            "items": {"food": {"status": "fine"}, "health_mood": {"status": "fine", "note": "cheerful"}},
            "recorded_dt": "2026-03-10T11:55:00+08:00"}
    first = post_record(client, stop_id, **body)
    assert first.status_code == 200, first.text
    data = first.get_json()
    assert data["replay"] is False and data["seen"] is True and data["stop_outcome"] == "completed"
    again = post_record(client, stop_id, **body)
    assert again.status_code == 200
    assert again.get_json() == {**data, "replay": True}
    assert count(VisitRecord) == 1
    assert count(StopEvent, StopEvent.stop_id == stop_id) == 1
    assert count(Contact, Contact.kind == ContactKind.HOME_VISIT) == 1
    record = db.session.scalar(sa.select(VisitRecord))
    assert record.items["health_mood"] == {"status": "fine", "note": "cheerful", "confidential": False}
    assert record.received_dt.replace(tzinfo=None) == NOON.replace(tzinfo=None)  # the server's clock
    assert record.claimed_dt is not None
    assert db.session.get(Stop, stop_id).outcome == StopOutcome.COMPLETED
    assert count(AuditEvent, AuditEvent.action == "visit_record.create") == 1


def test_refusals_name_the_field_and_store_nothing(client, visits):
    login_as(client, visits["user"])
    stop_id = visits["stops"][0]
    cases = [
        (visits["meal_stop"], {}, 422, "stop_id"),  # a meal drop is not a visit
        (visits["stops"][0], {"items": {"pool": {"status": "fine"}}}, 422, "items"),
        (visits["stops"][0], {"items": {"food": {"status": "awful"}}}, 422, "items.food.status"),
        (visits["stops"][0], {"items": {"food": {"status": "concern", "note": "x" * 501}}}, 422, "items.food.note"),
        (visits["stops"][0], {"items": {"food": {"status": "fine", "confidential": "yes"}}}, 422,
         "items.food.confidential"),
        (visits["stops"][0], {"seen": "maybe"}, 422, "seen"),
        (visits["stops"][0], {"client_id": "short"}, 422, "client_id"),
        (visits["stops"][0], {"recorded_dt": "9999-01-01T00:00:00+14:00"}, 422, "recorded_dt"),
    ]
    for target, body, status, field in cases:
        response = post_record(client, target, **body)
        assert response.status_code == status, (body, response.text)
        assert response.get_json()["field"] == field
    # Another worker's visit and an unknown stop are both 404.
    assert post_record(client, visits["bath_stop"]).status_code == 404
    assert post_record(client, 999999).status_code == 404
    assert count(VisitRecord) == 0 and count(StopEvent) == 0 and count(FollowUp) == 0
    assert db.session.get(Stop, stop_id).outcome is None


def test_a_visit_that_is_not_home_visitation_is_refused(client, visits, app):
    bath = db.session.get(Stop, visits["bath_stop"])
    bath.route.worker_id = visits["worker"].id
    db.session.commit()
    login_as(client, visits["user"])
    response = post_record(client, visits["bath_stop"])
    assert response.status_code == 422 and response.get_json()["field"] == "stop_id"
    assert count(VisitRecord) == 0


def test_seen_closes_the_due_visit(client, visits):
    senior = visits["other"]
    due = DueVisit(senior_id=senior.id, site_id=visits["site"].id, kind=DueKind.HOME_VISIT,
                   reason=DueReason.INTERVAL, tier=1, due_date=DAY - timedelta(days=2), latest_date=DAY)
    db.session.add(due)
    db.session.commit()
    login_as(client, visits["user"])
    data = post_record(client, visits["stops"][1]).get_json()
    assert data["due_visit_id"] == due.id
    db.session.expire_all()
    assert db.session.get(DueVisit, due.id).status == DueStatus.DONE
    assert db.session.get(VisitRecord, data["record_id"]).due_visit_id == due.id


def test_not_seen_raises_the_welfare_alert_for_a_senior_who_lives_alone(client, visits):
    stop = db.session.get(Stop, visits["stops"][0])
    due = DueVisit(senior_id=visits["alone"].id, site_id=visits["site"].id, kind=DueKind.HOME_VISIT,
                   reason=DueReason.INTERVAL, tier=1, due_date=DAY, latest_date=DAY, status=DueStatus.PLANNED,
                   service_request_id=stop.service_request_id)
    db.session.add(due)
    db.session.commit()
    login_as(client, visits["user"])
    data = post_record(client, visits["stops"][0], seen=False).get_json()
    assert data["stop_outcome"] == "not_home" and data["contact_id"] is None
    assert data["due_visit_id"] == due.id  # the record names the due visit it was for
    assert db.session.get(DueVisit, due.id).status == DueStatus.OPEN  # not seen fulfils nothing: still owed, re-planned
    alerts = db.session.scalars(sa.select(WelfareAlert)).all()
    assert [a.kind for a in alerts] == [AlertKind.NOT_HOME_LIVES_ALONE]
    assert data["alerts"] == [alerts[0].id]
    assert count(Contact) == 0  # not seen is not a contact


def test_concerns_open_follow_ups_and_an_emergency_raises_an_alert_at_once(client, visits):
    staff = create_user("staff", sites=[visits["site"]])
    login_as(client, visits["user"])
    data = post_record(client, visits["stops"][1], items={
        "food": {"status": "concern", "note": "Fridge empty"},
        "gas_fire": {"status": "emergency", "note": "Smell of gas", "confidential": False},
        "hygiene": {"status": "fine"},
    }).get_json()
    follow_ups = db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id)).all()
    assert [(f.item.value, f.kind) for f in follow_ups] == [("food", FollowUpKind.MEAL_ENROLLMENT),
                                                            ("gas_fire", FollowUpKind.URGENT_ALERT)]
    food, gas = follow_ups
    assert food.finding == "Fridge empty" and food.owner_id == staff.id and food.deadline > DAY
    assert gas.deadline == DAY and gas.alert_id is not None
    alert = db.session.get(WelfareAlert, gas.alert_id)
    assert alert.kind == AlertKind.VISIT_EMERGENCY and alert.severity.value == "high"
    assert data["follow_ups"] == [food.id, gas.id] and gas.alert_id in data["alerts"]
    assert count(AuditEvent, AuditEvent.action == "follow_up.open") == 2


def test_the_plain_form_post_records_too(client, visits):
    login_as(client, visits["user"])
    response = client.post(f"/worker/stops/{visits['stops'][1]}/visit-record", data={
        "client_id": uuid.uuid4().hex, "seen": "yes", "item-food": "concern", "note-food": "Little food",
        "conf-food": "1", "notes": "ok"})
    assert response.status_code == 303
    record = db.session.scalar(sa.select(VisitRecord))
    assert record.seen and record.items["food"] == {"status": "concern", "note": "Little food", "confidential": True}
    assert db.session.scalar(sa.select(FollowUp)).confidential is True


def test_a_seen_well_meal_tap_makes_one_meal_check_contact(client, visits):
    login_as(client, visits["user"])
    stop_id = visits["meal_stop"]
    body = {"client_id": "meal-check-01", "kind": "outcome", "outcome": "delivered", "seen_well": True}
    first = client.post(f"/worker/api/stops/{stop_id}/events", json=body)
    assert first.status_code == 200, first.text
    again = client.post(f"/worker/api/stops/{stop_id}/events", json=body)
    assert again.get_json()["replay"] is True
    contacts = db.session.scalars(sa.select(Contact)).all()
    assert [(c.kind, c.stop_id) for c in contacts] == [(ContactKind.MEAL_CHECK, stop_id)]
    # A plain delivery is no contact; a bad flag or a flag on another outcome is refused.
    plain = client.post(f"/worker/api/stops/{stop_id}/events",
                        json={"client_id": "meal-check-02", "kind": "outcome", "outcome": "delivered"})
    assert plain.status_code == 200
    for bad in ({"seen_well": "yes", "outcome": "delivered"}, {"seen_well": True, "outcome": "not_home"}):
        response = client.post(f"/worker/api/stops/{stop_id}/events",
                               json={"client_id": uuid.uuid4().hex, "kind": "outcome", **bad})
        assert response.status_code == 422 and response.get_json()["field"] == "seen_well"
    assert count(Contact) == 1


def test_a_seen_well_button_post_without_javascript(client, visits):
    login_as(client, visits["user"])
    response = client.post(f"/worker/stops/{visits['meal_stop']}/tap",
                           data={"client_id": uuid.uuid4().hex, "seen_well": "1"})
    assert response.status_code == 303
    assert count(Contact, Contact.kind == ContactKind.MEAL_CHECK) == 1
    assert db.session.get(Stop, visits["meal_stop"]).outcome == StopOutcome.DELIVERED


def test_a_second_record_for_the_same_visit_is_refused(client, visits):
    login_as(client, visits["user"])
    stop_id = visits["stops"][1]
    assert post_record(client, stop_id).status_code == 200
    second = post_record(client, stop_id, seen=False)
    assert second.status_code == 422 and second.get_json()["field"] == "stop_id"
    # The same client_id sent for another stop is refused too, and names the id.
    first_id = db.session.scalar(sa.select(VisitRecord.client_id))
    other = post_record(client, visits["stops"][0], client_id=first_id)
    assert other.status_code == 422 and other.get_json()["field"] == "client_id"
    assert count(VisitRecord) == 1 and db.session.get(Stop, visits["stops"][0]).outcome is None


def test_the_card_in_chinese(client, visits):
    visits["user"].locale = "zh_Hans_CN"
    db.session.commit()
    login_as(client, visits["user"])
    html = client.get("/worker/today", headers={"Accept-Language": "zh-CN"}).text
    assert "探访记录" in html and "家中食物" in html and "保存探访记录" in html
