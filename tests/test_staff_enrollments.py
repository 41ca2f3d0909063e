"""Staff pages for meal enrollments and holds: access, create, edit, hostile input."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.meals import MealEnrollment, MealHold, MealMode
from dispatch.models.site import MealType
from dispatch.platform import clock
from tests.test_staff_seniors import client_for, ok, world  # noqa: F401  (fixture)


def enrollment_form(w, **overrides) -> dict:
    data = {"senior_id": str(w.senior_a.id), "site_id": str(w.site_a.id), "meal": "lunch",
            "weekdays": ["0", "2", "4"], "mode": "delivery", "start_date": "2026-03-02", "end_date": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def enrollment(w, senior=None, site=None, **fields) -> MealEnrollment:
    e = MealEnrollment(senior_id=(senior or w.senior_a).id, site_id=(site or w.site_a).id, meal=MealType.LUNCH,
                       weekdays=0b11111, mode=MealMode.DELIVERY, start_date=date(2026, 1, 5), **fields)
    db.session.add(e)
    db.session.commit()
    return e


def rows(model=MealEnrollment) -> list[tuple]:
    db.session.expire_all()
    cols = [c for c in model.__table__.columns]
    return [tuple(r) for r in db.session.execute(sa.select(*cols).order_by(model.id))]


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


# Lists ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "staff_a"])
def test_list_shows_only_visible_enrollments(world, who):
    enrollment(world)
    enrollment(world, senior=world.senior_b, site=world.site_b)
    html = ok(client_for(world, who).get("/staff/enrollments"), 200)
    assert "Wang Fang" in html
    assert ("Chen Jun" in html) == (who == "admin")


def test_list_filters(world):
    enrollment(world)
    enrollment(world, senior=world.senior_b, site=world.site_b, is_active=False)
    client = client_for(world, "admin")
    assert "Chen Jun" not in ok(client.get("/staff/enrollments"), 200)  # active only by default
    html = ok(client.get("/staff/enrollments", query_string={"active": "no"}), 200)
    assert "Chen Jun" in html and "Wang Fang" not in html
    assert "Wang Fang" not in ok(client.get("/staff/enrollments", query_string={"mode": "dine_in"}), 200)
    assert "Wang Fang" not in ok(client.get("/staff/enrollments", query_string={"meal": "dinner"}), 200)
    for args in ({"site": "abc"}, {"meal": "<script>"}, {"page": "99999999999999999999"}):
        ok(client.get("/staff/enrollments", query_string=args), 200)


# Access -----------------------------------------------------------------------

def test_access_matrix(world):
    e = enrollment(world)
    a = world.senior_a.id
    paths = [("get", "/staff/enrollments"), ("get", "/staff/enrollments/new"), ("post", "/staff/enrollments/new"),
             ("get", f"/staff/enrollments/{e.id}/edit"), ("post", f"/staff/enrollments/{e.id}/edit"),
             ("post", f"/staff/seniors/{a}/holds")]
    before, holds = rows(), rows(MealHold)
    anonymous = client_for(world, None)
    for method, path in paths:
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for who in ("family_a", "worker"):
        client = client_for(world, who)
        for method, path in paths:
            assert getattr(client, method)(path, data=enrollment_form(world)).status_code in (403, 404), (who, path)
    staff_b = client_for(world, "staff_b")
    for method, path in paths[3:]:
        data = enrollment_form(world, site_id=str(world.site_b.id)) | {"start_date": "2026-04-01",
                                                                      "end_date": "2026-04-02", "reason": "x"}
        assert getattr(staff_b, method)(path, data=data).status_code == 404, path
    assert rows() == before and rows(MealHold) == holds


# Create and edit --------------------------------------------------------------

def test_create_enrollment(world):
    client = client_for(world, "staff_a")
    html = ok(client.get("/staff/enrollments/new", query_string={"senior_id": world.senior_a.id}), 200)
    assert "Wang Fang" in html
    assert "Wang Fang" in ok(client.get("/staff/enrollments/new", query_string={"q": "wang"}), 200)
    assert "Chen Jun" not in ok(client.get("/staff/enrollments/new", query_string={"q": "chen"}), 200)
    response = client.post("/staff/enrollments/new", data=enrollment_form(world))
    assert response.status_code == 302, ok(response)
    (e,) = db.session.scalars(sa.select(MealEnrollment)).all()
    assert e.weekday_list == [0, 2, 4] and e.is_active and e.end_date is None and e.meal == MealType.LUNCH
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "enrollment.create"))
    assert event.entity_id == e.id and event.senior_id == world.senior_a.id


def test_edit_enrollment(world):
    e = enrollment(world)
    client = client_for(world, "staff_a")
    html = ok(client.get(f"/staff/enrollments/{e.id}/edit"), 200)
    assert 'value="2026-01-05"' in html
    data = enrollment_form(world, mode="dine_in", weekdays=["5", "6"], start_date="2026-01-05", end_date="2026-06-30",
                           is_active="y")
    assert client.post(f"/staff/enrollments/{e.id}/edit", data=data).status_code == 302
    db.session.refresh(e)
    assert e.mode == MealMode.DINE_IN and e.weekday_list == [5, 6] and e.end_date == date(2026, 6, 30)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "enrollment.update"))
    assert set(event.detail["fields"]) == {"mode", "weekdays", "end_date"}


HOSTILE = {
    "empty senior": ({"senior_id": ""}, "senior_id"),
    "senior not a number": ({"senior_id": "abc"}, "senior_id"),
    "unknown senior": ({"senior_id": "999999"}, "senior_id"),
    "huge senior id": ({"senior_id": "99999999999999999999"}, "senior_id"),
    "senior of site B": ("senior_b", "senior_id"),
    "site of another staff": ("site_b", "site_id"),
    "unknown site": ({"site_id": "999999"}, "site_id"),
    "site not served meal": ({"meal": "dinner"}, "meal"),
    "bad meal": ({"meal": "<script>alert(1)</script>"}, "meal"),
    "bad mode": ({"mode": "teleport"}, "mode"),
    "no weekdays": ({"weekdays": []}, "weekdays"),
    "weekday out of range": ({"weekdays": ["9"]}, "weekdays"),
    "weekday not a number": ({"weekdays": ["mon"]}, "weekdays"),
    "start not a date": ({"start_date": "abc"}, "start_date"),
    "empty start": ({"start_date": ""}, "start_date"),
    "end before start": ({"end_date": "2026-03-01"}, "end_date"),
    "long garbage date": ({"start_date": "x" * 10_000}, "start_date"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_create_refuses_hostile_input(world, case):
    overrides, field = HOSTILE[case]
    if overrides == "senior_b":
        overrides = {"senior_id": str(world.senior_b.id)}
    elif overrides == "site_b":
        overrides = {"site_id": str(world.site_b.id)}
    before, events = rows(), audit_count()
    html = ok(client_for(world, "staff_a").post("/staff/enrollments/new", data=enrollment_form(world, **overrides)), 422)
    assert f'id="{field}-error"' in html, html[:4000]
    assert "<script>alert(1)</script>" not in html
    assert rows() == before and audit_count() == events


def test_duplicate_overlapping_enrollment_is_refused(world):
    e = enrollment(world, end_date=date(2026, 12, 31))
    client = client_for(world, "staff_a")
    before = rows()
    html = ok(client.post("/staff/enrollments/new", data=enrollment_form(world, start_date="2026-06-01")), 422)
    assert "already has an active enrollment" in html
    assert rows() == before
    # after the first one ends, a new one is fine; and editing the first does not clash with itself
    assert client.post("/staff/enrollments/new", data=enrollment_form(world, start_date="2027-01-01")).status_code == 302
    data = enrollment_form(world, start_date="2026-01-05", end_date="2026-12-31", is_active="y")
    assert client.post(f"/staff/enrollments/{e.id}/edit", data=data).status_code == 302


def test_edit_refuses_hostile_input(world):
    e = enrollment(world)
    client = client_for(world, "staff_a")
    before = rows()
    for overrides in ({"site_id": str(world.site_b.id)}, {"senior_id": str(world.senior_b.id)},
                      {"end_date": "2025-01-01", "start_date": "2026-01-01"}, {"weekdays": []}):
        ok(client.post(f"/staff/enrollments/{e.id}/edit", data=enrollment_form(world, **overrides)), 422)
    assert rows() == before


def test_missing_csrf_token_is_400(world):
    e = enrollment(world)
    client = client_for(world, "staff_a")
    world.app.config["WTF_CSRF_ENABLED"] = True
    before, holds = rows(), rows(MealHold)
    ok(client.post("/staff/enrollments/new", data=enrollment_form(world)), 400)
    ok(client.post(f"/staff/enrollments/{e.id}/edit", data=enrollment_form(world, mode="dine_in")), 400)
    ok(client.post(f"/staff/seniors/{world.senior_a.id}/holds",
                   data={"start_date": "2026-04-01", "end_date": "2026-04-02", "reason": "x"}), 400)
    assert rows() == before and rows(MealHold) == holds


# Holds ------------------------------------------------------------------------

def test_add_and_end_a_hold(world):
    client = client_for(world, "staff_a")
    today = clock.local_today()
    data = {"start_date": (today - timedelta(days=2)).isoformat(), "end_date": (today + timedelta(days=5)).isoformat(),
            "reason": "hospital stay"}
    response = client.post(f"/staff/seniors/{world.senior_a.id}/holds", data=data)
    assert response.status_code == 302, ok(response)
    (hold,) = db.session.scalars(sa.select(MealHold)).all()
    assert hold.reason == "hospital stay" and hold.created_by_id == world.staff_a.id
    assert "hospital stay" in ok(client.get(f"/staff/seniors/{world.senior_a.id}"), 200)
    assert client.post(f"/staff/seniors/{world.senior_a.id}/holds/{hold.id}/end").status_code == 302
    db.session.refresh(hold)
    assert hold.end_date == today
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"hold.create", "hold.end"} <= actions


def test_ending_a_future_hold_removes_it(world):
    today = clock.local_today()
    hold = MealHold(senior_id=world.senior_a.id, start_date=today + timedelta(days=3),
                    end_date=today + timedelta(days=6), reason="visit")
    db.session.add(hold)
    db.session.commit()
    hold_id = hold.id
    assert client_for(world, "staff_a").post(f"/staff/seniors/{world.senior_a.id}/holds/{hold_id}/end").status_code == 302
    assert rows(MealHold) == []


@pytest.mark.parametrize("data,field", [
    ({"start_date": "2026-04-05", "end_date": "2026-04-01", "reason": "x"}, "end_date"),
    ({"start_date": "abc", "end_date": "2026-04-01", "reason": "x"}, "start_date"),
    ({"start_date": "2026-04-01", "end_date": "2026-04-02", "reason": ""}, "reason"),
    ({"start_date": "2026-04-01", "end_date": "2026-04-02", "reason": "x" * 10_000}, "reason"),
    ({}, "start_date"),
])
def test_bad_hold_is_refused(world, data, field):
    before = rows(MealHold)
    html = ok(client_for(world, "staff_a").post(f"/staff/seniors/{world.senior_a.id}/holds", data=data), 422)
    assert f'id="{field}-error"' in html
    assert rows(MealHold) == before


def test_hold_of_another_senior_is_404(world):
    today = clock.local_today()
    hold = MealHold(senior_id=world.senior_b.id, start_date=today, end_date=today + timedelta(days=6), reason="x")
    db.session.add(hold)
    db.session.commit()
    before = rows(MealHold)
    client = client_for(world, "staff_a")
    ok(client.post(f"/staff/seniors/{world.senior_a.id}/holds/{hold.id}/end"), 404)
    ok(client.post(f"/staff/seniors/{world.senior_b.id}/holds/{hold.id}/end"), 404)
    assert rows(MealHold) == before


def test_a_nul_byte_in_a_hold_is_refused_by_the_input_gate(world):
    before = rows(MealHold)
    html = ok(client_for(world, "staff_a").post(f"/staff/seniors/{world.senior_a.id}/holds", data={
        "start_date": "2026-04-01", "end_date": "2026-04-02", "reason": "a\x00b"}), 422)
    assert "reason contains characters that are not allowed" in html
    assert rows(MealHold) == before
