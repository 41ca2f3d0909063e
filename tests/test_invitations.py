"""Family invitations: single use, expiring, revocable, stored as a hash; existing accounts link."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import FamilyLink, Invitation, User
from dispatch.models.types import utcnow
from dispatch.services.family import invitations
from tests.factories import create_senior, create_site, create_user, login_as

NEW = {"display_name": "Li", "password": "a long family password 1", "password_confirm": "a long family password 1"}


def _users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_token_is_stored_only_as_a_hash_and_works_once(app, client):
    site = create_site()
    senior = create_senior(site)
    staff = create_user("staff", sites=[site])
    inv, token = invitations.invite(senior, "li@example.org", "son", by=staff)
    db.session.commit()  # the service flushes; this test is the edge of its unit
    assert token not in inv.token_hash and inv.token_hash == invitations.hash_token(token)
    assert client.post(f"/family/join/{token}", data=NEW).status_code == 302
    client.post("/logout")
    again = app.test_client()
    response = again.post(f"/family/join/{token}", data=NEW)
    assert response.status_code == 410 and "already been used" in response.text


def test_expired_revoked_and_unknown_links_are_refused_and_create_nothing(app, client):
    site = create_site()
    senior = create_senior(site)
    staff = create_user("staff", sites=[site])
    before = _users()
    old, old_token = invitations.invite(senior, "a@example.org", "niece", by=staff, now=utcnow() - timedelta(days=8))
    db.session.commit()
    assert client.post(f"/family/join/{old_token}", data=NEW).status_code == 410
    inv, token = invitations.invite(senior, "b@example.org", "niece", by=staff)
    invitations.revoke(inv, by=staff)
    db.session.commit()
    response = client.post(f"/family/join/{token}", data=NEW)
    assert response.status_code == 410 and "withdrawn" in response.text
    assert client.get("/family/join/not-a-real-token").status_code == 404
    assert _users() == before and db.session.scalar(sa.select(sa.func.count()).select_from(FamilyLink)) == 0


def test_existing_family_account_signs_in_then_links_another_senior(app, client):
    site = create_site()
    first, second = create_senior(site), create_senior(site)
    staff = create_user("staff", sites=[site])
    member = create_user("family", email="kin@example.org", seniors=[first])
    _inv, token = invitations.invite(second, "KIN@example.org", "grandson", by=staff)
    db.session.commit()
    response = client.get(f"/family/join/{token}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(client, member)
    assert client.get(f"/family/seniors/{second.id}").status_code == 404
    assert client.post(f"/family/join/{token}").status_code == 302
    assert client.get(f"/family/seniors/{second.id}").status_code == 200


def test_staff_invite_page_shows_link_once_and_revokes(app, client):
    site = create_site()
    senior = create_senior(site)
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    response = client.post(f"/staff/seniors/{senior.id}/invitations", data={"email": "x@example.org", "relation": "son"})
    assert response.status_code == 200 and "/family/join/" in response.text
    inv = db.session.scalars(sa.select(Invitation)).one()
    assert "/family/join/" not in client.get(f"/staff/seniors/{senior.id}/invitations").text
    assert client.post(f"/staff/invitations/{inv.id}/revoke").status_code == 302
    db.session.refresh(inv)
    assert inv.revoked_dt is not None
    other_site_staff = create_user("staff", sites=[create_site()])
    outsider = app.test_client()
    login_as(outsider, other_site_staff)
    assert outsider.get(f"/staff/seniors/{senior.id}/invitations").status_code == 404
