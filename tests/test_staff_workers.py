"""Staff pages for workers: scoped lists, the access matrix, and bad input that changes nothing."""
from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import AuditEvent, Skill, TravelMode, Worker, WorkerKind, WorkerShift, WorkerSkill
from tests.factories import create_site, create_user, create_worker, login_as


@pytest.fixture
def world(app):
    """Sites A and B with a worker and a staff member each, plus an admin, a family member and a worker login."""
    site_a, site_b = create_site(name="Alpha canteen"), create_site(name="Beta kitchen")
    worker_a = create_worker(site=site_a, full_name="Li Wei", phone="138-0000-1234", kind=WorkerKind.DRIVER)
    db.session.add_all([
        WorkerSkill(worker_id=worker_a.id, skill=Skill.MEAL_DELIVERY),
        WorkerShift(worker_id=worker_a.id, site_id=site_a.id, weekday=0, start_time=time(9), end_time=time(14)),
    ])
    db.session.commit()
    worker_b = create_worker(site=site_b, full_name="Zhang Min", kind=WorkerKind.CAREGIVER, travel_mode=TravelMode.WALK)
    db.session.add(WorkerSkill(worker_id=worker_b.id, skill=Skill.BATHING))
    db.session.commit()
    return {
        "a": site_a, "b": site_b, "worker_a": worker_a, "worker_b": worker_b,
        "admin": create_user("admin"),
        "staff_a": create_user("staff", sites=[site_a]),
        "staff_b": create_user("staff", sites=[site_b]),
        "family": create_user("family"),
        "worker": create_user("worker"),
    }


def client_for(app, world, who):
    client = app.test_client()
    if who != "anonymous":
        login_as(client, world[who])
    return client


def worker_form(site_id: int, **overrides) -> dict:
    data = {
        "full_name": "Wang Fang", "full_name_zh": "王芳", "phone": "139 1111 2222", "kind": "caregiver",
        "travel_mode": "e_bike", "capacity_meals": "12", "home_site_id": str(site_id), "max_minutes_per_day": "480",
        "skills": ["bathing", "companionship"], "is_active": "y",
        "shifts-0-weekday": "0", "shifts-0-site_id": str(site_id), "shifts-0-start": "08:00", "shifts-0-end": "12:00",
        "shifts-0-break_minutes": "15",
        "shifts-1-weekday": "0", "shifts-1-site_id": str(site_id), "shifts-1-start": "13:00", "shifts-1-end": "17:00",
        "shifts-1-break_minutes": "0",
        "shifts-2-weekday": "", "shifts-2-site_id": str(site_id), "shifts-2-start": "", "shifts-2-end": "",
        "shifts-2-break_minutes": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot() -> list:
    rows = [db.session.execute(sa.select(model.__table__).order_by(model.id)).all()
            for model in (Worker, WorkerSkill, WorkerShift)]
    rows.append(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))
    db.session.rollback()
    return rows


# Pages render, lists are scoped ------------------------------------------------------------

def test_admin_sees_every_worker(app, world):
    response = client_for(app, world, "admin").get("/staff/workers")
    assert response.status_code == 200
    assert "Li Wei" in response.text and "Zhang Min" in response.text


def test_the_list_opens_without_filter_errors(app, world):
    """Opened bare (no query string) or with empty filters, the list shows no 'Not a valid choice.'."""
    client = client_for(app, world, "admin")
    for args in ({}, {"kind": "", "skill": "", "mode": "", "site": "", "active": ""}):
        response = client.get("/staff/workers", query_string=args)
        assert response.status_code == 200
        assert "Not a valid choice" not in response.text and 'class="error' not in response.text
    bad = client.get("/staff/workers", query_string={"kind": "astronaut"})
    assert "Li Wei" in bad.text  # a bad filter is dropped, the list still shows


def test_staff_see_only_their_sites_workers(app, world):
    response = client_for(app, world, "staff_a").get("/staff/workers")
    assert response.status_code == 200
    assert "Li Wei" in response.text and "Zhang Min" not in response.text
    assert "Meal delivery" in response.text and "9:00\u202fAM–2:00\u202fPM" in response.text
    assert "Beta kitchen" not in response.text  # not even as a filter choice


@pytest.mark.parametrize("args, shown, hidden", [
    ({"q": "li w"}, "Li Wei", "Zhang Min"),
    ({"q": "1234"}, "Li Wei", "Zhang Min"),  # phone tail, typed without dashes
    ({"kind": "caregiver"}, "Zhang Min", "Li Wei"),
    ({"skill": "bathing"}, "Zhang Min", "Li Wei"),
    ({"mode": "walk"}, "Zhang Min", "Li Wei"),
    ({"active": "no"}, None, "Li Wei"),
    ({"kind": "astronaut", "skill": "<script>", "site": "abc", "active": "maybe"}, "Li Wei", None),  # ignored
])
def test_search_and_filters(app, world, args, shown, hidden):
    response = client_for(app, world, "admin").get("/staff/workers", query_string=args)
    assert response.status_code == 200
    if shown:
        assert shown in response.text
    if hidden:
        assert hidden not in response.text


def test_site_filter_and_pagination(app, world):
    app.config["PAGE_SIZE"] = 1
    client = client_for(app, world, "admin")
    response = client.get("/staff/workers", query_string={"site": world["b"].id})
    assert "Zhang Min" in response.text and "Li Wei" not in response.text
    first = client.get("/staff/workers", query_string={"kind": ""})
    assert "Page 1 of 2" in first.text
    assert "Zhang Min" in client.get("/staff/workers?page=2").text
    assert client.get("/staff/workers?page=99999999999999999999").status_code == 200


def test_detail_shows_weekly_shifts(app, world):
    response = client_for(app, world, "staff_a").get(f"/staff/workers/{world['worker_a'].id}")
    assert response.status_code == 200
    assert "Monday" in response.text and "9:00\u202fAM–2:00\u202fPM" in response.text and "Alpha canteen" in response.text


# Access matrix ---------------------------------------------------------------------------

def paths(world):
    w = world["worker_a"].id
    return {
        "list": ("get", "/staff/workers"),
        "detail": ("get", f"/staff/workers/{w}"),
        "edit": ("get", f"/staff/workers/{w}/edit"),
        "post": ("post", f"/staff/workers/{w}/edit"),
        "new": ("get", "/staff/workers/new"),
        "create": ("post", "/staff/workers/new"),
    }


@pytest.mark.parametrize("who, page, expected", [
    *[("anonymous", page, 302) for page in ("list", "detail", "edit", "post", "new", "create")],
    *[(who, page, 403) for who in ("family", "worker") for page in ("list", "detail", "edit", "post", "new", "create")],
    ("staff_b", "detail", 404), ("staff_b", "edit", 404), ("staff_b", "post", 404),
    ("staff_b", "create", 422),  # site A is not among staff B's choices
    ("staff_a", "detail", 200), ("staff_a", "edit", 200), ("staff_a", "new", 200),
    ("admin", "detail", 200), ("admin", "edit", 200),
])
def test_access_matrix(app, world, who, page, expected):
    before = snapshot()
    method, path = paths(world)[page]
    response = getattr(client_for(app, world, who), method)(path, data=worker_form(world["a"].id, full_name="Hijack"))
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    if method == "post":
        assert snapshot() == before


def test_unknown_worker_is_404(app, world):
    client = client_for(app, world, "admin")
    assert client.get("/staff/workers/999999").status_code == 404
    assert client.post("/staff/workers/99999999999999999999/edit", data={}).status_code == 404


# Happy paths -----------------------------------------------------------------------------

def test_staff_add_a_worker_with_skills_and_shifts(app, world):
    response = client_for(app, world, "staff_a").post("/staff/workers/new", data=worker_form(world["a"].id))
    assert response.status_code == 302
    worker = db.session.scalar(sa.select(Worker).where(Worker.full_name == "Wang Fang"))
    assert worker.home_site_id == world["a"].id and worker.capacity_meals == 12 and worker.full_name_zh == "王芳"
    assert worker.skill_values == {Skill.BATHING, Skill.COMPANIONSHIP}
    assert [(s.weekday, s.start_time, s.end_time, s.break_minutes) for s in worker.shifts] == [
        (0, time(8), time(12), 15), (0, time(13), time(17), 0),
    ]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "worker.create")).entity_id == worker.id


def test_staff_edit_their_worker(app, world):
    worker_id, site_id = world["worker_a"].id, world["a"].id
    client = client_for(app, world, "staff_a")
    page = client.get(f"/staff/workers/{worker_id}/edit")
    assert 'value="Li Wei"' in page.text and 'value="09:00"' in page.text and 'name="shifts-3-weekday"' in page.text
    response = client.post(f"/staff/workers/{worker_id}/edit", data=worker_form(
        site_id, full_name="Li Wei", kind="driver", skills=["meal_delivery"], is_active=None,
        **{"shifts-1-weekday": "2"}))
    assert response.status_code == 302
    db.session.expire_all()
    worker = db.session.get(Worker, worker_id)
    assert worker.kind == WorkerKind.DRIVER and not worker.is_active and worker.skill_values == {Skill.MEAL_DELIVERY}
    assert [(s.weekday, s.start_time) for s in worker.shifts] == [(0, time(8)), (2, time(13))]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "worker.update"))
    assert {"is_active", "shifts"} <= set(event.detail["changed"]) and "full_name" not in event.detail["changed"]


# Hostile input ---------------------------------------------------------------------------

LONG = "x" * 10_000


@pytest.mark.parametrize("overrides, message", [
    ({"full_name": ""}, "This field is required."),
    ({"full_name": None}, "This field is required."),
    ({"full_name": LONG}, "longer than 120"),
    ({"phone": LONG}, "longer than 32"),
    ({"phone": "call me"}, "Use digits"),
    ({"kind": "pilot"}, "Not a valid choice"),
    ({"travel_mode": "teleport"}, "Not a valid choice"),
    ({"capacity_meals": "abc"}, "Not a valid integer value."),
    ({"capacity_meals": "201"}, "between 0 and 200"),
    ({"capacity_meals": "-1"}, "between 0 and 200"),
    ({"max_minutes_per_day": "29"}, "between 30 and 720"),
    ({"max_minutes_per_day": "721"}, "between 30 and 720"),
    ({"max_minutes_per_day": "99999999999999999999999"}, "between 30 and 720"),
    ({"skills": ["bathing", "flying"]}, "not a valid choice"),
    ({"home_site_id": "999999"}, "Not a valid choice"),
    ({"home_site_id": "abc"}, "Invalid Choice"),
    ({"home_site_id": "B"}, "Not a valid choice"),  # another staff member's site
    ({"shifts-0-site_id": "B"}, "Not a valid choice"),
    ({"shifts-0-end": "07:00"}, "The end must be after the start."),
    ({"shifts-0-end": ""}, "This field is required."),
    ({"shifts-0-start": "soon"}, "Not a valid time value."),
    ({"shifts-0-weekday": "7"}, "Not a valid choice"),
    ({"shifts-1-start": "11:00"}, "Overlaps another shift on the same day."),
    ({"shifts-0-break_minutes": "abc"}, "Not a valid integer value."),
    ({"shifts-0-break_minutes": "240"}, "The break must be shorter than the shift."),
])
def test_bad_input_is_explained_and_changes_nothing(app, world, overrides, message):
    overrides = {k: (str(world["b"].id) if v == "B" else v) for k, v in overrides.items()}
    client = client_for(app, world, "staff_a")
    before = snapshot()
    for path in ("/staff/workers/new", f"/staff/workers/{world['worker_a'].id}/edit"):
        response = client.post(path, data=worker_form(world["a"].id, **overrides))
        assert response.status_code == 422, path
        assert message in response.text
        assert "Please correct the marked fields." in response.text
        assert snapshot() == before


def test_script_in_a_name_is_shown_escaped(app, world):
    client = client_for(app, world, "staff_a")
    response = client.post("/staff/workers/new", data=worker_form(world["a"].id, full_name="<script>alert(1)</script>"))
    assert response.status_code == 302
    for path in ("/staff/workers", response.headers["Location"], response.headers["Location"] + "/edit"):
        page = client.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text


def test_garbage_form_data_never_500s(app, world):
    client = client_for(app, world, "admin")
    before = snapshot()
    for data in ({}, {"shifts-99999999-weekday": "1"}, {"shifts-x-weekday": "1"}, {"skills": ["x"] * 50},
                 {**worker_form(world["a"].id), **{f"shifts-{i}-weekday": "3" for i in range(40)}}):
        for path in ("/staff/workers/new", f"/staff/workers/{world['worker_a'].id}/edit"):
            assert client.post(path, data=data).status_code < 500
    assert snapshot() == before


def test_missing_csrf_token_is_refused(app, world):
    client = client_for(app, world, "admin")
    app.config["WTF_CSRF_ENABLED"] = True
    before = snapshot()
    assert client.post(f"/staff/workers/{world['worker_a'].id}/edit", data=worker_form(world["a"].id)).status_code == 400
    assert client.post("/staff/workers/new", data=worker_form(world["a"].id)).status_code == 400
    assert snapshot() == before


def test_a_nul_byte_in_a_field_is_refused_by_the_input_gate_and_changes_nothing(app, world):
    client = client_for(app, world, "staff_a")
    before = snapshot()
    for path in ("/staff/workers/new", f"/staff/workers/{world['worker_a'].id}/edit"):
        response = client.post(path, data=worker_form(world["a"].id, full_name="a\x00b"))
        assert response.status_code == 422, path
        assert "full_name contains characters that are not allowed" in response.text
        assert snapshot() == before
