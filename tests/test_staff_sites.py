"""Staff pages for meal sites: who may see and change which site, and that bad input changes nothing."""
from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import AuditEvent, MealSite, MealType, MealWindow
from tests.factories import create_senior, create_site, create_user, create_worker, login_as


@pytest.fixture
def world(app):
    """Two sites with a staff member each, an admin, a family member and a worker."""
    site_a = create_site(name="Alpha canteen", name_zh="甲食堂", neighbourhood="Riverside")
    site_b = create_site(name="Beta kitchen", address="9 Hill Road")
    db.session.add(MealWindow(site_id=site_a.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    db.session.commit()
    create_senior(site=site_a)
    create_worker(site=site_a)
    return {
        "a": site_a, "b": site_b,
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


def site_form(**overrides) -> dict:
    data = {
        "name": "Gamma canteen", "name_zh": "丙食堂", "kind": "canteen", "address": "3 Gamma Street",
        "address_zh": "", "district": "Xuhui", "neighbourhood": "Gamma", "lat": "31.2", "lon": "121.4",
        "phone": "021 5555 0101", "daily_capacity": "150", "hold_limit_minutes": "40", "circle_minutes": "15",
        "circle_mode": "walk", "timezone": "Asia/Shanghai", "is_active": "y",
        "breakfast-start": "", "breakfast-end": "",
        "lunch-start": "11:00", "lunch-end": "12:30",
        "dinner-start": "17:00", "dinner-end": "18:30",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot() -> list:
    """Everything a site form could change, to compare before and after a refused post."""
    sites = db.session.execute(sa.select(MealSite.__table__).order_by(MealSite.id)).all()
    windows = db.session.execute(sa.select(MealWindow.__table__).order_by(MealWindow.id)).all()
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    db.session.rollback()
    return [sites, windows, audits]


# Pages render, lists are scoped ------------------------------------------------------------

def test_admin_sees_every_site(app, world):
    response = client_for(app, world, "admin").get("/staff/sites")
    assert response.status_code == 200
    assert "Alpha canteen" in response.text and "Beta kitchen" in response.text


def test_staff_list_only_their_own_sites(app, world):
    response = client_for(app, world, "staff_a").get("/staff/sites")
    assert response.status_code == 200
    assert "Alpha canteen" in response.text and "Beta kitchen" not in response.text
    assert "11:00\u202fAM–12:30\u202fPM" in response.text  # the lunch window
    assert 'data-label="' in response.text  # cards on a phone


@pytest.mark.parametrize("q, shown, hidden", [
    ("alpha", "Alpha canteen", "Beta kitchen"),
    ("甲", "Alpha canteen", "Beta kitchen"),
    ("riverside", "Alpha canteen", "Beta kitchen"),
    ("hill road", "Beta kitchen", "Alpha canteen"),
    ("%", None, "Alpha canteen"),  # a wildcard is searched literally
])
def test_search_matches_names_addresses_and_neighbourhoods(app, world, q, shown, hidden):
    response = client_for(app, world, "admin").get("/staff/sites", query_string={"q": q})
    assert response.status_code == 200
    if shown:
        assert shown in response.text
    assert hidden not in response.text


def test_list_paginates(app, world):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        create_site(name=f"Zeta {n}")
    client = client_for(app, world, "admin")
    first = client.get("/staff/sites")
    assert "Page 1 of 3" in first.text and "Zeta 2" not in first.text
    last = client.get("/staff/sites?page=3")
    assert "Zeta 2" in last.text
    for page in ("0", "-5", "abc", "99999999999999999999999"):
        assert client.get(f"/staff/sites?page={page}").status_code == 200


def test_detail_shows_counts_and_windows(app, world):
    response = client_for(app, world, "staff_a").get(f"/staff/sites/{world['a'].id}")
    assert response.status_code == 200
    assert "Alpha canteen" in response.text and "11:00\u202fAM–12:30\u202fPM" in response.text
    assert f"/staff/sites/{world['a'].id}/edit" in response.text


# Access matrix ---------------------------------------------------------------------------

def paths(world):
    a = world["a"].id
    return {
        "list": ("get", "/staff/sites"),
        "detail": ("get", f"/staff/sites/{a}"),
        "edit": ("get", f"/staff/sites/{a}/edit"),
        "post": ("post", f"/staff/sites/{a}/edit"),
        "new": ("get", "/staff/sites/new"),
        "create": ("post", "/staff/sites/new"),
    }


@pytest.mark.parametrize("who, page, expected", [
    *[("anonymous", page, 302) for page in ("list", "detail", "edit", "post", "new", "create")],
    *[(who, page, 403) for who in ("family", "worker") for page in ("list", "detail", "edit", "post", "new", "create")],
    ("staff_b", "list", 200), ("staff_b", "detail", 404), ("staff_b", "edit", 404), ("staff_b", "post", 404),
    ("staff_a", "new", 403), ("staff_a", "create", 403),
    ("staff_a", "detail", 200), ("staff_a", "edit", 200),
    ("admin", "detail", 200), ("admin", "edit", 200), ("admin", "new", 200),
])
def test_access_matrix(app, world, who, page, expected):
    before = snapshot()
    method, path = paths(world)[page]
    response = getattr(client_for(app, world, who), method)(path, data=site_form(name="Hijacked"))
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    if method == "post":
        assert snapshot() == before


def test_unknown_site_is_404(app, world):
    client = client_for(app, world, "admin")
    assert client.get("/staff/sites/999999/edit").status_code == 404
    assert client.get("/staff/sites/99999999999999999999").status_code == 404


# Happy paths -----------------------------------------------------------------------------

def test_admin_creates_a_site_with_windows(app, world):
    response = client_for(app, world, "admin").post("/staff/sites/new", data=site_form())
    assert response.status_code == 302
    site = db.session.scalar(sa.select(MealSite).where(MealSite.name == "Gamma canteen"))
    assert site.daily_capacity == 150 and site.name_zh == "丙食堂" and site.address_zh is None
    assert {(w.meal, w.start_time, w.end_time) for w in site.windows} == {
        (MealType.LUNCH, time(11), time(12, 30)), (MealType.DINNER, time(17), time(18, 30)),
    }
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "site.create"))
    assert event.entity_id == site.id and event.user_id == world["admin"].id


def test_staff_edits_their_site_and_windows(app, world):
    site_id = world["a"].id
    client = client_for(app, world, "staff_a")
    response = client.post(f"/staff/sites/{site_id}/edit", data=site_form(
        name="Alpha canteen", daily_capacity="300", **{"lunch-start": "11:30", "lunch-end": "13:00",
                                                        "dinner-start": "", "dinner-end": "",
                                                        "breakfast-start": "07:00", "breakfast-end": "08:30"}))
    assert response.status_code == 302
    db.session.expire_all()
    site = db.session.get(MealSite, site_id)
    assert site.daily_capacity == 300 and site.is_active
    assert {(w.meal, w.start_time) for w in site.windows} == {(MealType.BREAKFAST, time(7)), (MealType.LUNCH, time(11, 30))}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "site.update"))
    assert event.entity_id == site_id and "daily_capacity" in event.detail["changed"]


def test_edit_form_shows_stored_values(app, world):
    response = client_for(app, world, "staff_a").get(f"/staff/sites/{world['a'].id}/edit")
    assert 'value="Alpha canteen"' in response.text and 'value="11:00"' in response.text
    assert '<label for="lat">' in response.text


# Hostile input ---------------------------------------------------------------------------

LONG = "x" * 10_000


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "This field is required."),
    ({"name": None}, "This field is required."),
    ({"address": "   "}, "This field is required."),
    ({"name": LONG}, "longer than 120"),
    ({"address": LONG}, "longer than 255"),
    ({"phone": LONG}, "longer than 32"),
    ({"phone": "<script>"}, "Use digits"),
    ({"name": "bad\x00name"}, "not allowed"),
    ({"lat": "abc"}, "Not a valid float value."),
    ({"lat": ""}, "This field is required."),
    ({"lat": "nan"}, "Enter a number."),
    ({"lon": "1e400"}, "Enter a number."),
    ({"lat": "91"}, "between -90"),
    ({"lon": "-181"}, "between -180"),
    ({"daily_capacity": "abc"}, "Not a valid integer value."),
    ({"daily_capacity": "5001"}, "between 0 and 5000"),
    ({"daily_capacity": "-1"}, "between 0 and 5000"),
    ({"daily_capacity": "99999999999999999999999"}, "between 0 and 5000"),
    ({"hold_limit_minutes": "0"}, "between 1 and 240"),
    ({"hold_limit_minutes": "241"}, "between 1 and 240"),
    ({"circle_minutes": "61"}, "between 1 and 60"),
    ({"circle_minutes": "1.5"}, "Not a valid integer value."),
    ({"kind": "palace"}, "Not a valid choice"),
    ({"circle_mode": "rocket"}, "Not a valid choice"),
    ({"timezone": "Mars/Olympus"}, "Unknown timezone"),
    ({"timezone": LONG}, "longer than 64"),
    ({"lunch-start": "13:00", "lunch-end": "12:00"}, "The end must be after the start."),
    ({"lunch-start": "12:00", "lunch-end": "12:00"}, "The end must be after the start."),
    ({"lunch-start": "11:00", "lunch-end": ""}, "Give both times, or neither."),
    ({"lunch-start": "noon", "lunch-end": "13:00"}, "Not a valid time value."),
    ({"dinner-start": "12:00", "dinner-end": "18:00"}, "Overlaps the Lunch window."),
    ({"breakfast-start": "07:00", "breakfast-end": "11:30"}, "Overlaps the Breakfast window."),
])
def test_bad_input_is_explained_and_changes_nothing(app, world, overrides, message):
    client = client_for(app, world, "admin")
    before = snapshot()
    for path in ("/staff/sites/new", f"/staff/sites/{world['a'].id}/edit"):
        response = client.post(path, data=site_form(**overrides))
        assert response.status_code == 422, path
        assert message in response.text
        if not any("\x00" in str(v) for v in overrides.values()):  # a NUL is refused by the input gate, on a page naming the field
            assert "Please correct the marked fields." in response.text
        assert snapshot() == before


def test_a_taken_name_is_refused(app, world):
    client = client_for(app, world, "admin")
    before = snapshot()
    response = client.post("/staff/sites/new", data=site_form(name="beta KITCHEN"))
    assert response.status_code == 422 and "Another site already has this name." in response.text
    response = client.post(f"/staff/sites/{world['a'].id}/edit", data=site_form(name="Beta kitchen"))
    assert response.status_code == 422 and "Another site already has this name." in response.text
    assert snapshot() == before


def test_script_in_a_name_is_shown_escaped(app, world):
    client = client_for(app, world, "admin")
    response = client.post("/staff/sites/new", data=site_form(name="<script>alert(1)</script>"))
    assert response.status_code == 302
    for path in ("/staff/sites", response.headers["Location"], response.headers["Location"] + "/edit"):
        page = client.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text


def test_garbage_form_data_never_500s(app, world):
    client = client_for(app, world, "admin")
    before = snapshot()
    for data in ({}, {"csrf_token": "x"}, {"name": ["a", "b"]}, {"lat": "0x1p3", "lunch-start": "25:99"},
                 {"breakfast": "07:00", "unknown": "1"}):
        response = client.post(f"/staff/sites/{world['a'].id}/edit", data=data)
        assert response.status_code < 500
        response = client.post("/staff/sites/new", data=data)
        assert response.status_code < 500
    assert snapshot() == before


def test_missing_csrf_token_is_refused(app, world):
    client = client_for(app, world, "admin")
    app.config["WTF_CSRF_ENABLED"] = True
    before = snapshot()
    response = client.post(f"/staff/sites/{world['a'].id}/edit", data=site_form(name="Changed"))
    assert response.status_code == 400
    assert client.post("/staff/sites/new", data=site_form()).status_code == 400
    assert snapshot() == before
    form_page = client.get(f"/staff/sites/{world['a'].id}/edit")
    assert 'name="csrf_token"' in form_page.text
