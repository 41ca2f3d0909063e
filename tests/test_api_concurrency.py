"""Concurrent API writers on PostgreSQL: no lost outcome, no lost update, one write per idempotency key."""
from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import Plan, Senior, StopEvent
from dispatch.models.plan import PlanStatus
from dispatch.platform.clock import FixedClock
from tests.api_helpers import bearer, token_for
from tests.factories import create_site, create_user
from tests.test_outcomes import NOON, crew  # noqa: F401  (fixtures)


@pytest.fixture
def app_clock(request):
    """Tests on the worker's day (the ``crew`` route) run at NOON, as in test_outcomes; the rest on real time."""
    return FixedClock(NOON) if "crew" in request.fixturenames else None

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole file)")


def _run(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads started together; return their results (exceptions re-raised)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_parallel_outcome_posts_lose_nothing_and_store_each_tap_once(app, crew):
    token = token_for(crew["user"], "worker")
    stops = crew["stops"]
    taps = [(stops[i % len(stops)], uuid.uuid4().hex) for i in range(12)]

    def post(i: int):
        stop_id, client_id = taps[i % len(taps)]
        client = app.test_client()
        body = {"client_id": client_id, "outcome": "delivered"}
        first = client.post(f"/api/v1/stops/{stop_id}/outcomes", json=body, headers=bearer(token))
        again = client.post(f"/api/v1/stops/{stop_id}/outcomes", json=body, headers=bearer(token))
        return first.status_code, again.status_code, again.get_json().get("replay")

    results = _run(24, post)  # each tap sent by two threads at once, and each thread sends it twice
    assert all(r[:2] == (200, 200) for r in results), results
    assert all(r[2] is True for r in results)
    db.session.expire_all()
    stored = Counter(db.session.scalars(sa.select(StopEvent.client_id)))
    assert stored == Counter({client_id: 1 for _, client_id in taps})


def test_parallel_plan_edits_through_the_api_lose_no_update(app, crew):
    plan = crew["route"].plan
    plan.status = PlanStatus.DRAFT
    db.session.commit()
    plan_id, version = plan.id, plan.version
    stop_ids = crew["stops"]
    token = token_for(create_user("staff", sites=[crew["site"]]), "staff")

    def lock(i: int) -> int:
        response = app.test_client().post(f"/api/v1/plans/{plan_id}/stops/{stop_ids[i % 3]}/lock",
                                          json={"version": version, "locked": True}, headers=bearer(token))
        return response.status_code

    statuses = _run(8, lock)
    assert sorted(statuses) == [200] + [409] * 7, statuses
    db.session.expire_all()
    saved = db.session.get(Plan, plan_id)
    assert saved.version == version + 1
    assert sum(s.is_locked for r in saved.routes for s in r.stops) == 1  # exactly the winner's edit


def test_parallel_creates_with_one_idempotency_key_create_one_senior(app):
    site = create_site()
    token = token_for(create_user("staff", sites=[site]), "staff")
    body = {"full_name": "Zhou Min", "date_of_birth": "1944-02-02", "address": "3 Pine Road", "home_site_id": site.id,
            "contacts": [{"name": "Zhou Lei", "relation": "son", "phone": "13600000000"}]}

    def create(i: int) -> int:
        return app.test_client().post("/api/v1/seniors", json=body,
                                      headers=bearer(token, **{"Idempotency-Key": "zhou-min-create-1"})).status_code

    statuses = _run(6, create)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.full_name == "Zhou Min")) == 1
