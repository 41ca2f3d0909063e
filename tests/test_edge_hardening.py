"""Issue 23, item 8: no cache keeps personal JSON, disabling revokes API tokens for good,
and over-long request lines and headers get the app's own 414 / 431."""
from __future__ import annotations

import runpy
from pathlib import Path

from dispatch.extensions import db
from dispatch.platform.hardening import MAX_HEADER_FIELD, MAX_REQUEST_LINE
from dispatch.services.people import accounts
from tests import plan_fixtures as pf
from tests.api_helpers import bearer, new_token
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

ROOT = Path(__file__).resolve().parents[1]


def test_the_phone_json_and_the_plan_status_are_not_stored_by_any_cache(app):
    site = create_site()
    worker_user = create_user("worker")
    create_worker(site, user=worker_user)
    phone = app.test_client()
    login_as(phone, worker_user)
    today = phone.get("/worker/api/today")
    assert today.status_code == 200 and today.mimetype == "application/json"
    assert today.headers["Cache-Control"] == "no-store"

    plan = pf.plan(site)
    staff = app.test_client()
    login_as(staff, create_user("staff", sites=[site]))
    status = staff.get(f"/staff/plans/{plan.id}/status")
    assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
    assert staff.get("/staff/").headers["Cache-Control"] == "no-store"  # a redirect, too


def test_static_files_stay_cacheable(client):
    response = client.get("/static/doorstep.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_re_enabling_an_account_does_not_revive_its_api_tokens(app, client):
    site = create_site()
    create_senior(site)
    user, token = new_token("staff", sites=[site])
    assert client.get("/api/v1/seniors", headers=bearer(token)).status_code == 200
    accounts.disable_user(user)
    db.session.commit()
    assert client.get("/api/v1/seniors", headers=bearer(token)).status_code == 401
    accounts.enable_user(user)
    db.session.commit()
    assert client.get("/api/v1/seniors", headers=bearer(token)).status_code == 401


def test_an_over_long_address_is_the_apps_own_json_414(client):
    response = client.get("/api/v1/seniors?q=" + "a" * MAX_REQUEST_LINE)
    assert response.status_code == 414 and response.get_json()["status"] == 414
    page = client.get("/login?next=" + "a" * MAX_REQUEST_LINE)
    assert page.status_code == 414 and page.mimetype == "text/html"


def test_an_over_long_header_is_the_apps_own_json_431(client):
    response = client.get("/api/v1/seniors", headers={"X-Padding": "b" * MAX_HEADER_FIELD})
    assert response.status_code == 431 and response.get_json()["status"] == 431


def test_requests_under_the_limits_are_served(client):
    assert client.get("/login?next=/" + "a" * 1000, headers={"X-Padding": "b" * 4000}).status_code == 200


def test_gunicorn_lets_the_app_answer_first():
    """gunicorn answers its own HTML 400 above its limits: they are above the app's, so the app answers first."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["limit_request_line"] > MAX_REQUEST_LINE
    assert config["limit_request_field_size"] > MAX_HEADER_FIELD
    assert config["limit_request_line"] <= 8190  # gunicorn's own ceiling for this setting
