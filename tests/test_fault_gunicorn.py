"""A gunicorn worker killed in the middle of a write leaves no partial write (PostgreSQL).

The test serves the app with gunicorn on the test schema, holds a row lock on
the stop's meal order so that the outcome request stops half-way through its
transaction (its stop event is inserted and the stop updated, not committed),
kills the worker with SIGKILL, and checks that nothing of the request is in
the database. The phone's retry with the same client id is then stored once.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import MealOrder, MealOrderStatus, Stop, StopEvent
from tests import testclock
from tests.api_helpers import bearer, token_for
from tests.conftest import TEST_DATABASE_URL
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.gunicorn_server import start as gunicorn_server_start
from tests.gunicorn_server import stop as gunicorn_server_stop
from tests.gunicorn_server import workers_of
from tests.test_outcomes import build_route

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="kills a worker mid-transaction; needs PostgreSQL (DISPATCH_TEST_DATABASE_URL)")


@pytest.fixture
def gunicorn_server(app, pg_schema, data_dir):
    url = sa.engine.make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={pg_schema}"})
    proc, port = gunicorn_server_start(url.render_as_string(hide_password=False), data_dir)
    yield proc, port
    gunicorn_server_stop(proc)


def _post(port: int, path: str, body: dict, headers: dict, timeout: float):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("POST", path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})
    return conn


def test_killed_worker_mid_write_leaves_nothing_half_saved(app, gunicorn_server):
    proc, port = gunicorn_server
    site = create_site(timezone="Asia/Shanghai")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    today = testclock.now(ZoneInfo("Asia/Shanghai")).date()
    route = build_route(worker, [create_senior(site=site)], site=site, day=today,
                        start=testclock.now() - timedelta(minutes=30))
    stop_id, order_id = route.stops[0].id, route.stops[0].meal_order_id
    token = token_for(user, "worker")
    db.session.commit()

    blocker = db.engine.connect()
    try:
        _kill_mid_write(proc, port, blocker, stop_id, order_id, token)
    finally:
        blocker.close()  # a failed check must not leave our lock blocking the teardown


def _kill_mid_write(proc, port, blocker, stop_id, order_id, token):
    tx = blocker.begin()
    blocker.execute(sa.text("SELECT id FROM meal_order WHERE id = :id FOR UPDATE"), {"id": order_id})
    client_id = uuid.uuid4().hex
    conn = _post(port, f"/api/v1/stops/{stop_id}/outcomes", {"client_id": client_id, "outcome": "delivered"},
                 bearer(token), timeout=30)
    # Wait until the request's transaction is blocked on our lock, i.e. half-way through its write.
    deadline = time.time() + 20
    while time.time() < deadline:
        with db.engine.connect() as probe:  # not the blocker: activity is a snapshot per transaction
            waiting = probe.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                " AND query ILIKE 'UPDATE meal_order%'"
            )).scalar()
        if waiting:
            break
        time.sleep(0.1)
    else:
        tx.rollback()
        response = conn.getresponse()
        pytest.fail(f"the request never reached the locked row: {response.status} {response.read()[:300]!r}")
    workers = workers_of(proc.pid)
    assert workers, "no gunicorn worker found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises((OSError, http.client.HTTPException)):
        conn.getresponse().read()
    tx.rollback()
    _check_nothing_saved_then_retry(port, stop_id, order_id, token, client_id)


def _check_nothing_saved_then_retry(port, stop_id, order_id, token, client_id):
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(StopEvent.id))) == 0
    assert db.session.get(Stop, stop_id).outcome is None
    assert db.session.get(MealOrder, order_id).status == MealOrderStatus.ORDERED

    # gunicorn starts a new worker; the phone's retry is stored once.
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            retry = _post(port, f"/api/v1/stops/{stop_id}/outcomes", {"client_id": client_id, "outcome": "delivered"},
                          bearer(token), timeout=10).getresponse()
            break
        except OSError:
            time.sleep(0.5)
    assert retry.status == 200 and json.loads(retry.read())["replay"] is False
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(StopEvent.id))) == 1
    assert db.session.get(MealOrder, order_id).status == MealOrderStatus.DELIVERED
