"""Staff pages for seniors: who sees what, search, create, edit, and hostile input.

Every response in this module is checked to be below 500; bad input must give
the field's error and leave the database as it was.
"""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.senior import Diet, EmergencyContact, Senior, SeniorCategoryType
from dispatch.models.site import MealType, MealWindow
from tests import testclock
from tests.factories import FreshContextClient, create_senior, create_site, create_user, create_worker, login_as

SCRIPT = "<script>alert(1)</script>"


class World:
    """Sites A and B (both serve lunch), a senior at each, one user per role."""


@pytest.fixture
def world(app):
    app.test_client_class = FreshContextClient
    w = World()
    w.site_a, w.site_b = create_site(name="North canteen"), create_site(name="South canteen")
    for site in (w.site_a, w.site_b):
        db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    w.senior_a = create_senior(site=w.site_a, full_name="Wang Fang", full_name_zh="王芳", phone="138 0013 8000",
                               address="12 Plum Lane", neighbourhood="Jade Garden", lives_alone=True,
                               diet=Diet.DIABETIC)
    db.session.add(EmergencyContact(senior_id=w.senior_a.id, name="Wang Li", relation="daughter", phone="139 0000 1111"))
    w.senior_b = create_senior(site=w.site_b, full_name="Chen Jun", full_name_zh="陈军", phone="137 5555 4321",
                               address="8 Pine Road")
    db.session.commit()
    w.admin = create_user("admin")
    w.staff_a = create_user("staff", sites=[w.site_a])
    w.staff_b = create_user("staff", sites=[w.site_b])
    w.family_a = create_user("family", seniors=[w.senior_a])
    w.family_b = create_user("family", seniors=[w.senior_b])
    w.worker = create_user("worker")
    create_worker(site=w.site_a, user=w.worker)
    w.app = app
    return w


def client_for(world, user):
    client = world.app.test_client()
    if user is not None:
        login_as(client, getattr(world, user) if isinstance(user, str) else user)
    return client


def ok(response, *statuses):
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if statuses:
        assert response.status_code in statuses, response.status_code
    return response.get_data(as_text=True)


def senior_form(site_id, **overrides) -> dict:
    data = {
        "full_name": "Li Hua", "full_name_zh": "李华", "gender": "female", "date_of_birth": "1941-03-05",
        "phone": "+86 138-0000-1234", "address": "3 Willow Street", "address_zh": "柳树街3号",
        "neighbourhood": "Riverside", "lat": "31.2301", "lon": "121.4702", "lives_alone": "y",
        "mobility": "walker", "diet": "soft", "allergies": "peanuts", "access_notes": "Gate code 1234",
        "categories": ["low_income", "aged_80_plus"], "home_site_id": str(site_id),
        "contacts-0-name": "Li Ming", "contacts-0-relation": "son", "contacts-0-phone": "139 1234 5678",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot(senior_id: int) -> dict:
    db.session.expire_all()
    s = db.session.get(Senior, senior_id)
    return {c.name: getattr(s, c.name) for c in Senior.__table__.columns} | {
        "contacts": [(c.name, c.relation, c.phone) for c in s.contacts],
        "categories": sorted(c.category for c in s.categories),
    }


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Senior, EmergencyContact, AuditEvent))


# Lists and search -------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "staff_a"])
def test_list_renders_for_admin_and_staff(world, who):
    html = ok(client_for(world, who).get("/staff/seniors"), 200)
    assert "Wang Fang" in html and "王芳" in html
    assert "Lives alone" in html  # a text tag, not a colour
    assert ("Chen Jun" in html) == (who == "admin")


@pytest.mark.parametrize("q", ["wang", "王芳", "8000", "plum", "Jade"])
def test_search_finds_by_name_phone_tail_and_address(world, q):
    html = ok(client_for(world, "staff_a").get("/staff/seniors", query_string={"q": q}), 200)
    assert "Wang Fang" in html


@pytest.mark.parametrize("q", ["chen", "陈军", "4321", "Pine"])
def test_staff_of_a_does_not_find_b_seniors(world, q):
    html = ok(client_for(world, "staff_a").get("/staff/seniors", query_string={"q": q}), 200)
    assert "Chen Jun" not in html and "No seniors match" in html
    html = ok(client_for(world, "admin").get("/staff/seniors", query_string={"q": q}), 200)
    assert "Chen Jun" in html


def test_filters_and_hostile_query_strings(world):
    admin = client_for(world, "admin")
    html = ok(admin.get("/staff/seniors", query_string={"lives_alone": "yes"}), 200)
    assert "Wang Fang" in html and "Chen Jun" not in html
    html = ok(admin.get("/staff/seniors", query_string={"diet": "regular"}), 200)
    assert "Chen Jun" in html and "Wang Fang" not in html
    html = ok(admin.get("/staff/seniors", query_string={"site": world.site_b.id}), 200)
    assert "Chen Jun" in html and "Wang Fang" not in html
    # a site staff of A cannot see is not a valid choice: the filter is dropped, B stays hidden
    html = ok(client_for(world, "staff_a").get("/staff/seniors", query_string={"site": world.site_b.id}), 200)
    assert "Chen Jun" not in html
    for args in ({"q": "x" * 10_000}, {"q": "%"}, {"q": "_"}, {"site": "abc"},
                 {"diet": "<script>"}, {"page": "-5"}, {"page": "99999999999999999999"}, {"page": "abc"}):
        ok(admin.get("/staff/seniors", query_string=args), 200)
    # A NUL in a query argument never reaches the database: the input gate answers 400 naming it.
    assert "q contains characters that are not allowed" in ok(
        admin.get("/staff/seniors", query_string={"q": "a\x00b"}), 400)


def test_pagination(world):
    world.app.config["PAGE_SIZE"] = 2
    for n in range(3):
        create_senior(site=world.site_a, full_name=f"Zhou {n}")
    client = client_for(world, "staff_a")
    first = ok(client.get("/staff/seniors"), 200)
    assert "Page 1 of 2" in first and "Next" in first
    second = ok(client.get("/staff/seniors", query_string={"page": 2}), 200)
    assert "Page 2 of 2" in second
    assert ok(client.get("/staff/seniors", query_string={"page": 50}), 200)


# Access matrix ----------------------------------------------------------------

def _paths(w):
    a = w.senior_a.id
    return [("get", "/staff/seniors"), ("get", f"/staff/seniors/{a}"), ("get", "/staff/seniors/new"),
            ("get", f"/staff/seniors/{a}/edit"), ("post", f"/staff/seniors/{a}/edit"),
            ("get", f"/staff/seniors/{a}/deactivate"), ("post", f"/staff/seniors/{a}/deactivate")]


def test_anonymous_is_sent_to_login(world):
    client = client_for(world, None)
    for method, path in _paths(world):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("who", ["family_a", "family_b", "worker"])
def test_family_and_workers_cannot_use_staff_pages(world, who):
    client = client_for(world, who)
    before = snapshot(world.senior_a.id)
    for method, path in _paths(world):
        assert getattr(client, method)(path, data=senior_form(world.site_a.id)).status_code in (403, 404), path
    assert snapshot(world.senior_a.id) == before


def test_staff_of_b_gets_404_for_a_senior(world):
    client = client_for(world, "staff_b")
    before = snapshot(world.senior_a.id)
    for method, path in _paths(world)[1:]:
        if path.endswith("/new"):
            continue
        response = getattr(client, method)(path, data=senior_form(world.site_b.id, version="1"))
        assert response.status_code == 404, path
    ok(client.get("/staff/seniors/99999999999"), 404)
    assert snapshot(world.senior_a.id) == before


# Detail -----------------------------------------------------------------------

def test_detail_shows_facts_and_records_a_read(world):
    html = ok(client_for(world, "staff_a").get(f"/staff/seniors/{world.senior_a.id}"), 200)
    assert "Wang Li" in html and "daughter" in html and "12 Plum Lane" in html
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.read"))
    assert event.senior_id == world.senior_a.id and event.user_id == world.staff_a.id


# Create -----------------------------------------------------------------------

def test_create_senior_saves_everything_and_audits_field_names(world):
    client = client_for(world, "staff_a")
    response = client.post("/staff/seniors/new", data=senior_form(world.site_a.id))
    assert response.status_code == 302, ok(response)
    senior = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Li Hua"))
    assert senior.home_site_id == world.site_a.id and senior.home_site_overridden
    assert senior.lives_alone and senior.diet == Diet.SOFT and senior.lat == pytest.approx(31.2301)
    assert senior.category_values == {SeniorCategoryType.LOW_INCOME, SeniorCategoryType.AGED_80_PLUS}
    assert [(c.name, c.relation, c.priority) for c in senior.contacts] == [("Li Ming", "son", 1)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.create"))
    assert event.entity_id == senior.id and event.user_id == world.staff_a.id
    assert "full_name" in event.detail["fields"] and "Li Hua" not in str(event.detail)


def test_script_in_a_name_is_stored_as_text_and_rendered_escaped(world):
    client = client_for(world, "staff_a")
    response = client.post("/staff/seniors/new", data=senior_form(world.site_a.id, full_name=SCRIPT))
    assert response.status_code == 302
    senior = db.session.scalar(sa.select(Senior).where(Senior.full_name == SCRIPT))
    for path in (f"/staff/seniors/{senior.id}", "/staff/seniors", f"/staff/seniors/{senior.id}/edit"):
        html = ok(client.get(path), 200)
        assert SCRIPT not in html and "&lt;script&gt;" in html


def _future(days=30):
    return (testclock.today() + timedelta(days=days)).isoformat()


HOSTILE = {
    "empty name": ({"full_name": ""}, "full_name"),
    "empty address": ({"address": "  "}, "address"),
    "empty date of birth": ({"date_of_birth": ""}, "date_of_birth"),
    "long name": ({"full_name": "x" * 10_000}, "full_name"),
    "long notes": ({"access_notes": "x" * 10_000}, "access_notes"),
    "long zh address": ({"address_zh": "路" * 10_000}, "address_zh"),
    "date not a date": ({"date_of_birth": "abc"}, "date_of_birth"),
    "future birth": ({"date_of_birth": _future()}, "date_of_birth"),
    "too young": ({"date_of_birth": "2000-01-01"}, "date_of_birth"),
    "too old": ({"date_of_birth": "1800-01-01"}, "date_of_birth"),
    "lat not a number": ({"lat": "abc"}, "lat"),
    "lat out of range": ({"lat": "91"}, "lat"),
    "lat nan": ({"lat": "nan"}, "lat"),
    "lon inf": ({"lon": "inf"}, "lon"),
    "lat without lon": ({"lon": ""}, "lon"),
    "bad phone": ({"phone": "call me"}, "phone"),
    "bad diet": ({"diet": "<script>"}, "diet"),
    "bad category": ({"categories": ["royalty"]}, "categories"),
    "no contact": ({"contacts-0-name": "", "contacts-0-relation": "", "contacts-0-phone": ""}, "contacts-0-name"),
    "contact without phone": ({"contacts-0-phone": ""}, "contacts-0-phone"),
    "nul byte": ({"full_name": "Li\x00Hua"}, "full_name"),
    "unknown site": ({"home_site_id": "999999"}, "home_site_id"),
    "huge site id": ({"home_site_id": "99999999999999999999"}, "home_site_id"),
    "site not a number": ({"home_site_id": "abc"}, "home_site_id"),
}


def _field_error(html: str, field: str) -> bool:
    return f'id="{field}-error"' in html


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_create_refuses_hostile_input_and_saves_nothing(world, case):
    overrides, field = HOSTILE[case]
    client = client_for(world, "staff_a")
    before = counts()
    html = ok(client.post("/staff/seniors/new", data=senior_form(world.site_a.id, **overrides)), 422)
    if case == "nul byte":  # refused at the door by the input gate, on a page naming the field
        assert f"{field} contains characters that are not allowed" in html
    else:
        assert _field_error(html, field), html[:3000]
        assert "Please correct the marked fields" in html
    assert counts() == before


def test_staff_cannot_create_at_another_staffs_site(world):
    before = counts()
    html = ok(client_for(world, "staff_a").post("/staff/seniors/new", data=senior_form(world.site_b.id)), 422)
    assert _field_error(html, "home_site_id")
    assert counts() == before


# Edit -------------------------------------------------------------------------

def _edit_form(world, **overrides):
    s = world.senior_a
    db.session.refresh(s)
    return senior_form(world.site_a.id, **{"full_name": s.full_name, "version": str(s.version), **overrides})


def test_edit_changes_the_senior_and_audits_the_changed_fields(world):
    client = client_for(world, "staff_a")
    version = world.senior_a.version
    response = client.post(f"/staff/seniors/{world.senior_a.id}/edit", data=_edit_form(world, full_name="Wang Fang2"))
    assert response.status_code == 302, ok(response)
    after = snapshot(world.senior_a.id)
    assert after["full_name"] == "Wang Fang2" and after["diet"] == Diet.SOFT and after["version"] == version + 1
    assert after["contacts"] == [("Li Ming", "son", "139 1234 5678")]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.update"))
    assert {"full_name", "diet", "contacts"} <= set(event.detail["fields"])
    assert "Wang" not in str(event.detail)


def test_edit_form_shows_current_values(world):
    html = ok(client_for(world, "staff_a").get(f"/staff/seniors/{world.senior_a.id}/edit"), 200)
    assert 'value="Wang Fang"' in html and 'value="Wang Li"' in html and 'name="version"' in html


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_edit_refuses_hostile_input_and_changes_nothing(world, case):
    overrides, field = HOSTILE[case]
    client = client_for(world, "staff_a")
    data = _edit_form(world, **overrides)
    before, before_counts = snapshot(world.senior_a.id), counts()
    html = ok(client.post(f"/staff/seniors/{world.senior_a.id}/edit", data=data), 422)
    if case == "nul byte":  # refused at the door by the input gate, on a page naming the field
        assert f"{field} contains characters that are not allowed" in html
    else:
        assert _field_error(html, field)
    assert snapshot(world.senior_a.id) == before and counts() == before_counts


def test_staff_cannot_move_a_senior_to_a_site_they_do_not_manage(world):
    before = snapshot(world.senior_a.id)
    data = _edit_form(world, home_site_id=str(world.site_b.id))
    html = ok(client_for(world, "staff_a").post(f"/staff/seniors/{world.senior_a.id}/edit", data=data), 422)
    assert _field_error(html, "home_site_id")
    assert snapshot(world.senior_a.id) == before


def test_admin_may_move_a_senior_between_sites(world):
    data = _edit_form(world, home_site_id=str(world.site_b.id))
    assert client_for(world, "admin").post(f"/staff/seniors/{world.senior_a.id}/edit", data=data).status_code == 302
    assert snapshot(world.senior_a.id)["home_site_id"] == world.site_b.id


@pytest.mark.parametrize("version", ["0", "abc", ""])
def test_version_conflict_is_409_and_changes_nothing(world, version):
    client = client_for(world, "staff_a")
    data = _edit_form(world, full_name="Someone else")
    data["version"] = version
    before = snapshot(world.senior_a.id)
    html = ok(client.post(f"/staff/seniors/{world.senior_a.id}/edit", data=data), 409)
    assert "changed by someone else" in html and "reload" in html
    assert snapshot(world.senior_a.id) == before


def test_second_of_two_concurrent_edits_gets_409(world):
    first, second = client_for(world, "staff_a"), client_for(world, "admin")
    stale = _edit_form(world, full_name="From admin")
    assert first.post(f"/staff/seniors/{world.senior_a.id}/edit", data=_edit_form(world, full_name="From A")).status_code == 302
    ok(second.post(f"/staff/seniors/{world.senior_a.id}/edit", data=stale), 409)
    assert snapshot(world.senior_a.id)["full_name"] == "From A"


@pytest.mark.parametrize("path", ["new", "edit", "deactivate"])
def test_missing_csrf_token_is_400_and_changes_nothing(world, path):
    client = client_for(world, "staff_a")
    world.app.config["WTF_CSRF_ENABLED"] = True
    url = "/staff/seniors/new" if path == "new" else f"/staff/seniors/{world.senior_a.id}/{path}"
    before, before_counts = snapshot(world.senior_a.id), counts()
    ok(client.post(url, data=_edit_form(world, full_name="No token")), 400)
    assert snapshot(world.senior_a.id) == before and counts() == before_counts


# Deactivate -------------------------------------------------------------------

def test_deactivate_asks_then_retires_the_senior(world):
    client = client_for(world, "staff_a")
    html = ok(client.get(f"/staff/seniors/{world.senior_a.id}/deactivate"), 200)
    assert "Yes, deactivate" in html
    assert client.post(f"/staff/seniors/{world.senior_a.id}/deactivate").status_code == 302
    assert snapshot(world.senior_a.id)["is_active"] is False
    link = f'href="/staff/seniors/{world.senior_a.id}"'
    assert link not in ok(client.get("/staff/seniors"), 200)
    assert link in ok(client.get("/staff/seniors", query_string={"status": "inactive"}), 200)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.deactivate")) is not None
