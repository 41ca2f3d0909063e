"""The car driver taps "Handed over" at a village point: timed by the server, once per batch, only by the
run's driver on the run's day, audited; the phone page and the plan page then say when."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import AuditEvent
from dispatch.models.plan import PlanStatus, RouteLeg, TrunkDrop
from dispatch.platform.clock import FixedClock
from dispatch.platform.errors import FieldError
from dispatch.services.rounds import handover
from tests.factories import create_user, create_worker, login_as
from tests.planning_helpers import DAY, published_county, reloaded_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT_1047 = datetime(DAY.year, DAY.month, DAY.day, 10, 47, 12, tzinfo=SHANGHAI)
KEY = "handover-key-0001"


@pytest.fixture
def app_clock():
    return FixedClock(datetime(DAY.year, DAY.month, DAY.day, 8, 0, tzinfo=SHANGHAI))


def _trunk(plan):
    return next(r for r in plan.routes if r.leg == RouteLeg.TRUNK and r.drops)


def _driver(route):
    user = create_user("worker")
    route.worker.user_id = user.id
    db.session.commit()
    return user


def _audits():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "trunk_drop.hand_over"))


def _drop(drop_id):
    return db.session.scalars(sa.select(TrunkDrop).where(TrunkDrop.id == drop_id)
                              .execution_options(populate_existing=True)).one()


def test_the_hand_over_is_timed_by_the_server_once_per_batch(app, app_clock):
    plan = published_county()
    trunk = _trunk(plan)
    user = _driver(trunk)
    drop = sorted(trunk.drops, key=lambda d: d.position)[0]
    app_clock.set(AT_1047)
    phone_says = AT_1047 - timedelta(hours=3)  # a phone clock far off: kept as a claim, never the time
    with app.test_request_context():
        done = handover.hand_over(drop, by=user, key=KEY, claimed_at=phone_says)
        db.session.commit()
        assert not done.replay
        stored = _drop(drop.id)
        assert stored.handed_over_dt == AT_1047 and stored.handed_over_by_id == user.id
        assert stored.handover_key == KEY and stored.handed_over_claimed_dt == phone_says
        assert done.result["clock_flagged"] is True
        assert reloaded_plan(plan.id).status == PlanStatus.IN_PROGRESS  # as the first stop tap does
        assert _audits() == 1

        # The phone retries (its answer was lost): the same answer, nothing changes, no second audit row.
        app_clock.advance(minutes=5)
        again = handover.hand_over(_drop(drop.id), by=user, key=KEY)
        db.session.commit()
        assert again.replay and again.result == done.result
        assert _drop(drop.id).handed_over_dt == AT_1047 and _audits() == 1

        # Another tap (another key) on the same batch is refused, saying when it was handed over.
        with pytest.raises(FieldError) as refused:
            handover.hand_over(_drop(drop.id), by=user, key="another-key-0002")
        assert "already handed over at 10:47" in str(refused.value.message).lower()
        db.session.rollback()
        assert _drop(drop.id).handover_key == KEY and _audits() == 1

        # One key is one tap: it cannot hand over a second village point.
        other = sorted(trunk.drops, key=lambda d: d.position)[-1]
        if other.id != drop.id:
            with pytest.raises(FieldError, match="another village point"):
                handover.hand_over(_drop(other.id), by=user, key=KEY)
            db.session.rollback()


def test_only_the_driver_on_the_day_of_the_run(app, app_clock):
    plan = published_county()
    trunk = _trunk(plan)
    user = _driver(trunk)
    drop = trunk.drops[0]
    stranger = create_user("worker")
    db.session.commit()
    with app.test_request_context():
        with pytest.raises(FieldError, match="Only the driver"):
            handover.hand_over(drop, by=stranger, key=KEY)
        db.session.rollback()
        app_clock.set(AT_1047 + timedelta(days=1))  # the run was yesterday
        with pytest.raises(FieldError, match="not today's"):
            handover.hand_over(_drop(drop.id), by=user, key=KEY)
        db.session.rollback()
        with pytest.raises(FieldError, match="letters, digits or dashes"):
            handover.hand_over(_drop(drop.id), by=user, key="short")
        db.session.rollback()
    assert _drop(drop.id).handed_over_dt is None and _audits() == 0


def test_the_driver_taps_handed_over_and_the_card_says_when(app, client, app_clock):
    plan = published_county()
    trunk = _trunk(plan)
    login_as(client, _driver(trunk))
    drop = sorted(trunk.drops, key=lambda d: d.position)[0]
    html = client.get("/worker/today").get_data(as_text=True)
    card = html[html.find(f'id="drop-{drop.id}"'):]
    card = card[:card.find("</li>")]
    assert f'action="/worker/drops/{drop.id}/hand-over"' in card and "Handed over</button>" in card
    key = re.search(r'name="key" value="([0-9a-f]+)"', card).group(1)

    app_clock.set(AT_1047)
    r = client.post(f"/worker/drops/{drop.id}/hand-over", data={"key": key})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#drop-{drop.id}")
    assert client.post(f"/worker/drops/{drop.id}/hand-over", data={"key": key}).status_code == 303  # resent form
    assert _audits() == 1
    html = client.get("/worker/today").get_data(as_text=True)
    card = html[html.find(f'id="drop-{drop.id}"'):]
    card = card[:card.find("</li>")]
    assert "Handed over at 10:47" in card and "data-hand-over" not in card and "is-done" in html

    # A second hand-over with another key: refused with the reason, shown on the page.
    r = client.post(f"/worker/drops/{drop.id}/hand-over", data={"key": "another-key-0002"}, follow_redirects=True)
    assert "Already handed over at 10:47" in r.get_data(as_text=True) and _audits() == 1

    # The plan page's trunk table says when.
    staff = app.test_client()
    login_as(staff, create_user("staff", sites=(plan.site,)))
    r = staff.get(f"/staff/plans/{plan.id}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[:300]
    row = page[page.find(f'<tr data-drop="{drop.village_point_id}"'):]
    assert "handed over 10:47" in row[:row.find("</tr>")]


def test_the_api_twin_answers_like_a_stop_tap(app, client, app_clock):
    plan = published_county()
    trunk = _trunk(plan)
    login_as(client, _driver(trunk))
    drop = trunk.drops[0]
    url = f"/worker/api/drops/{drop.id}/hand-over"
    app_clock.set(AT_1047)
    assert client.post(url, data="not json", content_type="text/plain").status_code == 400
    bad = client.post(url, json={"key": "x"})
    assert bad.status_code == 422 and bad.json["field"] == "key"
    assert client.post(url, json={"key": KEY, "recorded_dt": "yesterday"}).status_code == 422
    first = client.post(url, json={"key": KEY, "recorded_dt": AT_1047.isoformat()})
    assert first.status_code == 200 and first.json["replay"] is False
    assert first.json["handed_over_dt"] == AT_1047.astimezone(ZoneInfo("UTC")).isoformat()
    again = client.post(url, json={"client_id": KEY})
    assert again.status_code == 200 and again.json["replay"] is True
    assert {k: v for k, v in again.json.items() if k != "replay"} == {k: v for k, v in first.json.items()
                                                                       if k != "replay"}
    refused = client.post(url, json={"key": "another-key-0002"})
    assert refused.status_code == 422 and "Already handed over at 10:47" in refused.json["message"]
    assert _audits() == 1


def test_another_drivers_drop_or_another_days_run_is_not_found(app, client, app_clock):
    plan = published_county()
    trunk = _trunk(plan)
    driver = _driver(trunk)
    drop = trunk.drops[0]
    other = create_user("worker")
    create_worker(plan.site, user=other)  # a worker of the kitchen, not this run's driver
    db.session.commit()
    login_as(client, other)
    for url, kwargs in ((f"/worker/drops/{drop.id}/hand-over", {"data": {"key": KEY}}),
                        (f"/worker/api/drops/{drop.id}/hand-over", {"json": {"key": KEY}})):
        assert client.post(url, **kwargs).status_code == 404
    login_as(client, driver)
    app_clock.set(AT_1047 + timedelta(days=1))  # the driver, a day late
    assert client.post(f"/worker/api/drops/{drop.id}/hand-over", json={"key": KEY}).status_code == 404
    assert client.post("/worker/api/drops/999999/hand-over", json={"key": KEY}).status_code == 404
    assert _drop(drop.id).handed_over_dt is None and _audits() == 0
