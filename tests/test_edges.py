"""No 500 at the edges: calendar-edge dates, huge ids and NUL bytes in every argument a page reads.

The crawl logs in as each demo role, walks every GET route of ``app.url_map``
that role may open (pages and the API), records which query arguments each page
reads, and replays it with hostile values in each of them: days and months at
the calendar's ends, ids past 2**31, a NUL byte. Nothing may answer 5xx. The
other tests check that far days are refused and not stored, and the JSON rules
(depth limit, NUL in strings, strict integers) on every JSON endpoint.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from dispatch.demo.day import prepare_demo_day
from dispatch.demo.seed import DEMO_EMAILS, DEMO_PASSWORD
from dispatch.extensions import db
from dispatch.models import (
    MealOrder,
    MealSite,
    Plan,
    Route,
    Senior,
    ServiceRequest,
    Stop,
    StopEvent,
    User,
    Worker,
)
from dispatch.models.volunteer_shift import OpenShift
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.platform.input_guard import MAX_JSON_DEPTH, json_depth
from dispatch.platform.validation import day_range, parse_day, parse_month
from tests.api_helpers import bearer, token_for

DAY = date(2030, 3, 7)  # a Thursday; the clock below is that morning in Shanghai
NOW = datetime(2030, 3, 7, 2, 0, tzinfo=timezone.utc)
HOSTILE = ("9999-12-31", "0001-01-01", "9999-12", "0001-01", "2147483648", "99999999999999999999", "-1",
           "a\x00b", "2030-02-30")
HUGE_IDS = ("2147483647", "2147483648", "99999999999")
# Pages that end the session or belong to a login under way: not crawled (tests/test_auth.py covers them).
SKIPPED = ("static", "security.", "worker.join", "family.join")
_read: set[str] = set()


class _RecordingArgs(ImmutableMultiDict):
    """Query arguments that remember which names the page asked for."""

    def get(self, key, *args, **kwargs):
        _read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        _read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key):
        _read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _read.add(key)
        return super().__contains__(key)


class _RecordingRequest(Request):
    parameter_storage_class = _RecordingArgs


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "REQUIRE_2FA_FOR_STAFF": False}


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["seed", "--seniors", "40", "--sites", "3", "--today", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    prepare_demo_day(DAY)
    db.session.commit()  # the demo day's services flush; this fixture is the edge of its unit
    return app


def _login(app, role: str):
    client = app.test_client()
    response = client.post("/login", data={"email": DEMO_EMAILS[role], "password": DEMO_PASSWORD})
    assert response.status_code == 302, role
    return client


def _ids() -> dict[str, int]:
    """A real record for each path argument, so the crawl reaches the page behind the id."""
    first = lambda model: db.session.scalar(sa.select(sa.func.min(model.id))) or 1  # noqa: E731
    return {"senior_id": first(Senior), "plan_id": first(Plan), "route_id": first(Route), "stop_id": first(Stop),
            "site_id": first(MealSite), "worker_id": first(Worker), "user_id": first(User),
            "request_id": first(ServiceRequest), "shift_id": first(OpenShift)}


def _path(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        value = values.get(arg, "1")
        for form in (f"<id:{arg}>", f"<int:{arg}>", f"<{arg}>"):
            path = path.replace(form, value)
    return path


def _fill(rule) -> dict[str, str]:
    return {"kind": "seniors", "fmt": "csv", "token": "0" * 32, "filename": "x", "code": "en"}


def test_every_get_route_survives_calendar_edges_huge_ids_and_nul_bytes(demo):
    app = demo
    ids = _ids()
    app.request_class = _RecordingRequest
    problems, crawled = [], 0
    for role in ("admin", "staff", "worker", "family"):
        client = _login(app, role)
        user = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS[role]))
        headers = bearer(token_for(user, role))
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint.startswith(SKIPPED):
                continue
            api = rule.rule.startswith("/api/")
            good = {**_fill(rule), **{k: str(v) for k, v in ids.items()}}
            _read.clear()
            response = client.get(_path(rule, good), headers=headers if api else {})
            crawled += 1
            if response.status_code >= 500:
                problems.append(f"{role} {_path(rule, good)}: {response.status_code}")
            for arg in set(rule.arguments) & set(ids):
                for huge in HUGE_IDS:
                    path = _path(rule, {**good, arg: huge})
                    response = client.get(path, headers=headers if api else {})
                    if response.status_code >= 500:
                        problems.append(f"{role} {path}: {response.status_code}")
            for key in sorted(_read):
                for value in HOSTILE:
                    response = client.get(_path(rule, good), query_string={key: value},
                                          headers=headers if api else {})
                    crawled += 1
                    if response.status_code >= 500:
                        problems.append(f"{role} {rule.rule}?{key}={value!r}: {response.status_code}")
        # Still signed in: the crawl did not pass by a page that ends the session.
        home = {"admin": "/admin/users", "staff": "/staff/today", "worker": "/worker/today", "family": "/family/"}
        assert client.get(home[role]).status_code == 200, role
    assert crawled > 300
    assert not problems, "\n".join(problems)


def test_far_query_dates_are_named_and_refused(demo):
    client = _login(demo, "staff")
    for path, arg, value in (("/staff/board", "date", "9999-12-31"), ("/staff/dashboard", "end", "0001-01-01"),
                             ("/staff/statements", "month", "9999-12"), ("/staff/volunteer-hours", "month", "9999-12"),
                             ("/staff/today", "date", "9999-12-31")):
        response = client.get(path, query_string={arg: value})
        assert response.status_code == 400, (path, response.status_code)
        first, last = day_range(NOW.date())
        assert first.isoformat()[:7] in response.get_data(as_text=True), path


# Far days are refused, not stored ------------------------------------------------------------

def test_far_days_are_refused_and_nothing_is_stored(demo):
    app = demo
    staff = _login(app, "staff")
    site_id = db.session.scalar(sa.select(MealOrder.site_id).limit(1))
    orders = db.session.scalar(sa.select(sa.func.count(MealOrder.id)))
    response = staff.post("/staff/today/orders", data={"site": site_id, "date": "9999-12-31"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(MealOrder.id))) == orders
    assert not db.session.scalar(sa.select(sa.func.count(MealOrder.id)).where(MealOrder.service_date > date(9000, 1, 1)))

    shifts = db.session.scalar(sa.select(sa.func.count(OpenShift.id)))
    response = staff.post(f"/staff/sites/{site_id}/shifts", data={
        "service_date": "9999-12-31", "start_time": "10:00", "end_time": "14:00", "role": "server", "needed": "3"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(OpenShift.id))) == shifts

    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["admin"]))
    senior_id = db.session.scalar(sa.select(Senior.id).where(Senior.home_site_id == site_id).limit(1))
    requests = db.session.scalar(sa.select(sa.func.count(ServiceRequest.id)))
    response = app.test_client().post("/api/v1/service-requests", headers=bearer(token_for(admin, "admin")), json={
        "senior_id": senior_id, "service_type": "bathing", "requested_date": "9999-12-31",
        "window_start": "09:00", "window_end": "11:00", "duration_minutes": 45})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "requested_date"
    assert db.session.scalar(sa.select(sa.func.count(ServiceRequest.id))) == requests


def test_a_tap_from_no_real_clock_is_refused_and_one_from_a_wrong_clock_is_timed_by_its_receipt(demo):
    app = demo
    worker = _login(app, "worker")
    login = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["worker"]))
    stop = db.session.scalar(sa.select(Stop).join(Route).join(Worker, Route.worker_id == Worker.id)
                             .where(Worker.user_id == login.id).limit(1))
    assert stop is not None
    arrival = stop.arrival_dt
    for recorded in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:00+00:00", "0001-01-01T00:00:00+05:00",
                     "9999-12-31T23:59:00-05:00"):
        response = worker.post(f"/worker/api/stops/{stop.id}/events", json={
            "client_id": f"tap-{recorded[:4]}-{recorded[-5:-3]}01", "kind": "outcome", "outcome": "delivered",
            "recorded_dt": recorded})
        assert response.status_code == 422, recorded
        assert response.get_json()["field"] == "recorded_dt"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(StopEvent.id)).where(StopEvent.stop_id == stop.id)) == 0
    assert db.session.get(Stop, stop.id).arrival_dt == arrival
    # A phone three days behind is a wrong clock, not a lost tap: kept as a claim, flagged, timed by receipt.
    three_days_ago = (NOW - timedelta(days=3)).isoformat()
    response = worker.post(f"/worker/api/stops/{stop.id}/events", json={
        "client_id": "tap-behind-0001", "kind": "outcome", "outcome": "delivered", "recorded_dt": three_days_ago})
    assert response.status_code == 200 and response.get_json()["clock_flagged"] is True
    db.session.expire_all()
    event = db.session.scalar(sa.select(StopEvent).where(StopEvent.stop_id == stop.id))
    assert event.claimed_dt == NOW - timedelta(days=3) and event.recorded_dt == event.received_dt == NOW


# JSON: depth, NUL bytes, strict integers ----------------------------------------------------

def _json_endpoints(app):
    """Every route that takes a JSON body: the API's writes and the phone's tap endpoint."""
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if methods and (rule.rule.startswith("/api/") or rule.endpoint == "worker.api_record"):
            yield rule, sorted(methods)[0]


def test_json_nested_too_deep_is_a_400_json_answer_on_every_json_endpoint(demo):
    app = demo
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["admin"]))
    headers = bearer(token_for(admin, "admin"))
    worker = _login(app, "worker")
    deep = "[" * 1000 + "]" * 1000
    checked = []
    for rule, method in _json_endpoints(app):
        path = _path(rule, {k: str(v) for k, v in _ids().items()})
        client = worker if rule.endpoint.startswith("worker.") else app.test_client()
        response = client.open(path, method=method, data=deep, content_type="application/json",
                               headers={} if rule.endpoint.startswith("worker.") else headers)
        assert response.status_code == 400, (path, response.status_code)
        assert response.mimetype == "application/json", path
        checked.append(rule.endpoint)
    assert "worker.api_record" in checked and len(checked) >= 5


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(("[" * 1000).encode(), MAX_JSON_DEPTH) == MAX_JSON_DEPTH + 1


def test_a_nul_byte_is_refused_in_searches_forms_and_json(demo):
    app = demo
    staff = _login(app, "staff")
    site_id = db.session.scalar(sa.select(MealOrder.site_id).limit(1))
    response = staff.get("/staff/counter", query_string={"site": site_id, "meal": "lunch", "q": "王\x00"})
    assert response.status_code == 400 and "q" in response.get_data(as_text=True)
    seniors = db.session.scalar(sa.select(sa.func.count(Senior.id)))
    response = staff.post("/staff/seniors/new", data={"full_name": "Li\x00", "date_of_birth": "1940-01-01"})
    assert response.status_code == 422 and "full_name" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == seniors

    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["admin"]))
    response = app.test_client().post("/api/v1/seniors", headers=bearer(token_for(admin, "admin")), data=json.dumps(
        {"full_name": "Li\u0000", "date_of_birth": "1940-01-01", "address": "1 Road"}), content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "full_name"


def test_api_integers_are_strict(demo):
    app = demo
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["admin"]))
    client, headers = app.test_client(), bearer(token_for(admin, "admin"))
    senior = db.session.scalar(sa.select(Senior).limit(1))
    for body, field in (({"version": "1", "full_name": "X"}, "version"),
                        ({"version": True, "full_name": "X"}, "version"),
                        ({"version": senior.version, "home_site_id": 1.5}, "home_site_id")):
        response = client.patch(f"/api/v1/seniors/{senior.id}", headers=headers, json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.get_json()["errors"]] == [field], body
    db.session.expire_all()
    assert db.session.get(Senior, senior.id).full_name != "X"


# The rule itself --------------------------------------------------------------------------

def test_one_day_rule_and_one_month_rule(app):
    first, last = day_range()
    assert parse_day(last.isoformat(), "day") == last and parse_day(first.isoformat(), "day") == first
    assert parse_day("", "day", default=first) == first
    for bad in ((last + timedelta(days=1)).isoformat(), "9999-12-31", "0001-01-01", "2030-02-30", "2030-3-7",
                "20300307", "a\x00b"):
        with pytest.raises(FieldError) as refused:
            parse_day(bad, "day")
        assert refused.value.field == "day", bad
    assert parse_month(f"{last:%Y-%m}", "month", default=first) == last.replace(day=1)
    for bad in ("9999-12", "0001-01", "2030-13", "2030-00", "0000-00", "x"):
        with pytest.raises(FieldError):
            parse_month(bad, "month", default=first)
