"""The audit trail: append-only in the database, hash-chained, verifiable; admins' log and report pages."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from dispatch.extensions import db
from dispatch.models import ApiToken, AuditEvent
from dispatch.models.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL, GENESIS
from dispatch.models.types import utcnow
from dispatch.platform import audit
from dispatch.platform.audit_anchor import read_anchors
from dispatch.platform.audit_chain import verify
from tests.factories import create_senior, create_site, create_user, create_worker, login_as
from tests.test_outcomes import build_route


def _events(n: int, user_id: int = 1) -> list[int]:
    ids = []
    for i in range(n):
        event = audit.record("senior.read", user=user_id, entity_type="senior", entity_id=i + 1, senior_id=i + 1,
                             detail={"fields": ["phone"], "n": i})
        ids.append(event.id)
    db.session.commit()
    return ids


def _unguarded(statement: str, **params) -> None:
    """Do what only someone past the database's guard could (a superuser), to show the chain catches it."""
    if db.engine.dialect.name == "postgresql":
        guards = ("ALTER TABLE audit_event DISABLE TRIGGER USER",), ("ALTER TABLE audit_event ENABLE TRIGGER USER",)
    else:
        guards = DROP_APPEND_ONLY_DDL["sqlite"], APPEND_ONLY_DDL["sqlite"]
    for ddl in guards[0]:
        db.session.execute(sa.text(ddl))
    db.session.execute(sa.text(statement), params)
    for ddl in guards[1]:
        db.session.execute(sa.text(ddl))
    db.session.commit()


def test_each_event_links_to_the_one_before(app):
    ids = _events(3)
    rows = [db.session.get(AuditEvent, i) for i in ids]
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert all(r.hash == r.expected_hash(r.prev_hash) for r in rows)
    assert verify().ok and verify().checked == 3


def test_several_events_in_one_flush_chain_in_order(app):
    for i in range(4):
        db.session.add(AuditEvent(action="x.y", entity_type="t", entity_id=i))
    db.session.commit()
    result = verify()
    assert result.ok and result.checked == 4


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET action = 'nothing'", "DELETE FROM audit_event",
                                       "TRUNCATE audit_event"])
def test_the_database_refuses_to_change_or_delete_events(app, statement):
    if statement.startswith("TRUNCATE") and db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE covers it there")
    _events(2)
    with pytest.raises(DatabaseError):
        db.session.execute(sa.text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 2
    assert verify().ok


def test_the_orm_cannot_edit_an_event_either(app):
    event_id = _events(1)[0]
    event = db.session.get(AuditEvent, event_id)
    event.action = "senior.update"
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()


def test_verify_names_an_edited_event(app, runner):
    ids = _events(4)
    _unguarded("UPDATE audit_event SET senior_id = 999 WHERE id = :id", id=ids[2])
    result = verify()
    assert not result.ok and result.first_bad_id == ids[2] and result.checked == 2
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 1 and f"event {ids[2]}" in out.output


def _rewrite_with(digest, ids, edited_id) -> None:
    """Edit one event and recompute every later link with ``digest(prev, canonical)`` - an attacker's rewrite."""
    _unguarded("UPDATE audit_event SET senior_id = 999 WHERE id = :id", id=edited_id)
    db.session.expire_all()
    prev = GENESIS
    for event_id in ids:
        event = db.session.get(AuditEvent, event_id)
        new = digest(prev, event.canonical())
        _unguarded("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE id = :id", p=prev, h=new, id=event_id)
        prev = new


@pytest.mark.parametrize("how", ["sha256, as the chain was", "HMAC with another key"])
def test_an_edit_with_every_later_hash_recomputed_is_caught(app, runner, how):
    """Without the key (which the database never holds) the chain cannot be redone after an edit."""
    ids = _events(4)
    if how.startswith("sha256"):
        def digest(prev, canonical):
            return hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()
    else:
        def digest(prev, canonical):
            return hmac.new(b"a guessed key", (prev + canonical).encode("utf-8"), hashlib.sha256).hexdigest()
    _rewrite_with(digest, ids, ids[1])
    result = verify()
    assert not result.ok and result.first_bad_id == ids[0]
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_the_chain_is_keyed_with_the_configured_key(app):
    ids = _events(2)
    first = db.session.get(AuditEvent, ids[0])
    assert first.hash == hmac.new(app.config["AUDIT_KEY"].encode(), (GENESIS + first.canonical()).encode(),
                                  hashlib.sha256).hexdigest()
    app.config["AUDIT_KEY"] = "another key"
    assert not verify().ok


def test_removing_the_newest_events_is_caught_by_the_anchor(app, runner):
    ids = _events(4)
    out = runner.invoke(args=["audit", "anchor"])
    assert out.exit_code == 0, out.output
    anchors = read_anchors()
    assert [(a.events, a.last_id) for a in anchors] == [(4, ids[-1])]
    assert runner.invoke(args=["audit", "anchor"]).output.startswith("audit head unchanged")
    assert len(read_anchors()) == 1
    _events(1)
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0 and len(read_anchors()) == 2
    assert verify().ok and verify().anchor.events == 5
    _unguarded("DELETE FROM audit_event WHERE id >= :id", id=ids[2])  # the newest three: a valid, shorter chain
    result = verify()
    assert not result.ok and result.first_bad_id == ids[-1] and "removed" in result.reason
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 1 and "BROKEN" in out.output
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 1  # nothing anchored over a broken trail
    assert len(read_anchors()) == 2


def test_a_forged_anchor_line_fails_the_check(app, runner):
    _events(2)
    runner.invoke(args=["audit", "anchor"])
    path = Path(app.config["AUDIT_ANCHOR_PATH"])
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "events": 1}) + "\n")
    result = verify()
    assert not result.ok and "not signed" in result.reason


def test_the_anchor_does_not_bless_an_edit_made_since_the_last_one(app, runner):
    ids = _events(2)
    runner.invoke(args=["audit", "anchor"])
    more = _events(2)
    _unguarded("UPDATE audit_event SET action = 'x' WHERE id = :id", id=more[1])
    out = runner.invoke(args=["audit", "anchor"])
    assert out.exit_code == 1 and f"event {more[1]}" in out.output
    assert [a.last_id for a in read_anchors()] == [ids[-1]]


def test_verify_notices_a_deleted_event(app):
    ids = _events(4)
    _unguarded("DELETE FROM audit_event WHERE id = :id", id=ids[1])
    result = verify()
    assert not result.ok and result.first_bad_id == ids[2]


def test_audit_verify_command_on_an_intact_trail(app, runner):
    _events(3)
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 0 and "intact: 3 events" in out.output


# Admin pages ---------------------------------------------------------------------

@pytest.fixture
def admin_client(app, client):
    login_as(client, create_user("admin"))
    return client


def test_audit_log_page_filters_by_user_senior_and_day(admin_client):
    _events(2, user_id=7)
    audit.record("senior.update", user=8, entity_type="senior", entity_id=5, senior_id=5)
    db.session.commit()
    page = admin_client.get("/admin/audit?user_id=8").get_data(as_text=True)
    assert "senior.update" in page and "senior.read" not in page
    page = admin_client.get("/admin/audit?senior_id=1").get_data(as_text=True)
    assert page.count("<code>senior.read</code>") == 1
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    assert "No entries match." in admin_client.get(f"/admin/audit?day_from={tomorrow}").get_data(as_text=True)
    assert admin_client.get("/admin/audit?user_id=abc").status_code == 422


@pytest.mark.parametrize("role", ["staff", "worker", "family"])
def test_only_admins_see_the_audit_pages(app, client, role):
    login_as(client, create_user(role))
    for path in ("/admin/audit", "/admin/audit/unusual", "/admin/api-tokens"):
        assert client.get(path).status_code == 403


def test_unusual_access_report(app, admin_client):
    app.config["AUDIT_UNUSUAL_READS"] = 3
    nosy, normal = create_user("staff"), create_user("staff")
    for senior_id in range(1, 6):
        audit.record("senior.read", user=nosy, entity_type="senior", entity_id=senior_id, senior_id=senior_id)
    audit.record("senior.read", user=normal, entity_type="senior", entity_id=1, senior_id=1)
    site = create_site()
    mine, theirs = create_user("worker"), create_user("worker")
    create_worker(site=site, user=mine)
    other_worker = create_worker(site=site, user=theirs)
    route = build_route(other_worker, [create_senior(site=site)], site=site)
    stop_id = route.stops[0].id
    audit.record("stop.outcome", user=theirs, entity_type="stop", entity_id=stop_id)  # their own: fine
    audit.record("stop.outcome", user=mine, entity_type="stop", entity_id=stop_id)  # not theirs
    db.session.commit()
    page = admin_client.get("/admin/audit/unusual").get_data(as_text=True)
    assert nosy.email in page and normal.email not in page and ">5<" in page
    assert mine.email in page and theirs.email not in page


def test_admin_issues_a_token_once_and_revokes_it(app, admin_client):
    staff = create_user("staff", sites=[create_site()])
    site_id = next(iter(staff.site_ids))
    response = admin_client.post("/admin/api-tokens", data={
        "name": "call centre", "email": staff.email, "role": "staff", "sites": str(site_id), "days": "30"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    token = db.session.scalar(sa.select(ApiToken))
    secret = body.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(token.prefix) and token.site_ids == [site_id]
    assert secret not in admin_client.get("/admin/api-tokens").get_data(as_text=True)
    assert admin_client.get("/api/v1/sites", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    bad = admin_client.post("/admin/api-tokens", data={
        "name": "x", "email": staff.email, "role": "admin", "sites": "", "days": "30"})
    assert bad.status_code == 422 and db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
    assert admin_client.post(f"/admin/api-tokens/{token.id}/revoke").status_code == 302
    assert admin_client.get("/api/v1/sites", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
