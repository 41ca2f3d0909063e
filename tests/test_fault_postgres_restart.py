"""PostgreSQL restarted while phones keep posting: 503 while it is down, recovery by itself, nothing lost.

gunicorn serves the app on a private PostgreSQL cluster (``tests/pg_cluster.py``)
while simulated phones loop over their stops: poll the day, post a tap with a
fresh client id, and resend the same tap after a 503 or a dropped connection,
as ``worker.js`` does. Mid-traffic the server is stopped (fast shutdown: open
transactions rolled back, connections closed) and started again. The app must
answer 503 with Retry-After while the database is gone, never a 500; serve
again without restarting its workers once it is back (pool pre-ping); and every
acknowledged tap must be in the database exactly once.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from dispatch import create_app
from dispatch.extensions import db
from tests import gunicorn_server, testclock
from tests.api_helpers import token_for
from tests.conftest import make_config
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.pg_cluster import PrivateCluster, server_bin
from tests.servers import MISSING
from tests.test_outcomes import build_route

PG_BIN = server_bin()
pytestmark = pytest.mark.skipif(PG_BIN is None, reason=MISSING + "PostgreSQL's server programs (initdb, pg_ctl) "
                                                       "to run a private server it may restart")

PHONES, STOPS = 6, 4


@pytest.fixture
def cluster():
    cluster = PrivateCluster(PG_BIN)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _seed(url: str, data_dir) -> list[dict]:
    """Phones with tokens and a published route of today each; plain values out, engine closed."""
    app = create_app(make_config(url, data_dir, REQUIRE_2FA_FOR_STAFF=False))
    with app.app_context():
        upgrade()
        site = create_site(timezone="Asia/Shanghai")
        today = testclock.now(ZoneInfo("Asia/Shanghai")).date()
        phones = []
        for _ in range(PHONES):
            user = create_user("worker")
            worker = create_worker(site=site, user=user)
            route = build_route(worker, [create_senior(site=site) for _ in range(STOPS)], site=site, day=today,
                                start=testclock.now() - timedelta(minutes=30))
            phones.append({"token": token_for(user, "worker"), "stops": [s.id for s in route.stops]})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return phones


class Traffic:
    """What the phones saw: every status, the taps acknowledged and when, and anything unexpected."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.acked: dict[str, float] = {}
        self.unavailable: list[float] = []  # times of 503 answers
        self.unexpected: list[str] = []
        self.done = threading.Event()

    def saw(self, what: str, status: int, response: http.client.HTTPResponse, body: bytes) -> None:
        with self.lock:
            self.statuses[(what, status)] += 1
            if status == 503:
                self.unavailable.append(time.time())
                if not (response.getheader("Retry-After") or "").isdigit():
                    self.unexpected.append(f"{what} 503 without Retry-After")
            elif status != 200:
                self.unexpected.append(f"{what} {status}: {body[:200]!r}")


def _phone(port: int, phone: dict, traffic: Traffic) -> None:
    headers = {"Authorization": f"Bearer {phone['token']}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(what, method, path, body=None) -> int | None:
        nonlocal conn
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            return None
        traffic.saw(what, response.status, response, data)
        return response.status

    i = 0
    while not traffic.done.is_set():
        send("day", "GET", "/api/v1/me/day")
        client_id = uuid.uuid4().hex
        body = json.dumps({"client_id": client_id, "outcome": "delivered", "note": f"tap {i}"})
        give_up = time.time() + 90
        # The same tap is sent until it is acknowledged, even after traffic stops: a phone keeps its queue.
        while send("tap", "POST", f"/api/v1/stops/{phone['stops'][i % STOPS]}/outcomes", body) != 200:
            if time.time() > give_up:
                with traffic.lock:
                    traffic.unexpected.append(f"tap {client_id} never acknowledged")
                return
            time.sleep(0.2)
        with traffic.lock:
            traffic.acked[client_id] = time.time()
        i += 1
        time.sleep(0.05)
    conn.close()


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_postgres_restart_under_traffic_loses_no_acknowledged_tap(cluster, data_dir):
    url = cluster.create_database("doorstep")
    phones = _seed(url, data_dir)
    proc, port = gunicorn_server.start(url, data_dir, workers=2, threads=4)
    traffic = Traffic()
    threads = [threading.Thread(target=_phone, args=(port, phone, traffic), daemon=True) for phone in phones]
    try:
        workers_before = set(gunicorn_server.workers_of(proc.pid))
        for t in threads:
            t.start()
        _wait_for(lambda: len(traffic.acked) >= 20, 60, "taps before the restart")

        cluster.stop("fast")
        stopped_at = time.time()
        _wait_for(lambda: any(t > stopped_at for t in traffic.unavailable), 30, "a 503 while PostgreSQL is down")
        time.sleep(1.0)  # keep it down under traffic for a moment
        acked_while_down = sum(1 for t in traffic.acked.values() if t > stopped_at)
        cluster.start()
        back_at = time.time()
        _wait_for(lambda: sum(1 for t in traffic.acked.values() if t > back_at) >= 20, 60,
                  "taps acknowledged after PostgreSQL came back")
        traffic.done.set()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a phone is still waiting for its tap"
        workers_after = set(gunicorn_server.workers_of(proc.pid))
    finally:
        traffic.done.set()
        gunicorn_server.stop(proc)

    assert traffic.unexpected == []
    assert acked_while_down == 0, "a tap was acknowledged while the database was down"
    assert traffic.statuses[("tap", 503)] + traffic.statuses[("day", 503)] >= 1
    # Recovered by itself: the same gunicorn workers serve again, none was restarted.
    assert workers_before and workers_after == workers_before

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            stored = Counter(conn.execute(sa.text("SELECT client_id FROM stop_event")).scalars())
            outcomes = dict(conn.execute(sa.text(
                "SELECT id, outcome FROM stop WHERE id IN (SELECT stop_id FROM stop_event)")).all())
    finally:
        engine.dispose()
    assert set(stored) == set(traffic.acked), "an acknowledged tap is missing, or an unacknowledged one was stored"
    assert max(stored.values()) == 1, "a resent tap was stored twice"
    assert len(outcomes) >= PHONES and set(outcomes.values()) == {"delivered"}, outcomes
