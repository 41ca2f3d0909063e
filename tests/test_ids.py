"""One id rule (``dispatch.platform.validation``): out-of-range or non-integer ids are a 404 in a URL
and a 422 naming the field in a query string or JSON; never a 500, and nothing changes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models import AuditEvent, EmergencyContact, Senior, ServiceRequest
from dispatch.models.plan import Plan, PlanStatus, Stop
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import MAX_ID, IdConverter, id_or_none, is_id, parse_id
from tests import plan_fixtures as pf
from tests.api_helpers import bearer, token_for
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

BAD_IDS = ["0", "-1", str(2**31), "99999999999"]


@pytest.fixture
def world(app):
    site = create_site(timezone="Asia/Shanghai")
    staff = create_user("staff", sites=[site])
    worker_user = create_user("worker")
    worker = create_worker(site=site, user=worker_user)
    senior = create_senior(site=site)
    plan = pf.plan(site, status=PlanStatus.DRAFT)
    route = pf.route(plan, worker)
    stop = pf.stop(route, 0, senior, order=pf.meal_order(senior, site))
    return {"site": site, "staff": staff, "worker_user": worker_user, "worker": worker, "senior": senior,
            "plan": plan, "route": route, "stop": stop}


def snapshot() -> tuple:
    db.session.expire_all()
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                   for model in (Senior, Plan, Stop, ServiceRequest, AuditEvent))
    plans = tuple(db.session.execute(sa.select(Plan.id, Plan.status, Plan.version)).all())
    stops = tuple(db.session.execute(sa.select(Stop.id, Stop.is_locked, Stop.outcome, Stop.version)).all())
    return counts, plans, stops


# The helpers ----------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, "1", " 42 ", MAX_ID, str(MAX_ID)])
def test_parse_id_takes_ints_and_digit_strings_in_range(value):
    assert parse_id(value, "senior_id") == int(str(value).strip())


@pytest.mark.parametrize("value", [0, -1, 2**31, 2**63, "0", "-1", str(2**31), "99999999999", "1e3", "abc", "",
                                   None, 1.5, 1.0, True, "１２", "12; DROP TABLE senior"])
def test_parse_id_refuses_everything_else_naming_the_field(value):
    with pytest.raises(FieldError) as raised:
        parse_id(value, "senior_id")
    assert raised.value.field == "senior_id"
    assert id_or_none(value) is None and not is_id(value)


def test_every_id_in_a_url_rule_uses_the_id_converter(app):
    """No rule takes an id through ``int`` or ``string``: each ``*_id`` argument goes through ``<id:...>``."""
    unbounded = []
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name.endswith("_id") and not isinstance(converter, IdConverter):
                unbounded.append(f"{rule.rule} ({name}: {type(converter).__name__})")
    assert unbounded == []
    assert sum(isinstance(c, IdConverter) for r in app.url_map.iter_rules() for c in r._converters.values()) >= 60


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_the_id_converter_matches_exactly_1_to_2_31_minus_1(app, method):
    urls = app.url_map.bind("localhost")
    for good in ("1", "9", "10", "999999999", "1000000000", "2147483639", "2147483647"):
        assert urls.match(f"/api/v1/seniors/{good}", method=method)[1] == {"senior_id": int(good)}
    for bad in ("0", "01", "-1", "+1", "2147483648", "2147483650", "2147490000", "2200000000", "9999999999",
                "99999999999", "1.5", "1e3", "１２", "abc"):
        with pytest.raises(NotFound):  # 404, never a 405 for a method another rule of the path allows
            urls.match(f"/api/v1/seniors/{bad}", method=method)


# URLs: 404 ------------------------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_staff_urls_are_404_and_change_nothing(world, client, bad):
    login_as(client, world["staff"])
    plan_id, stop_id = world["plan"].id, world["stop"].id
    before = snapshot()
    gets = [f"/staff/seniors/{bad}", f"/staff/seniors/{bad}/edit", f"/staff/plans/{bad}",
            f"/staff/plans/{bad}/status", f"/staff/plans/{bad}/sheets", f"/staff/routes/{bad}.gpx",
            f"/staff/plans/{bad}/visits.ics", f"/staff/plans/{plan_id}/workers/{bad}/visits.ics",
            f"/staff/sites/{bad}"]
    posts = [f"/staff/plans/{bad}/publish", f"/staff/plans/{bad}/rerun", f"/staff/plans/{bad}/replan",
             f"/staff/plans/{bad}/move", f"/staff/plans/{bad}/stops/{stop_id}/lock",
             f"/staff/plans/{plan_id}/stops/{bad}/lock", f"/staff/requests/{bad}/approve"]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert client.post(path, data={"version": "1"}).status_code == 404, path
    assert snapshot() == before


@pytest.mark.parametrize("bad", BAD_IDS + ["abc"])
def test_out_of_range_stop_ids_on_the_workers_phone_are_404(world, client, bad):
    world["plan"].status = PlanStatus.PUBLISHED
    db.session.commit()
    login_as(client, world["worker_user"])
    before = snapshot()
    assert client.post(f"/worker/api/stops/{bad}/events", json={"client_id": "a" * 16, "outcome": "delivered"}
                       ).status_code == 404
    assert client.post(f"/worker/stops/{bad}/tap", data={"client_id": "b" * 16, "outcome": "delivered"}
                       ).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_api_urls_are_json_404(world, client, bad):
    token = token_for(world["staff"], "staff")
    before = snapshot()
    for method, path, body in [("GET", f"/api/v1/seniors/{bad}", None), ("GET", f"/api/v1/plans/{bad}", None),
                               ("GET", f"/api/v1/routes/{bad}", None),
                               ("PATCH", f"/api/v1/seniors/{bad}", {"version": 1, "full_name": "X"}),
                               ("POST", f"/api/v1/plans/{bad}/publish", {"version": 1}),
                               ("POST", f"/api/v1/plans/{world['plan'].id}/stops/{bad}/lock",
                                {"version": 1, "locked": True})]:
        response = client.open(path, method=method, json=body, headers=bearer(token))
        assert response.status_code == 404, path
        assert response.is_json and response.get_json()["status"] == 404
    assert snapshot() == before


# Query strings and JSON: 422 naming the field -------------------------------------

@pytest.mark.parametrize("bad", BAD_IDS + ["abc", "1.5"])
def test_out_of_range_query_string_ids_are_422_naming_the_field(world, client, bad):
    token = token_for(world["staff"], "staff")
    for path in ("/api/v1/plans", "/api/v1/seniors", "/api/v1/service-requests"):
        response = client.get(f"{path}?site_id={bad}", headers=bearer(token))
        assert response.status_code == 422, path
        assert [e["field"] for e in response.get_json()["errors"]] == ["site_id"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_pre_filled_senior_id_out_of_range_is_ignored(world, client, bad):
    login_as(client, world["staff"])
    assert client.get(f"/staff/enrollments/new?senior_id={bad}").status_code == 200


SENIOR = {"full_name": "Zhang Wei", "date_of_birth": "1941-04-02", "address": "12 Plum Lane",
          "contacts": [{"name": "Zhang Li", "relation": "daughter", "phone": "13800000000"}]}


@pytest.mark.parametrize("bad", [0, -1, 2**31, 99999999999, 1.5, "1", True])
def test_json_ids_must_be_strict_integers_in_range(world, client, bad):
    token = token_for(world["staff"], "staff")
    before = snapshot()
    response = client.post("/api/v1/seniors", json={**SENIOR, "home_site_id": bad}, headers=bearer(token))
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["home_site_id"]
    response = client.post("/api/v1/service-requests", headers=bearer(token), json={
        "senior_id": bad, "service_type": "bathing", "requested_date": "2030-01-07",
        "window_start": "09:00", "window_end": "11:00", "duration_minutes": 45})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["senior_id"]
    assert snapshot() == before


@pytest.mark.parametrize("version", [1.5, "1", 1.0, True, None])
def test_api_version_must_be_a_strict_integer(world, client, version):
    token = token_for(world["staff"], "staff")
    senior = world["senior"]
    before = snapshot()
    for method, path, body in [
        ("PATCH", f"/api/v1/seniors/{senior.id}", {"version": version, "full_name": "Renamed"}),
        ("POST", f"/api/v1/plans/{world['plan'].id}/publish", {"version": version}),
        ("POST", f"/api/v1/plans/{world['plan'].id}/stops/{world['stop'].id}/lock",
         {"version": version, "locked": True}),
    ]:
        response = client.open(path, method=method, json=body, headers=bearer(token))
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        assert [e["field"] for e in response.get_json()["errors"]] == ["version"], path
    assert snapshot() == before


def test_a_whole_number_version_is_still_accepted(world, client):
    token = token_for(world["staff"], "staff")
    senior = create_senior(site=world["site"],
                           contacts=[EmergencyContact(name="Li", relation="son", phone="13700000000", priority=1)])
    response = client.patch(f"/api/v1/seniors/{senior.id}", json={"version": senior.version, "full_name": "Renamed"},
                            headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["full_name"] == "Renamed"


def test_openapi_documents_path_ids_as_bounded_int32(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = doc["paths"]["/api/v1/plans/{plan_id}"]["parameters"]
    assert params[0]["schema"] == {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID}
