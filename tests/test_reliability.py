"""Failures the app must answer calmly: a lost database (503, then recovery), version conflicts (409)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from dispatch import create_app
from dispatch.extensions import db
from tests.api_helpers import bearer, token_for
from tests.conftest import TEST_DATABASE_URL, make_config
from tests.factories import FreshContextClient, create_site, create_user, login_as
from tests.tcp_proxy import TcpProxy

on_postgres = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                 reason="cuts a PostgreSQL connection; runs when DISPATCH_TEST_DATABASE_URL names one")


@on_postgres
def test_database_outage_is_a_503_with_retry_after_then_recovers_by_itself(app, data_dir, pg_schema):
    site = create_site()
    staff = create_user("staff", sites=[site], two_factor=False)
    admin = create_user("admin", two_factor=False)
    token = token_for(admin, "admin")
    # Plain values only from here: an ORM object touched under the other app would borrow its engine.
    staff = SimpleNamespace(email=staff.email)
    db.session.close()
    url = sa.engine.make_url(TEST_DATABASE_URL)
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        outage_app = create_app(make_config(proxied, data_dir, pg_schema, REQUIRE_2FA_FOR_STAFF=False))
        outage_app.test_client_class = FreshContextClient
        with outage_app.app_context():
            client = outage_app.test_client()
            login_as(client, staff)
            assert client.get("/staff/sites").status_code == 200
            assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 200

            proxy.cut()
            page = client.get("/staff/sites")
            assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
            assert page.mimetype == "text/html" and "Traceback" not in page.get_data(as_text=True)
            api = client.get("/api/v1/sites", headers=bearer(token))
            assert api.status_code == 503 and api.is_json and api.headers["Retry-After"].isdigit()
            assert api.get_json()["status"] == 503

            proxy.restore()
            # pool_pre_ping replaces the dead pooled connections: no restart, no error.
            assert client.get("/staff/sites").status_code == 200
            assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 200
            db.session.remove()
            db.engine.dispose()


def test_a_lost_database_mid_request_is_a_503_page_and_json(app, client, monkeypatch):
    """The same mapping without PostgreSQL: any view hitting a dropped connection."""
    from dispatch.platform import access

    admin = create_user("admin")
    token = token_for(admin, "admin")

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr("dispatch.api.directory.sites_visible_to", gone)
    response = client.get("/api/v1/sites", headers=bearer(token))
    assert response.status_code == 503 and response.is_json and response.headers["Retry-After"]
    monkeypatch.setattr(access, "seniors_visible_to", gone)
    monkeypatch.setattr("dispatch.services.people.seniors.seniors_visible_to", gone)
    login_as(client, admin)
    page = client.get("/staff/seniors")
    assert page.status_code == 503 and page.mimetype == "text/html" and page.headers["Retry-After"]


def test_an_uncaught_version_conflict_is_a_409_never_a_500(app, client, monkeypatch):
    admin = create_user("admin")
    token = token_for(admin, "admin")

    def conflict(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'senior' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr("dispatch.api.directory.sites_visible_to", conflict)
    response = client.get("/api/v1/sites", headers=bearer(token))
    assert response.status_code == 409 and response.is_json
    monkeypatch.setattr("dispatch.services.people.seniors.seniors_visible_to", conflict)
    login_as(client, admin)
    page = client.get("/staff/seniors")
    assert page.status_code == 409 and page.mimetype == "text/html"


def test_a_database_lost_after_the_reply_was_built_is_not_a_500(app, client, monkeypatch):
    """PostgreSQL going away between the view and the teardown: the session's closing rollback fails.

    The reply (for a tap: already committed) must still reach the client, not turn into gunicorn's 500.
    """
    from sqlalchemy.orm import Session

    admin = create_user("admin")
    token = token_for(admin, "admin")
    real_close, broken = Session.close, []

    def close_on_a_dead_connection(self):
        if not broken:
            broken.append(True)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))
        return real_close(self)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    response = client.get("/api/v1/sites", headers=bearer(token))
    assert broken and response.status_code == 200 and response.is_json
    assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 200
