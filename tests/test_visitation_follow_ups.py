"""Follow-ups from visit findings: closing needs an action and a note; staff pages per site; the family's summary."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import ServiceRequest, ServiceType, WelfareAlert
from dispatch.models.visitation import FollowUp, FollowUpStatus, VisitRecord
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.services.visitation import follow_ups
from tests.factories import create_senior, create_site, create_user, create_worker, login_as
from tests.test_outcomes import DAY, NOON
from tests.test_visitation_records import home_visit_route


@pytest.fixture
def app_clock():
    return FixedClock(NOON)


@pytest.fixture
def world(app):
    site, elsewhere = create_site(timezone="Asia/Shanghai"), create_site(timezone="Asia/Shanghai")
    worker_user = create_user("worker")
    worker = create_worker(site=site, user=worker_user)
    mother = create_senior(site=site, full_name="Chen Jianguo", lives_alone=True)
    stranger = create_senior(site=site, full_name="Wang Fang")
    route = home_visit_route(worker, [mother, stranger], site)
    staff = create_user("staff", sites=[site], display_name="Li Na")
    return {"site": site, "elsewhere": elsewhere, "worker_user": worker_user, "mother": mother,
            "stranger": stranger, "stops": [s.id for s in route.stops], "staff": staff}


def record(client, world, stop_index, **body):
    login_as(client, world["worker_user"])
    body.setdefault("client_id", uuid.uuid4().hex)
    body.setdefault("seen", True)
    response = client.post(f"/worker/api/stops/{world['stops'][stop_index]}/visit-record", json=body)
    assert response.status_code == 200, response.text
    client.post("/logout")
    return response.get_json()


def test_a_food_concern_cannot_be_closed_without_action_and_note(client, world):
    data = record(client, world, 0, items={"food": {"status": "concern", "note": "Empty fridge"}})
    follow_up = db.session.get(FollowUp, data["follow_ups"][0])
    for action, note, field in ((None, "done", "action"), ("", "done", "action"), ("meals_enrolled", "", "close_note"),
                                ("meals_enrolled", "   ", "close_note"), ("made_up", "done", "action")):
        with pytest.raises(FieldError) as raised:
            follow_ups.close(follow_up, action, note, by=world["staff"])
        assert raised.value.field == field
    assert follow_up.status == FollowUpStatus.OPEN
    # The database backs it: a closed row without action and note is refused.
    follow_up.status = FollowUpStatus.CLOSED
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    follow_up = db.session.get(FollowUp, data["follow_ups"][0])
    follow_ups.close(follow_up, "meals_enrolled", "Lunch daily from Monday", by=world["staff"])
    db.session.commit()
    assert follow_up.status == FollowUpStatus.CLOSED and follow_up.closed_by_id == world["staff"].id


def test_the_staff_close_form_shows_errors_then_closes(client, world):
    data = record(client, world, 0, items={"food": {"status": "concern", "note": "Empty fridge"}},
                  notes="Her son has not called in weeks.")
    fu_id = data["follow_ups"][0]
    login_as(client, world["staff"])
    listing = client.get("/staff/follow-ups").text
    assert "Chen Jianguo" in listing and "Enrol in meals" in listing and 'href="/staff/follow-ups"' in listing
    page = client.get(f"/staff/follow-ups/{fu_id}").text
    assert "Empty fridge" in page and "Her son has not called in weeks." in page and "Seen at home" in page
    assert '<label for="fu-action">' in page and '<label for="fu-note">' in page
    refused = client.post(f"/staff/follow-ups/{fu_id}/close", data={"action": "meals_enrolled", "close_note": ""})
    assert refused.status_code == 422 and 'id="fu-note-error"' in refused.text
    assert db.session.get(FollowUp, fu_id).status == FollowUpStatus.OPEN
    done = client.post(f"/staff/follow-ups/{fu_id}/close",
                       data={"action": "meals_enrolled", "close_note": "Lunch daily"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(FollowUp, fu_id).action == "meals_enrolled"


def test_overdue_follow_ups_are_marked_in_words(client, world, app):
    data = record(client, world, 1, items={"hygiene": {"status": "concern"}})
    follow_up = db.session.get(FollowUp, data["follow_ups"][0])
    follow_up.deadline = DAY.replace(day=1)
    db.session.commit()
    login_as(client, world["staff"])
    assert "Overdue" in client.get("/staff/follow-ups").text


def test_staff_of_another_site_get_404(client, world):
    data = record(client, world, 0, items={"food": {"status": "concern"}})
    other_staff = create_user("staff", sites=[world["elsewhere"]])
    login_as(client, other_staff)
    assert client.get(f"/staff/follow-ups/{data['follow_ups'][0]}").status_code == 404
    assert client.get(f"/staff/visit-records/{data['record_id']}").status_code == 404
    assert client.post(f"/staff/follow-ups/{data['follow_ups'][0]}/close",
                       data={"action": "meals_enrolled", "close_note": "x"}).status_code == 404
    assert "Chen Jianguo" not in client.get("/staff/follow-ups").text
    client.post("/logout")
    login_as(client, world["staff"])
    assert client.get(f"/staff/visit-records/{data['record_id']}").status_code == 200


def test_assign_and_open_a_service_request(client, world):
    data = record(client, world, 1, items={"hygiene": {"status": "concern", "note": "Needs a bath"}})
    follow_up = db.session.get(FollowUp, data["follow_ups"][0])
    with pytest.raises(FieldError) as raised:
        follow_ups.assign(follow_up, create_user("staff", sites=[world["elsewhere"]]), by=world["staff"])
    assert raised.value.field == "owner_id"
    colleague = create_user("staff", sites=[world["site"]])
    follow_ups.assign(follow_up, colleague, by=world["staff"])
    request = follow_ups.open_service_request(follow_up, ServiceType.BATHING, day=DAY, by=world["staff"])
    db.session.commit()
    assert follow_up.owner_id == colleague.id and follow_up.service_request_id == request.id
    assert db.session.get(ServiceRequest, request.id).senior_id == world["stranger"].id


def test_family_sees_only_their_seniors_summary_and_no_confidential_item(client, world):
    record(client, world, 0, notes="Private words of the visitor", items={
        "food": {"status": "concern", "note": "Fridge empty"},
        "falls": {"status": "concern"},
        "abuse_neglect": {"status": "emergency", "note": "Bruises", "confidential": True},
        "medicines": {"status": "concern", "note": "Pills mixed up", "confidential": True},
    })
    record(client, world, 1, seen=False)
    daughter = create_user("family", seniors=[world["mother"]])
    login_as(client, daughter)
    page = client.get(f"/family/seniors/{world['mother'].id}").text
    assert "Last welfare visit:" in page
    assert "Seen at home; the visitor noted: food in the house, home safety." in page
    for secret in ("medicines", "Pills", "Bruises", "abuse", "neglect", "Private words", "Fridge empty",
                   "visit_emergency"):
        assert secret not in page, secret
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WelfareAlert)) >= 1  # raised, just not shown
    home = client.get("/family/").text
    assert "Not found at home" not in home  # the other senior's visit is not hers
    assert client.get(f"/family/seniors/{world['stranger'].id}").status_code == 404


def test_family_summary_in_plain_words(client, world):
    record(client, world, 1, seen=False)
    son = create_user("family", seniors=[world["stranger"]])
    login_as(client, son)
    assert "Not found at home; staff followed up." in client.get(f"/family/seniors/{world['stranger'].id}").text
    client.post("/logout")
    record(client, world, 0, items={"food": {"status": "fine"}})
    daughter = create_user("family", seniors=[world["mother"]])
    login_as(client, daughter)
    assert "Seen at home; all checks were fine." in client.get("/family/").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRecord)) == 2


def test_family_summary_in_chinese(client, world):
    record(client, world, 0, items={"food": {"status": "concern"}, "gas_fire": {"status": "concern"},
                                    "falls": {"status": "concern"}})
    daughter = create_user("family", seniors=[world["mother"]], locale="zh_Hans_CN")
    login_as(client, daughter)
    page = client.get(f"/family/seniors/{world['mother'].id}", headers={"Accept-Language": "zh-CN"}).text
    assert "最近一次探访关爱：" in page and "已上门见到老人；探访员留意到：家中食物、居家安全。" in page


def test_deadlines_follow_the_tier_and_emergencies_are_due_the_same_day(client, world):
    from datetime import timedelta

    from dispatch.models.visitation import CheckStatus
    from dispatch.services.visitation import tiers

    assert follow_ups.deadline_for(CheckStatus.EMERGENCY, 3, DAY) == DAY
    assert follow_ups.deadline_for(CheckStatus.CONCERN, 1, DAY) == DAY + timedelta(days=1)
    assert follow_ups.deadline_for(CheckStatus.CONCERN, 2, DAY) == DAY + timedelta(days=3)
    data = record(client, world, 0, items={"medicines": {"status": "concern"}})
    follow_up = db.session.get(FollowUp, data["follow_ups"][0])
    tier = tiers.tier_of(world["mother"], today=DAY).tier
    assert follow_up.deadline == follow_ups.deadline_for(CheckStatus.CONCERN, tier, DAY)
    assert follow_up.kind.value == "service_request"


def test_staff_ask_a_home_service_from_a_follow_up(client, world):
    data = record(client, world, 1, items={"hygiene": {"status": "concern", "note": "Needs a bath"}})
    fu_id = data["follow_ups"][0]
    login_as(client, world["staff"])
    refused = client.post(f"/staff/follow-ups/{fu_id}/service-request",
                          data={"service_type": "bathing", "day": "2020-01-01"})
    assert refused.status_code == 422 and 'id="fu-day-error"' in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)
                             .where(ServiceRequest.service_type == ServiceType.BATHING)) == 0
    made = client.post(f"/staff/follow-ups/{fu_id}/service-request",
                       data={"service_type": "bathing", "day": DAY.isoformat()})
    assert made.status_code == 303
    db.session.expire_all()
    follow_up = db.session.get(FollowUp, fu_id)
    assert db.session.get(ServiceRequest, follow_up.service_request_id).service_type == ServiceType.BATHING
