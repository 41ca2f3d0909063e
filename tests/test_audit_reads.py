"""Every read of seniors' personal data leaves an audit event: lists, the edit form, the board, refusals."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.platform import audit
from dispatch.platform.audit_review import unusual_access
from dispatch.platform.clock import FixedClock
from tests import plan_fixtures as pf
from tests import testclock
from tests.api_helpers import bearer, token_for
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

NOW = datetime.combine(testclock.today(pf.SHANGHAI), time(11), tzinfo=pf.SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def world(app):
    mine, theirs = create_site(name="Mine"), create_site(name="Theirs")
    my_seniors = [create_senior(mine, full_name=f"Senior {i}") for i in range(3)]
    their_senior = create_senior(theirs, full_name="Far Away")
    staff = create_user("staff", sites=[mine])
    db.session.commit()
    return mine, theirs, my_seniors, their_senior, staff


def test_api_list_of_seniors_is_one_audit_event_with_the_ids(client, world):
    _mine, _theirs, my_seniors, their_senior, staff = world
    token = token_for(staff)
    db.session.commit()
    response = client.get("/api/v1/seniors?per_page=2", headers=bearer(token))
    assert response.status_code == 200 and len(response.get_json()["items"]) == 2
    [event] = events("senior.list")
    shown = [item["id"] for item in response.get_json()["items"]]
    assert event.user_id == staff.id and event.detail["count"] == 2
    assert event.detail["senior_ids"] == sorted(shown) and event.detail["source"] == "api"
    assert their_senior.id not in event.detail["senior_ids"]


def test_staff_list_page_and_edit_form_are_audited(client, world):
    _mine, _theirs, my_seniors, _their, staff = world
    login_as(client, staff)
    assert client.get("/staff/seniors").status_code == 200
    [listed] = events("senior.list")
    assert listed.detail["senior_ids"] == sorted(s.id for s in my_seniors)
    assert client.get(f"/staff/seniors/{my_seniors[0].id}/edit").status_code == 200
    [read] = events("senior.read")
    assert read.senior_id == my_seniors[0].id and read.detail == {"form": "edit"} and read.user_id == staff.id


@pytest.mark.parametrize("path", ["/staff/seniors/{id}", "/staff/seniors/{id}/edit", "/api/v1/seniors/{id}"])
def test_a_refused_read_of_another_sites_senior_is_audited(client, world, path):
    _mine, _theirs, _my, their_senior, staff = world
    headers = {}
    if path.startswith("/api"):
        headers = bearer(token_for(staff))
        db.session.commit()
    else:
        login_as(client, staff)
    assert client.get(path.format(id=their_senior.id), headers=headers).status_code == 404
    [refused] = events(audit.REFUSED_ACTION)
    assert refused.user_id == staff.id and refused.senior_id == their_senior.id
    assert not events("senior.read")


def test_a_worker_refused_a_staff_page_about_a_senior_is_audited(client, world):
    mine, _theirs, my_seniors, _their, _staff = world
    worker = create_user("worker")
    create_worker(mine, user=worker)
    db.session.commit()
    login_as(client, worker)
    assert client.get(f"/staff/seniors/{my_seniors[0].id}").status_code == 404
    [refused] = events(audit.REFUSED_ACTION)
    assert refused.user_id == worker.id and refused.senior_id == my_seniors[0].id


def test_a_refusal_does_not_keep_what_the_refused_request_wrote(app, world):
    """The refusal is written in a transaction of its own; the refused unit still rolls back."""
    from werkzeug.exceptions import NotFound

    from dispatch.platform import transaction
    from dispatch.platform.access import get_senior_or_404

    _mine, _theirs, my_seniors, their_senior, staff = world
    with pytest.raises(NotFound), transaction.unit():
        my_seniors[0].full_name = "Changed"
        db.session.flush()
        get_senior_or_404(their_senior.id, staff)
    db.session.expire_all()
    assert my_seniors[0].full_name == "Senior 0"
    assert len(events(audit.REFUSED_ACTION)) == 1


@pytest.fixture
def board_day(app):
    site = pf.add_lunch_window(create_site(name="South canteen"))
    day = NOW.astimezone(pf.SHANGHAI).date()
    seniors = [create_senior(site, full_name=f"On route {i}") for i in range(2)]
    plan = pf.plan(site, day=day)
    route = pf.route(plan, create_worker(site), position=0, start=None, end=None)
    for i, senior in enumerate(seniors):
        pf.stop(route, i, senior, order=pf.meal_order(senior, site, day=day), eta="11:30",
                window=("00:00", "23:59"), day=day)
    staff = create_user("staff", sites=[site])
    db.session.commit()
    return site, day, seniors, staff, route


def test_board_and_its_polls_are_audited_without_flooding(client, board_day):
    site, day, seniors, staff, route = board_day
    login_as(client, staff)
    assert client.get(f"/staff/board?site={site.id}&date={day.isoformat()}").status_code == 200
    [read] = events("board.read")
    assert read.entity_id == site.id and read.detail["senior_ids"] == sorted(s.id for s in seniors)
    for _ in range(3):  # polls showing the same seniors a moment later
        assert client.get(f"/staff/board/data?site={site.id}&date={day.isoformat()}").status_code == 200
    assert len(events("board.read")) == 1
    newcomer = create_senior(site, full_name="New on route")
    pf.stop(route, 2, newcomer, order=pf.meal_order(newcomer, site, day=day), eta="11:45",
            window=("00:00", "23:59"), day=day)
    db.session.commit()
    assert client.get(f"/staff/board/data?site={site.id}&date={day.isoformat()}").status_code == 200
    latest = events("board.read")
    assert len(latest) == 2 and newcomer.id in latest[-1].detail["senior_ids"]


def test_lists_and_refusals_count_toward_the_unusual_access_report(app, world):
    _mine, _theirs, my_seniors, their_senior, staff = world
    app.config["AUDIT_UNUSUAL_READS"] = 2
    app.config["AUDIT_UNUSUAL_REFUSALS"] = 1
    audit.record_list("senior.list", user=staff, entity_type="senior", entity_id=None,
                      senior_ids=[s.id for s in my_seniors])
    for _ in range(2):
        audit.record_refusal(user=staff, senior_id=their_senior.id)
    db.session.commit()
    report = unusual_access(NOW.astimezone(pf.SHANGHAI).date())
    assert [(r.user_id, r.seniors_read) for r in report.heavy_readers] == [(staff.id, 3)]
    assert [(r.user_id, r.refusals) for r in report.refused] == [(staff.id, 2)]


def test_unusual_access_page_lists_refused_users(client, world):
    _mine, _theirs, _my, their_senior, staff = world
    client.application.config["AUDIT_UNUSUAL_REFUSALS"] = 0
    audit.record_refusal(user=staff, senior_id=their_senior.id)
    db.session.commit()
    login_as(client, create_user("admin"))
    day = NOW.astimezone(pf.SHANGHAI).date().isoformat()
    page = client.get(f"/admin/audit/unusual?day={day}").get_data(as_text=True)
    assert staff.email in page


def test_the_workers_phone_reads_are_audited_once_per_showing(client, board_day):
    """The route page, its printable sheet and the offline payload show seniors' door notes: each read is
    one event with the seniors' ids; a reload that shows the same seniors soon after is not another."""
    from dispatch.models import Route

    site, day, seniors, staff, route = board_day
    worker = db.session.get(Route, route.id).worker
    worker.user_id = create_user("worker").id
    db.session.commit()
    login_as(client, worker.user)
    for _ in range(2):
        assert client.get("/worker/today").status_code == 200
    assert client.get("/worker/api/today").status_code == 200
    assert client.get("/worker/today/print").status_code == 200
    shown = sorted(s.id for s in seniors)
    for action in ("worker_day.read", "worker_day.offline_read", "worker_day.print"):
        [event] = events(action)
        assert event.user_id == worker.user_id and event.detail["senior_ids"] == shown, action
    # They count toward the unusual-access report like any list.
    readers = {r.user_id: r.seniors_read for r in unusual_access(day, threshold=1).heavy_readers}
    assert readers.get(worker.user_id) == len(shown)
