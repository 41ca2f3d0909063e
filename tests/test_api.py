"""The JSON API: tokens, the pages' access rules, JSON errors, versions and idempotency keys."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import ApiIdempotency, ApiToken, AuditEvent, EmergencyContact, Senior, ServiceRequest, StopEvent
from dispatch.models.plan import PlanStatus
from dispatch.models.types import utcnow
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.services.people import api_tokens
from tests import testclock
from tests.api_helpers import bearer, new_token, token_for
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import NOON, crew  # noqa: F401  (fixtures)


@pytest.fixture
def app_clock(request):
    """Tests on the worker's day (the ``crew`` route) run at NOON, as in test_outcomes; the rest on real time."""
    return FixedClock(NOON) if "crew" in request.fixturenames else None

SENIOR = {"full_name": "Zhang Wei", "date_of_birth": "1941-04-02", "address": "12 Plum Lane",
          "contacts": [{"name": "Zhang Li", "relation": "daughter", "phone": "13800000000"}]}


@pytest.fixture
def two_sites(app):
    north, south = create_site(name="North"), create_site(name="South")
    contact = lambda: [EmergencyContact(name="Li", relation="son", phone="13700000000", priority=1)]  # noqa: E731
    return (north, south, create_senior(site=north, full_name="North Senior", contacts=contact()),
            create_senior(site=south, contacts=contact()))


def test_openapi_document_describes_every_endpoint_and_bearer_auth(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"/api/v1/seniors", "/api/v1/seniors/{senior_id}", "/api/v1/sites", "/api/v1/workers",
            "/api/v1/service-requests", "/api/v1/plans", "/api/v1/routes/{route_id}",
            "/api/v1/stops/{stop_id}/outcomes", "/api/v1/me/day"} <= set(doc["paths"])
    assert "post" in doc["paths"]["/api/v1/seniors"] and "patch" in doc["paths"]["/api/v1/seniors/{senior_id}"]


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer dst_" + "x" * 43])
def test_no_or_bad_token_is_a_json_401(client, header):
    response = client.get("/api/v1/sites", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.is_json and response.get_json()["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_is_stored_hashed_and_shown_once(app):
    user = create_user("admin")
    issued = api_tokens.issue(user, role="admin", name="platform", days=5, by=user)
    row = db.session.get(ApiToken, issued.token.id)
    assert row.token_hash == api_tokens.digest(issued.secret) and issued.secret not in (row.token_hash, row.prefix)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "api_token")) \
        == "api_token.create"


def test_expired_revoked_and_disabled_tokens_stop_working(client, app):
    user, token = new_token("admin")
    assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 200
    row = db.session.scalar(sa.select(ApiToken))
    api_tokens.revoke(row, by=user)
    db.session.commit()
    assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 401

    other = create_user("admin")
    issued = api_tokens.issue(other, role="admin", name="old", days=1, by=other,
                              now=utcnow() - timedelta(days=2))
    db.session.commit()
    assert client.get("/api/v1/sites", headers=bearer(issued.secret)).status_code == 401

    third, token3 = new_token("admin")
    assert client.get("/api/v1/sites", headers=bearer(token3)).status_code == 200
    third.active = False
    db.session.commit()
    assert client.get("/api/v1/sites", headers=bearer(token3)).status_code == 401


def test_a_token_only_gets_a_role_its_account_has(app):
    worker = create_user("worker")
    with app.test_request_context(), pytest.raises(FieldError) as info:
        api_tokens.issue(worker, role="admin", name="sneaky", days=5, by=None)
    assert info.value.field == "role"
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_staff_token_sees_only_its_sites_seniors(client, two_sites):
    north, south, here, there = two_sites
    _, token = new_token("staff", sites=[north])
    listing = client.get("/api/v1/seniors", headers=bearer(token)).get_json()
    assert [s["id"] for s in listing["items"]] == [here.id] and listing["total"] == 1
    assert client.get(f"/api/v1/seniors/{here.id}", headers=bearer(token)).status_code == 200
    missing = client.get(f"/api/v1/seniors/{there.id}", headers=bearer(token))
    assert missing.status_code == 404 and missing.is_json


def test_staff_token_scoped_to_one_of_two_sites(client, two_sites):
    north, south, here, there = two_sites
    user = create_user("staff", sites=[north, south])
    token = token_for(user, "staff", sites=[south])
    assert client.get(f"/api/v1/seniors/{here.id}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/seniors/{there.id}", headers=bearer(token)).status_code == 200
    assert [s["id"] for s in client.get("/api/v1/sites", headers=bearer(token)).get_json()["items"]] == [south.id]


def test_reading_a_senior_is_audited(client, two_sites):
    north, _, here, _ = two_sites
    user, token = new_token("staff", sites=[north])
    client.get(f"/api/v1/seniors/{here.id}", headers=bearer(token))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.read"))
    assert (event.user_id, event.senior_id) == (user.id, here.id)


@pytest.mark.parametrize("role", ["worker", "family"])
def test_workers_and_families_may_not_list_seniors(client, two_sites, role):
    _, token = new_token(role)
    response = client.get("/api/v1/seniors", headers=bearer(token))
    assert response.status_code == 403 and response.is_json


def test_create_senior_and_bad_input_names_the_field(client, two_sites):
    north, *_ = two_sites
    user, token = new_token("staff", sites=[north])
    created = client.post("/api/v1/seniors", json={**SENIOR, "home_site_id": north.id}, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["full_name"] == "Zhang Wei" and created.get_json()["version"] == 1

    count = db.session.scalar(sa.select(sa.func.count(Senior.id)))
    bad = client.post("/api/v1/seniors", json={**SENIOR, "date_of_birth": "yesterday"}, headers=bearer(token))
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "date_of_birth" and bad.get_json()["errors"][0]["reason"]
    unknown = client.post("/api/v1/seniors", json={**SENIOR, "is_admin": True}, headers=bearer(token))
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "is_admin"
    service_rule = client.post("/api/v1/seniors", json={**SENIOR, "home_site_id": 999}, headers=bearer(token))
    assert service_rule.status_code == 422 and service_rule.get_json()["errors"][0]["field"] == "home_site_id"
    not_json = client.post("/api/v1/seniors", data="{", headers=bearer(token, **{"Content-Type": "application/json"}))
    assert not_json.status_code in (400, 422) and not_json.is_json
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == count


def test_patch_senior_with_stale_version_is_409(client, two_sites):
    north, _, here, _ = two_sites
    _, token = new_token("staff", sites=[north])
    first = client.patch(f"/api/v1/seniors/{here.id}", json={"version": 1, "phone": "13900000000"},
                         headers=bearer(token))
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["phone"] == "13900000000" and first.get_json()["version"] == 2
    stale = client.patch(f"/api/v1/seniors/{here.id}", json={"version": 1, "phone": "13911111111"},
                         headers=bearer(token))
    assert stale.status_code == 409 and stale.is_json
    db.session.expire_all()
    assert db.session.get(Senior, here.id).phone == "13900000000"


def test_idempotency_key_replays_the_first_reply(client, two_sites):
    north, *_ = two_sites
    _, token = new_token("staff", sites=[north])
    headers = bearer(token, **{"Idempotency-Key": "create-zhang-0001"})
    body = {**SENIOR, "home_site_id": north.id}
    first = client.post("/api/v1/seniors", json=body, headers=headers)
    again = client.post("/api/v1/seniors", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.full_name == "Zhang Wei")) == 1
    other = client.post("/api/v1/seniors", json={**body, "full_name": "Someone Else"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_failed_write_releases_its_idempotency_key(client, two_sites):
    north, *_ = two_sites
    _, token = new_token("staff", sites=[north])
    headers = bearer(token, **{"Idempotency-Key": "retry-me-0001"})
    assert client.post("/api/v1/seniors", json={**SENIOR, "home_site_id": 999}, headers=headers).status_code == 422
    # The refused attempt left no claim on the key: the corrected request goes through with it.
    assert client.post("/api/v1/seniors", json={**SENIOR, "home_site_id": north.id},
                       headers=headers).status_code == 201
    assert db.session.scalar(sa.select(sa.func.count(ApiIdempotency.id))) == 1


def test_an_abandoned_idempotency_claim_is_taken_over_by_the_retry(client, two_sites):
    """A request that died holding its key (worker killed, database lost) must not block the retry forever."""
    north, *_ = two_sites
    _, token = new_token("staff", sites=[north])
    token_id = db.session.scalar(sa.select(ApiToken.id))
    body = json.dumps({**SENIOR, "home_site_id": north.id}).encode()
    digest = hashlib.sha256(b"POST /api/v1/seniors\n" + body).hexdigest()
    for key, age in (("live-claim-0001", timedelta(seconds=30)), ("dead-claim-0001", timedelta(minutes=10))):
        db.session.add(ApiIdempotency(token_id=token_id, key=key, request_hash=digest, status_code=0, body={},
                                      created_dt=utcnow() - age))
    db.session.commit()

    def send(key):
        return client.post("/api/v1/seniors", data=body, content_type="application/json",
                           headers=bearer(token, **{"Idempotency-Key": key}))

    live = send("live-claim-0001")  # its request may still be running: wait
    assert live.status_code == 409 and live.headers["Retry-After"] == "1"
    assert db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.full_name == "Zhang Wei")) == 0
    dead = send("dead-claim-0001")
    assert dead.status_code == 201
    again = send("dead-claim-0001")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == dead.get_json()
    assert db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.full_name == "Zhang Wei")) == 1


def test_a_write_whose_reply_was_lost_is_not_run_again(client, two_sites, monkeypatch):
    """The request died after its write committed, before its reply was stored: the retry must not write twice."""
    from dispatch.api import core

    north, *_ = two_sites
    _, token = new_token("staff", sites=[north])
    headers = bearer(token, **{"Idempotency-Key": "lost-reply-0001"})
    body = {**SENIOR, "home_site_id": north.id}
    monkeypatch.setattr(core, "_store_reply", lambda *args: None)  # the worker is killed here
    assert client.post("/api/v1/seniors", json=body, headers=headers).status_code == 201
    monkeypatch.undo()

    soon = client.post("/api/v1/seniors", json=body, headers=headers)  # the first may still be answering
    assert soon.status_code == 409 and soon.headers["Retry-After"] == "1"
    db.session.execute(sa.update(ApiIdempotency).values(created_dt=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    late = client.post("/api/v1/seniors", json=body, headers=headers)
    assert late.status_code == 409 and "carried out" in late.get_json()["message"]
    assert "Retry-After" not in late.headers
    assert db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.full_name == "Zhang Wei")) == 1
    # The 409 says where the write's result is (issue 23, item 8): reading it shows what was stored.
    senior_id = db.session.scalar(sa.select(Senior.id).where(Senior.full_name == "Zhang Wei"))
    assert late.headers["Location"] == f"/api/v1/seniors/{senior_id}"
    assert late.headers["Location"] in late.get_json()["message"]
    assert client.get(late.headers["Location"], headers=bearer(token)).get_json()["full_name"] == "Zhang Wei"


def test_an_update_whose_reply_was_lost_points_at_the_record(client, two_sites, monkeypatch):
    from dispatch.api import core

    north, _, here, _ = two_sites
    _, token = new_token("staff", sites=[north])
    headers = bearer(token, **{"Idempotency-Key": "lost-reply-0002"})
    current = client.get(f"/api/v1/seniors/{here.id}", headers=bearer(token)).get_json()
    change = {"version": current["version"], "phone": "13800000000"}
    monkeypatch.setattr(core, "_store_reply", lambda *args: None)  # the worker is killed here
    assert client.patch(f"/api/v1/seniors/{here.id}", json=change, headers=headers).status_code == 200
    monkeypatch.undo()
    db.session.execute(sa.update(ApiIdempotency).values(created_dt=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    late = client.patch(f"/api/v1/seniors/{here.id}", json=change, headers=headers)
    assert late.status_code == 409 and late.headers["Location"] == f"/api/v1/seniors/{here.id}"


def test_service_request_create_review_and_conflict(client, two_sites):
    north, _, here, _ = two_sites
    _, token = new_token("staff", sites=[north])
    day = (testclock.today() + timedelta(days=3)).isoformat()
    created = client.post("/api/v1/service-requests", headers=bearer(token), json={
        "senior_id": here.id, "service_type": "bathing", "requested_date": day,
        "window_start": "14:00:00", "window_end": "16:00:00", "duration_minutes": 45})
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert created.get_json()["status"] == "requested"
    approved = client.patch(f"/api/v1/service-requests/{request_id}", headers=bearer(token),
                            json={"version": 1, "action": "approve"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    stale = client.patch(f"/api/v1/service-requests/{request_id}", headers=bearer(token),
                         json={"version": 1, "action": "decline", "reason": "no staff"})
    assert stale.status_code == 409 and stale.is_json
    short = client.post("/api/v1/service-requests", headers=bearer(token), json={
        "senior_id": here.id, "service_type": "bathing", "requested_date": day,
        "window_start": "14:00:00", "window_end": "14:10:00", "duration_minutes": 45})
    assert short.status_code == 422 and short.get_json()["errors"][0]["field"] == "window_end"
    assert db.session.scalar(sa.select(sa.func.count(ServiceRequest.id))) == 1


def test_worker_polls_their_day_and_posts_an_outcome_once(client, crew):
    token = token_for(crew["user"], "worker")
    day = client.get("/api/v1/me/day", headers=bearer(token))
    assert day.status_code == 200
    assert [s["id"] for s in day.get_json()["routes"][0]["stops"]] == crew["stops"]
    stop_id = crew["stops"][0]
    headers = bearer(token, **{"Idempotency-Key": "tap-" + uuid.uuid4().hex})
    first = client.post(f"/api/v1/stops/{stop_id}/outcomes", json={"outcome": "delivered"}, headers=headers)
    again = client.post(f"/api/v1/stops/{stop_id}/outcomes", json={"outcome": "delivered"}, headers=headers)
    assert first.status_code == again.status_code == 200, first.get_json()
    assert first.get_json()["stop_outcome"] == "delivered" and again.get_json()["replay"] is True
    assert db.session.scalar(sa.select(sa.func.count(StopEvent.id))) == 1
    bad = client.post(f"/api/v1/stops/{stop_id}/outcomes", json={"outcome": "exploded", "client_id": "abcdefgh1"},
                      headers=bearer(token))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "outcome"


def test_worker_cannot_post_on_another_workers_stop(client, crew):
    other = create_user("worker")
    create_worker(site=crew["site"], user=other)
    token = token_for(other, "worker")
    response = client.post(f"/api/v1/stops/{crew['stops'][0]}/outcomes",
                           json={"outcome": "delivered", "client_id": uuid.uuid4().hex}, headers=bearer(token))
    assert response.status_code == 404 and response.is_json


def test_plan_lock_through_the_api_checks_the_version(client, crew):
    route = crew["route"]
    plan = route.plan
    plan.status = PlanStatus.DRAFT
    db.session.commit()
    _, token = new_token("staff", sites=[crew["site"]])
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=bearer(token)).get_json()
    version, stop_id = detail["version"], detail["routes"][0]["stops"][0]["id"]
    ok = client.post(f"/api/v1/plans/{plan.id}/stops/{stop_id}/lock", json={"version": version, "locked": True},
                     headers=bearer(token))
    assert ok.status_code == 200 and ok.get_json()["version"] == version + 1
    stale = client.post(f"/api/v1/plans/{plan.id}/stops/{stop_id}/lock", json={"version": version, "locked": False},
                        headers=bearer(token))
    assert stale.status_code == 409 and stale.is_json
    other_staff = new_token("staff", sites=[create_site()])[1]
    assert client.get(f"/api/v1/plans/{plan.id}", headers=bearer(other_staff)).status_code == 404


def test_api_is_csrf_exempt_only_because_it_ignores_cookies(app_config):
    from dispatch import create_app
    from tests.factories import FreshContextClient

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    app.test_client_class = FreshContextClient
    with app.app_context():
        site = create_site()
        user = create_user("staff", sites=[site], two_factor=False)
        token = token_for(user, "staff")
        client = app.test_client()
        body = {**SENIOR, "home_site_id": site.id}
        assert client.post("/api/v1/seniors", json=body, headers=bearer(token)).status_code == 201
        # Without a token, no cookie or anything else gets in.
        assert client.post("/api/v1/seniors", json=body).status_code == 401
        # The pages still demand their CSRF token.
        assert client.post("/login", data={"email": user.email, "password": "x"}).status_code == 400
        db.session.remove()


@pytest.mark.parametrize("method,path", [("GET", "/api/v1/nope"), ("DELETE", "/api/v1/sites"),
                                         ("GET", "/api/v1/seniors/99999999999")])
def test_api_errors_are_json_never_html(client, method, path):
    _, token = new_token("admin")
    response = client.open(path, method=method, headers=bearer(token))
    assert response.status_code in (404, 405)
    assert response.is_json and "<html" not in response.get_data(as_text=True).lower()
