"""Request review by staff: approve, decline with a reason, reschedule; refusals and access."""
from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.service_request import RequestStatus, ServiceRequest
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, add_request, small_site


@pytest.fixture
def setup(app, client):
    s = small_site(seniors=2)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    req = add_request(s.site, s.seniors[0], status=RequestStatus.REQUESTED)
    return s, req


def _fresh(req) -> ServiceRequest:
    db.session.expire_all()
    return db.session.get(ServiceRequest, req.id)


def test_approve_moves_to_approved_and_is_audited(setup, client):
    s, req = setup
    r = client.post(f"/staff/requests/{req.id}/approve", data={"version": req.version})
    assert r.status_code == 302
    assert _fresh(req).status == RequestStatus.APPROVED
    assert db.session.query(AuditEvent).filter_by(action="service_request.approve", entity_id=req.id).count() == 1


def test_decline_needs_a_reason(setup, client):
    s, req = setup
    r = client.post(f"/staff/requests/{req.id}/decline", data={"version": req.version, "reason": "   "})
    assert r.status_code == 422 and b"declined" in r.data
    assert _fresh(req).status == RequestStatus.REQUESTED
    r = client.post(f"/staff/requests/{req.id}/decline", data={"version": req.version, "reason": "no caregiver"})
    assert r.status_code == 302
    assert _fresh(req).status == RequestStatus.DECLINED and _fresh(req).status_reason == "no caregiver"


def test_invalid_transition_is_refused(setup, client):
    s, req = setup
    client.post(f"/staff/requests/{req.id}/decline", data={"version": req.version, "reason": "full"})
    req = _fresh(req)
    r = client.post(f"/staff/requests/{req.id}/approve", data={"version": req.version})
    assert r.status_code == 409 and b"cannot become" in r.data
    assert _fresh(req).status == RequestStatus.DECLINED


def test_stale_version_is_refused(setup, client):
    s, req = setup
    old = req.version
    req.notes = "changed by someone else"
    db.session.commit()
    r = client.post(f"/staff/requests/{req.id}/approve", data={"version": old})
    assert r.status_code == 409 and b"Someone else changed" in r.data
    assert _fresh(req).status == RequestStatus.REQUESTED


def test_reschedule_moves_day_and_window_and_checks_them(setup, client):
    s, req = setup
    new_day = (DAY + timedelta(days=2)).isoformat()
    r = client.post(f"/staff/requests/{req.id}/reschedule",
                    data={"version": req.version, "day": new_day, "window_start": "14:00", "window_end": "14:20"})
    assert r.status_code == 422 and b"shorter than the visit" in r.data
    r = client.post(f"/staff/requests/{req.id}/reschedule",
                    data={"version": req.version, "day": new_day, "window_start": "14:00", "window_end": "16:00"})
    assert r.status_code == 302
    fresh = _fresh(req)
    assert fresh.requested_date.isoformat() == new_day and fresh.window_start.hour == 14
    assert fresh.status == RequestStatus.REQUESTED


def test_staff_of_another_site_gets_404(app, client):
    s = small_site(seniors=1)
    other = small_site(seniors=0)
    login_as(client, create_user("staff", sites=(other.site,)))
    req = add_request(s.site, s.seniors[0], status=RequestStatus.REQUESTED)
    for path in ("approve", "decline", "reschedule", "urgent"):
        assert client.post(f"/staff/requests/{req.id}/{path}", data={"version": req.version,
                                                                     "reason": "x"}).status_code == 404
    assert _fresh(req).status == RequestStatus.REQUESTED


@pytest.mark.parametrize("role", ["worker", "family"])
def test_other_roles_are_forbidden(app, client, role):
    s = small_site(seniors=1)
    req = add_request(s.site, s.seniors[0], status=RequestStatus.REQUESTED)
    login_as(client, create_user(role))
    assert client.post(f"/staff/requests/{req.id}/approve", data={"version": req.version}).status_code == 403


def test_today_lists_requests_for_review(setup, client):
    s, req = setup
    page = client.get(f"/staff/today?site={s.site.id}&date={DAY.isoformat()}")
    assert page.status_code == 200
    assert f'id="request-{req.id}"'.encode() in page.data and b"Approve" in page.data


# The family hears about each review step ------------------------------------------------

def _family_rows(req, event) -> list:
    from dispatch.models.notification import Notification

    db.session.expire_all()
    return db.session.query(Notification).filter_by(senior_id=req.senior_id, event=event).all()


@pytest.fixture
def followed(setup):
    """The setup's request, with a daughter and a son following the senior (and an unrelated family)."""
    s, req = setup
    daughter = create_user("family", seniors=[s.seniors[0]], email="daughter@example.org")
    son = create_user("family", seniors=[s.seniors[0]], email="son@example.org")
    create_user("family", seniors=[s.seniors[1]], email="stranger@example.org")
    return s, req, {daughter.id, son.id}


def test_approve_tells_every_linked_family_member_and_no_one_else(followed, client):
    s, req, family_ids = followed
    assert client.post(f"/staff/requests/{req.id}/approve", data={"version": req.version}).status_code == 302
    rows = _family_rows(req, "request_approved")
    assert {r.user_id for r in rows} == family_ids
    assert all(r.payload["request_id"] == req.id and r.payload["service"] == req.service_type.value for r in rows)
    # In-process delivery ran after the commit (MAIL_SERVER empty: the logging sender counts as sent).
    assert {r.status.value for r in rows} == {"sent"}


def test_decline_tells_the_family_the_reason(followed, client):
    s, req, family_ids = followed
    client.post(f"/staff/requests/{req.id}/decline", data={"version": req.version, "reason": "no caregiver that day"})
    rows = _family_rows(req, "request_declined")
    assert {r.user_id for r in rows} == family_ids
    assert {r.payload["reason"] for r in rows} == {"no caregiver that day"}


def test_reschedule_tells_the_family_the_new_and_old_day(followed, client):
    s, req, family_ids = followed
    old_day, new_day = req.requested_date, req.requested_date + timedelta(days=2)
    client.post(f"/staff/requests/{req.id}/reschedule",
                data={"version": req.version, "day": new_day.isoformat(), "window_start": "14:00", "window_end": "16:00"})
    rows = _family_rows(req, "request_rescheduled")
    assert {r.user_id for r in rows} == family_ids
    assert {(r.payload["date"], r.payload["previous_date"], r.payload["window_start"]) for r in rows} == {
        (new_day.isoformat(), old_day.isoformat(), "14:00")}


def test_a_refused_review_step_tells_nobody(followed, client):
    s, req, _ids = followed
    old = req.version
    req.notes = "changed by someone else"
    db.session.commit()
    assert client.post(f"/staff/requests/{req.id}/approve", data={"version": old}).status_code == 409
    client.post(f"/staff/requests/{req.id}/decline", data={"version": req.version, "reason": "  "})
    assert _family_rows(req, "request_approved") == [] and _family_rows(req, "request_declined") == []
