"""Logging out ends the session on the server: a copy of the cookie taken before is refused.

The session cookie is signed, not stored, so without server-side revocation a
copied cookie went on reading and writing after ``POST /logout`` until the idle
limit (issue 23, item 1). Each role is replayed, for a read and for writes.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.meals import MealHold
from dispatch.models.user import RevokedSession, User
from dispatch.platform import clock
from tests.factories import PASSWORD, create_senior, create_site, create_user, create_worker, login_as

NEW_PASSWORD = "a different horse battery staple"


def _setup(role: str):
    """A user of ``role``, the page it reads and a meal-pause it may post (None: the role has none)."""
    site = create_site()
    senior = create_senior(site)
    if role == "staff":
        user = create_user("staff", sites=[site])
        return user, f"/staff/seniors/{senior.id}", f"/staff/seniors/{senior.id}/holds"
    if role == "family":
        user = create_user("family", seniors=[senior])
        return user, f"/family/seniors/{senior.id}", f"/family/seniors/{senior.id}/pause"
    if role == "worker":
        user = create_user("worker")
        create_worker(site, user=user)
        return user, "/worker/api/today", None
    return create_user("admin"), "/admin/users", None


def _hold_form(role: str) -> dict:
    start = clock.local_today() + timedelta(days=2)
    end = start + timedelta(days=3)
    if role == "family":
        return {"start": start.isoformat(), "end": end.isoformat(), "reason": "away"}
    return {"start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "away"}


@pytest.mark.parametrize("role", ["staff", "worker", "family", "admin"])
def test_a_cookie_copied_before_logout_neither_reads_nor_writes_afterwards(app, role):
    user, read_url, hold_url = _setup(role)
    browser = app.test_client()
    login_as(browser, user)
    assert browser.get(read_url).status_code == 200  # the page really is readable while signed in
    copied = browser.get_cookie("session").value

    assert browser.post("/logout").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get(read_url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = thief.post("/change", data={"password": PASSWORD, "new_password": NEW_PASSWORD,
                                           "new_password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).verify_and_update_password(PASSWORD)
    if hold_url:
        response = thief.post(hold_url, data=_hold_form(role))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MealHold)) == 0

    login_as(browser, user)  # the user can still log in again, with a new session
    assert browser.get(read_url).status_code == 200


def test_the_same_writes_go_through_on_a_live_session(app):
    """Control for the test above: the posts it replays do change things when signed in."""
    user, _read_url, hold_url = _setup("staff")
    browser = app.test_client()
    login_as(browser, user)
    assert browser.post(hold_url, data=_hold_form("staff")).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MealHold)) == 1


def test_logout_stores_only_a_hash_and_prunes_rows_past_the_session_limit(app):
    user = create_user("worker")
    browser = app.test_client()
    login_as(browser, user)
    with browser.session_transaction() as session:
        sid = session["dispatch_sid"]
    db.session.add(RevokedSession(sid_hash="0" * 64, user_id=user.id,
                                  expires_dt=clock.now() - timedelta(minutes=1)))
    db.session.commit()
    browser.post("/logout")
    rows = db.session.scalars(sa.select(RevokedSession)).all()
    assert len(rows) == 1 and rows[0].user_id == user.id
    assert sid not in rows[0].sid_hash and len(rows[0].sid_hash) == 64
    assert rows[0].expires_dt > clock.now() + timedelta(hours=app.config["SESSION_MAX_HOURS"] - 1)


def test_logging_out_twice_with_the_same_cookie_is_harmless(app):
    user = create_user("family", seniors=[create_senior()])
    browser = app.test_client()
    login_as(browser, user)
    copied = browser.get_cookie("session").value
    assert browser.post("/logout").status_code == 302
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.post("/logout").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RevokedSession)) == 1
