"""Staff pages for village points (list, add, edit, deactivate) and a senior's and a volunteer's village point:
each page renders and saves, bad input shows the form error and changes nothing, roles as on the site pages."""
from __future__ import annotations

import sqlalchemy as sa

from dispatch.demo.county import seed_county
from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.senior import Senior
from dispatch.models.village import VillagePoint, VillagePointKind
from dispatch.models.worker import Worker
from tests.factories import create_site, create_user, login_as
from tests.planning_helpers import DAY
from tests.test_staff_seniors import senior_form
from tests.test_staff_workers import worker_form


def _other_point():
    """A village point of another kitchen (one county per test: the seeder names its kitchen)."""
    site = create_site()
    point = VillagePoint(site_id=site.id, name="Far kitchen's shop", kind=VillagePointKind.SHOP, address="x",
                         lat=site.lat, lon=site.lon)
    db.session.add(point)
    db.session.commit()
    return point


def _county(seniors=6, points=2):
    seeded = seed_county(DAY, seniors=seniors, points=points)
    db.session.commit()
    return seeded


def _points(site_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(VillagePoint).where(VillagePoint.site_id == site_id)
                              .order_by(VillagePoint.id)).all()


def _snapshot(site_id):
    rows = [(p.id, p.name, p.name_zh, p.lat, p.lon, p.dine_in, p.seats, p.unload_minutes, p.is_active)
            for p in _points(site_id)]
    return rows, db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def _audited(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def point_form(site, **overrides):
    data = {"name": "Elm Hollow shop", "name_zh": "榆树洼小卖部", "kind": "shop", "address": "1 Elm Hollow",
            "address_zh": "榆树洼1号", "lat": str(site.lat + 0.02), "lon": str(site.lon + 0.02),
            "unload_minutes": "5"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _field_error(html, field_id):
    """The error text shown next to one field (the form macro's ``<id>-error`` block)."""
    start = html.find(f'id="{field_id}-error"')
    assert start >= 0, f"no error next to {field_id}"
    return html[start:html.find("</div>", start)]


# --- the list and the site page's link ------------------------------------------------------------

def test_the_site_page_links_to_its_village_points_and_the_list_shows_them(app, client):
    c = _county(points=2)
    login_as(client, create_user("staff", sites=(c.site,)))
    html = client.get(f"/staff/sites/{c.site.id}").get_data(as_text=True)
    assert "Village points (2)" in html and f"/staff/sites/{c.site.id}/points" in html
    listing = client.get(f"/staff/sites/{c.site.id}/points")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    for point in _points(c.site.id):
        assert point.name in text and point.name_zh in text  # the second form beside the first
    assert "New village point" in text and "Deactivate" in text


def test_the_list_reads_the_chinese_name_first_in_the_chinese_ui(app, client):
    c = _county(points=1)
    point = _points(c.site.id)[0]
    login_as(client, create_user("staff", sites=(c.site,)))
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    html = client.get(f"/staff/sites/{c.site.id}/points").get_data(as_text=True)
    row = html[html.find(f'data-point="{point.id}"'):]
    cell = row[:row.find("</td>")]
    assert point.name_zh in cell and point.name not in cell  # the Chinese name in the Chinese UI


def test_a_staff_member_of_another_site_may_not_see_or_change_the_points(app, client):
    c = _county(points=1)
    point = _points(c.site.id)[0]
    login_as(client, create_user("staff", sites=(create_site(),)))
    before = _snapshot(c.site.id)
    assert client.get(f"/staff/sites/{c.site.id}/points").status_code == 404
    assert client.post(f"/staff/sites/{c.site.id}/points/new", data=point_form(c.site)).status_code == 404
    assert client.post(f"/staff/sites/{c.site.id}/points/{point.id}/edit", data=point_form(c.site)).status_code == 404
    assert client.post(f"/staff/sites/{c.site.id}/points/{point.id}/active", data={"active": "0"}).status_code == 404
    assert _snapshot(c.site.id) == before


def test_a_point_of_another_site_is_not_found_under_this_one(app, client):
    c = _county(points=1)
    theirs = _other_point()
    login_as(client, create_user("admin"))
    assert client.get(f"/staff/sites/{c.site.id}/points/{theirs.id}/edit").status_code == 404


# --- add and edit -----------------------------------------------------------------------------------

def test_adding_a_point_saves_it_and_audits(app, client):
    c = _county(points=1)
    login_as(client, create_user("staff", sites=(c.site,)))
    assert client.get(f"/staff/sites/{c.site.id}/points/new").status_code == 200
    r = client.post(f"/staff/sites/{c.site.id}/points/new",
                    data=point_form(c.site, kind="happiness_home", dine_in="y", seats="12"))
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    added = next(p for p in _points(c.site.id) if p.name == "Elm Hollow shop")
    assert added.name_zh == "榆树洼小卖部" and added.dine_in and added.seats == 12 and added.is_active
    assert any(e.entity_id == added.id for e in _audited("village_point.save"))
    assert "Village points (2)" in client.get(f"/staff/sites/{c.site.id}").get_data(as_text=True)


def test_a_point_no_car_reaches_in_time_is_refused_on_its_location_field(app, client):
    c = _county(points=1)
    login_as(client, create_user("staff", sites=(c.site,)))
    before = _snapshot(c.site.id)
    r = client.post(f"/staff/sites/{c.site.id}/points/new", data=point_form(c.site, lat=str(c.site.lat + 1.0)))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "No kitchen in reach" in _field_error(html, "lat")
    assert 'value="Elm Hollow shop"' in html  # what was typed is shown again
    assert _snapshot(c.site.id) == before


def test_bad_point_input_shows_the_form_error_and_changes_nothing(app, client):
    c = _county(points=1)
    point = _points(c.site.id)[0]
    login_as(client, create_user("staff", sites=(c.site,)))
    before = _snapshot(c.site.id)
    cases = [
        ({"dine_in": "y", "seats": None}, "seats", "needs its seats"),
        ({"seats": "10"}, "seats", "Seats are for a point where seniors dine"),
        ({"name": ""}, "name", "required"),
        ({"unload_minutes": "90"}, "unload_minutes", "between"),
        ({"name": point.name}, "name", "already has a village point of that name"),
    ]
    for overrides, field, words in cases:
        r = client.post(f"/staff/sites/{c.site.id}/points/new", data=point_form(c.site, **overrides))
        assert r.status_code == 422, overrides
        assert words in _field_error(r.get_data(as_text=True), field), (overrides, field)
        assert _snapshot(c.site.id) == before, overrides


def test_editing_a_point_saves_and_a_bad_edit_changes_nothing(app, client):
    c = _county(points=2)
    point, other = _points(c.site.id)
    login_as(client, create_user("staff", sites=(c.site,)))
    page = client.get(f"/staff/sites/{c.site.id}/points/{point.id}/edit")
    assert page.status_code == 200 and f'value="{point.name}"' in page.get_data(as_text=True)
    form = point_form(c.site, name=point.name + " (east)", name_zh=point.name_zh, kind=point.kind.value,
                      address=point.address, lat=str(point.lat), lon=str(point.lon),
                      unload_minutes=str(point.unload_minutes + 1),
                      **({"dine_in": "y", "seats": str(point.seats)} if point.dine_in else {}))
    unload = point.unload_minutes
    r = client.post(f"/staff/sites/{c.site.id}/points/{point.id}/edit", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    db.session.expire_all()
    saved = db.session.get(VillagePoint, point.id)
    assert saved.name.endswith("(east)") and saved.unload_minutes == unload + 1
    before = _snapshot(c.site.id)
    for overrides, field, words in (({"name": other.name}, "name", "already has"),
                                    ({"lat": str(c.site.lat + 1.0)}, "lat", "No kitchen in reach")):
        r = client.post(f"/staff/sites/{c.site.id}/points/{point.id}/edit", data={**form, **overrides})
        assert r.status_code == 422 and words in _field_error(r.get_data(as_text=True), field)
        assert _snapshot(c.site.id) == before


def test_deactivating_a_point_and_bringing_it_back(app, client):
    c = _county(points=2)
    point = _points(c.site.id)[0]
    login_as(client, create_user("staff", sites=(c.site,)))
    r = client.post(f"/staff/sites/{c.site.id}/points/{point.id}/active", data={"active": "0"})
    assert r.status_code == 303 and _points(c.site.id)[0].is_active is False
    assert [e.entity_id for e in _audited("village_point.deactivate")] == [point.id]
    assert "Village points (1)" in client.get(f"/staff/sites/{c.site.id}").get_data(as_text=True)
    html = client.get(f"/staff/sites/{c.site.id}/points").get_data(as_text=True)
    assert "Inactive" in html and "Make active again" in html
    # Twice is once: no second audit row.
    client.post(f"/staff/sites/{c.site.id}/points/{point.id}/active", data={"active": "0"})
    assert len(_audited("village_point.deactivate")) == 1
    r = client.post(f"/staff/sites/{c.site.id}/points/{point.id}/active", data={"active": "1"})
    assert r.status_code == 303 and _points(c.site.id)[0].is_active is True


# --- a senior's and a volunteer's village point ---------------------------------------------------

def _senior_edit_form(senior, **overrides):
    fields = {"full_name": senior.full_name, "full_name_zh": senior.full_name_zh,
              "date_of_birth": senior.date_of_birth.isoformat(), "address": senior.address, "lat": str(senior.lat),
              "lon": str(senior.lon), "version": str(senior.version)}
    return senior_form(senior.home_site_id, **{**fields, **overrides})


def test_a_seniors_edit_form_sets_their_village_point(app, client):
    c = _county(points=2)
    first, second = _points(c.site.id)
    senior = db.session.scalar(sa.select(Senior).where(Senior.village_point_id == first.id))
    login_as(client, create_user("staff", sites=(c.site,)))
    html = client.get(f"/staff/seniors/{senior.id}/edit").get_data(as_text=True)
    assert 'name="village_point_id"' in html and first.name in html and second.name in html
    r = client.post(f"/staff/seniors/{senior.id}/edit", data=_senior_edit_form(senior,
                                                                                 village_point_id=str(second.id)))
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert db.session.get(Senior, senior.id).village_point_id == second.id
    assert [e.entity_id for e in _audited("senior.village_point")] == [senior.id]
    senior = db.session.get(Senior, senior.id)
    r = client.post(f"/staff/seniors/{senior.id}/edit", data=_senior_edit_form(senior, village_point_id=""))
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Senior, senior.id).village_point_id is None


def test_a_senior_cannot_get_an_inactive_point_or_one_of_another_site_and_nothing_changes(app, client):
    c = _county(points=2)
    theirs = _other_point()
    first, second = _points(c.site.id)
    second.is_active = False
    db.session.commit()
    senior = db.session.scalar(sa.select(Senior).where(Senior.village_point_id == first.id))
    login_as(client, create_user("admin"))
    html = client.get(f"/staff/seniors/{senior.id}/edit").get_data(as_text=True)
    assert f'value="{second.id}"' not in html.split('name="village_point_id"')[1].split("</select>")[0]
    for point in (second, theirs):
        r = client.post(f"/staff/seniors/{senior.id}/edit",
                        data=_senior_edit_form(senior, full_name="Renamed", village_point_id=str(point.id)))
        assert r.status_code == 422 and "Not a valid choice" in _field_error(r.get_data(as_text=True),
                                                                             "village_point_id")
        db.session.expire_all()
        stored = db.session.get(Senior, senior.id)
        assert stored.village_point_id == first.id and stored.full_name == senior.full_name
        senior = stored


def test_the_service_refuses_a_point_of_another_site_even_past_the_form(app):
    from dispatch.platform.errors import FieldError
    from dispatch.services.rural.points import set_senior_point, set_worker_point

    c = _county(points=1)
    theirs = _other_point()
    senior = db.session.scalar(sa.select(Senior).where(Senior.home_site_id == c.site.id))
    worker = db.session.scalar(sa.select(Worker).where(Worker.home_site_id == c.site.id))
    for setter, record in ((set_senior_point, senior), (set_worker_point, worker)):
        try:
            setter(record, theirs.id, by=None)
        except FieldError as error:
            assert error.field == "village_point_id" and "home site" in str(error.message)
        else:
            raise AssertionError("a point of another site was accepted")
    db.session.rollback()


def test_a_workers_edit_form_makes_them_a_points_walking_volunteer(app, client):
    c = _county(points=2)
    first, second = _points(c.site.id)
    worker = db.session.scalar(sa.select(Worker).where(Worker.village_point_id == first.id))
    login_as(client, create_user("staff", sites=(c.site,)))
    html = client.get(f"/staff/workers/{worker.id}/edit").get_data(as_text=True)
    assert 'name="village_point_id"' in html and second.name in html
    r = client.post(f"/staff/workers/{worker.id}/edit",
                    data=worker_form(c.site.id, full_name=worker.full_name, travel_mode="walk",
                                     kind=worker.kind.value, village_point_id=str(second.id)))
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert db.session.get(Worker, worker.id).village_point_id == second.id
    assert [e.entity_id for e in _audited("worker.village_point")] == [worker.id]
    # A bad choice: the form says so and nothing of the post is stored.
    r = client.post(f"/staff/workers/{worker.id}/edit",
                    data=worker_form(c.site.id, full_name="Renamed", travel_mode="walk", kind=worker.kind.value,
                                     village_point_id="999999"))
    assert r.status_code == 422 and "Not a valid choice" in _field_error(r.get_data(as_text=True),
                                                                         "village_point_id")
    db.session.expire_all()
    stored = db.session.get(Worker, worker.id)
    assert stored.village_point_id == second.id and stored.full_name == worker.full_name
