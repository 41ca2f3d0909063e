"""Live board: alerts on top, route progress and late stops, following up alerts with version checks."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.alert import AlertAction, AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.audit import AuditEvent
from dispatch.models.plan import PlanStatus, Stop, StopOutcome
from dispatch.platform.clock import FixedClock
from dispatch.services.safety import board as board_service
from tests import plan_fixtures as pf
from tests import testclock
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

# The board is read at 11:00 at the site on the suite's day: ETAs half an hour either side of "now"
# then stay on that day whatever hour the suite runs at (at 00:10 a stop "30 minutes ago" would
# fall on the day before).
NOW = datetime.combine(testclock.today(pf.SHANGHAI), time(11), tzinfo=pf.SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def today(app):
    """A published lunch plan for today (site time) with two routes; times relative to now."""
    site = pf.add_lunch_window(create_site(name="South canteen"))
    day = NOW.astimezone(pf.SHANGHAI).date()
    now_local = NOW.astimezone(pf.SHANGHAI)

    def hhmm(minutes: int) -> str:
        return (now_local + timedelta(minutes=minutes)).strftime("%H:%M")

    seniors = [create_senior(site, full_name=name, lives_alone=(name == "Chen Jun"))
               for name in ("Wang Fang", "Chen Jun", "Li Na", "Zhao Lei")]
    li_wei = create_worker(site, full_name="Li Wei")
    zhang = create_worker(site, full_name="Zhang Min")
    plan = pf.plan(site, day=day)
    r1 = pf.route(plan, li_wei, position=0, start=None, end=None)
    r2 = pf.route(plan, zhang, position=1, start=None, end=None)
    # Windows must contain ETAs without crossing midnight; keep them wide around now.
    window = ("00:00", "23:59")
    stops = [
        pf.stop(r1, 0, seniors[0], order=pf.meal_order(seniors[0], site, day=day), eta=hhmm(-30), window=window, day=day),
        pf.stop(r1, 1, seniors[1], order=pf.meal_order(seniors[1], site, day=day), eta=hhmm(-5), window=window, day=day),
        pf.stop(r1, 2, seniors[2], order=pf.meal_order(seniors[2], site, day=day), eta=hhmm(30), window=window, day=day),
        pf.stop(r2, 0, seniors[3], order=pf.meal_order(seniors[3], site, day=day), eta=hhmm(20), window=window, day=day),
    ]
    staff = create_user("staff", sites=[site])
    return site, day, plan, (r1, r2), stops, seniors, staff


def record_outcome(stop: Stop, outcome: StopOutcome, minutes_ago: int = 1):
    """What the worker's phone does, as far as the board can see."""
    stop = db.session.get(Stop, stop.id)
    moment = NOW - timedelta(minutes=minutes_ago)
    stop.outcome, stop.outcome_dt, stop.arrival_dt = outcome, moment, moment
    db.session.commit()


def data(client, site, day):
    response = client.get(f"/staff/board/data?site={site.id}&date={day.isoformat()}")
    assert response.status_code == 200
    return response.get_json()


def test_board_data_reflects_new_outcome_and_alert_on_top(client, today):
    site, day, plan, (r1, r2), stops, seniors, staff = today
    login_as(client, staff)
    before = data(client, site, day)
    assert before["alerts"] == []
    first = before["routes"][0]
    assert (first["worker"], first["done"], first["total"]) == ("Li Wei", 0, 3)
    # Both past ETAs without an outcome are late; the future one is not.
    assert [s["senior"] for s in first["late"]] == ["Wang Fang", "Chen Jun"]
    assert first["last_outcome"] is None

    record_outcome(stops[0], StopOutcome.DELIVERED, minutes_ago=3)
    record_outcome(stops[1], StopOutcome.NOT_HOME)
    low = pf.alert(seniors[0], site, kind=AlertKind.CONCERN, severity=AlertSeverity.LOW,
                   raised=NOW - timedelta(minutes=30))
    high = pf.alert(seniors[1], site, stop_record=stops[1])

    after = data(client, site, day)
    first = after["routes"][0]
    assert (first["done"], first["total"]) == (2, 3)
    assert first["late"] == []
    assert first["last_outcome"]["senior"] == "Chen Jun" and first["last_outcome"]["outcome"] == "not_home"
    assert first["last_outcome"]["outcome_label"] == "Not home"
    # The high-severity alert comes first even though it was raised later.
    assert [a["id"] for a in after["alerts"]] == [high.id, low.id]
    assert after["alerts"][0]["kind_label"] == "Not home (lives alone)"
    assert after["alerts"][0]["senior"] == "Chen Jun"
    html = after["html"]["alerts"]
    assert html.index("Chen Jun") < html.index("Wang Fang")
    assert re.match(r"\d{1,2}:\d\d:\d\d\u202f[AP]M$", after["updated"])  # the locale's time with seconds


def test_board_page_shows_alerts_above_routes_and_works_without_js(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    pf.alert(seniors[1], site)
    login_as(client, staff)
    response = client.get(f"/staff/board?site={site.id}&date={day.isoformat()}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Welfare alerts") < html.index("Not home (lives alone)") < html.index('id="routes-heading"')
    assert "status-open" in html and ">Open<" in html  # colour plus words
    assert 'data-interval="12000"' in html and "board.js" in html
    assert f'href="/staff/board?site={site.id}&amp;date={day.isoformat()}">Refresh<' in html
    assert "<script>" not in html and "style=" not in html


def test_draft_plans_are_not_on_the_board_and_newest_version_wins(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    plan2 = pf.plan(site, day=day, version_number=2)
    r = pf.route(plan2, create_worker(site, full_name="New Worker"), position=0, start=None, end=None)
    pf.stop(r, 0, seniors[0], order=stops[0].meal_order, window=("00:00", "23:59"), day=day)
    pf.plan(site, day=day, version_number=3, status=PlanStatus.DRAFT)
    board = board_service.build_board(site, day)
    assert [rs.route.worker.full_name for rs in board.routes] == ["New Worker"]


def test_arrival_after_window_end_is_late(app, today):
    site, day, plan, routes, stops, seniors, staff = today
    stop = db.session.get(Stop, stops[3].id)
    stop.window_end_dt = NOW - timedelta(minutes=10)
    stop.window_start_dt = stop.window_end_dt - timedelta(hours=1)
    stop.arrival_dt = NOW
    stop.outcome = StopOutcome.DELIVERED
    db.session.commit()
    board = board_service.build_board(site, day)
    assert [s.id for s in board.routes[1].late] == [stop.id]


def test_board_queries_do_not_grow_with_routes(app, today):
    site, day, plan, routes, stops, seniors, staff = today
    for _ in range(3):
        pf.alert(seniors[1], site)
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    def build() -> int:
        db.session.expire_all()
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            with app.test_request_context():
                board_service.build_board(site, day).as_dict()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    small = build()
    for position in range(2, 8):
        route = pf.route(plan, create_worker(site), position=position, start=None, end=None)
        senior = create_senior(site)
        pf.stop(route, 0, senior, order=pf.meal_order(senior, site, day=day), window=("00:00", "23:59"), day=day)
    assert build() == small
    assert small <= 10


# Following up -------------------------------------------------------------------------

def post(client, alert, **form):
    return client.post(f"/staff/alerts/{alert.id}/follow-up", data={"version": alert.version, **form})


def test_escalation_steps_then_resolve_with_note(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site, stop_record=stops[1])
    login_as(client, staff)
    response = post(client, alert, intent="step", kind="called_senior", note="no answer")
    assert response.status_code == 302
    db.session.refresh(alert)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by_id == staff.id
    response = post(client, alert, intent="step", kind="called_contact", note="daughter: he went to the clinic")
    assert response.status_code == 302
    db.session.refresh(alert)
    response = post(client, alert, intent="resolve", kind="note", note="at the clinic, meal left with neighbour")
    assert response.status_code == 302
    db.session.expire_all()
    alert = db.session.get(WelfareAlert, alert.id)
    assert alert.status == AlertStatus.RESOLVED and alert.resolution == "at the clinic, meal left with neighbour"
    assert [a.kind.value for a in alert.actions] == ["called_senior", "called_contact", "note"]
    board = data(client, site, day)
    assert board["alerts"] == [] and [a["id"] for a in board["resolved_today"]] == [alert.id]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "welfare_alert")).all()
    assert actions == ["alert.step", "alert.step", "alert.resolve"]


def test_acknowledge_without_step(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    login_as(client, staff)
    assert post(client, alert, intent="acknowledge").status_code == 302
    db.session.refresh(alert)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.actions == []


def test_stale_version_is_409_and_changes_nothing(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    login_as(client, staff)
    stale_version = alert.version
    assert post(client, alert, intent="acknowledge").status_code == 302
    response = client.post(f"/staff/alerts/{alert.id}/follow-up",
                           data={"version": stale_version, "intent": "resolve", "note": "fine"})
    assert response.status_code == 409
    assert "Someone else acted on this alert" in response.get_data(as_text=True)
    db.session.expire_all()
    alert = db.session.get(WelfareAlert, alert.id)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.resolution is None


def test_service_detects_a_concurrent_write_at_flush(app, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    version = alert.version
    # Another coordinator's write lands between our read and our flush.
    db.session.execute(sa.update(WelfareAlert).where(WelfareAlert.id == alert.id)
                       .values(version=version + 1, status="acknowledged",
                               acknowledged_dt=NOW))
    with pytest.raises(board_service.StaleRecord):
        board_service.follow_up(alert, version=version, intent="resolve", kind=None, note="ok", by=staff)


@pytest.mark.parametrize("form, field", [
    ({"intent": "resolve", "note": "   "}, "Say how the alert was resolved."),
    ({"intent": "step", "note": "x"}, "Choose which step you took."),
    ({"intent": "step", "kind": "teleported"}, "Choose a step from the list."),
    ({"intent": "step", "kind": "note"}, "Write the note."),
    ({"intent": "delete"}, "Choose what to do with the alert."),
    ({"intent": "step", "kind": "visited", "note": "bad\x00note"}, "note contains characters that are not allowed"),
    ({"intent": "resolve", "note": "x" * 2001}, "under 2000 characters"),
])
def test_bad_follow_up_is_422_and_changes_nothing(client, today, form, field):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    login_as(client, staff)
    response = post(client, alert, **form)
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    db.session.expire_all()
    alert = db.session.get(WelfareAlert, alert.id)
    assert alert.status == AlertStatus.OPEN and alert.actions == []
    assert db.session.scalar(sa.select(sa.func.count(AlertAction.id))) == 0


def test_missing_version_is_409(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    login_as(client, staff)
    response = client.post(f"/staff/alerts/{alert.id}/follow-up", data={"intent": "acknowledge"})
    assert response.status_code == 409


# Access ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/board?site={site}", "/staff/board/data?site={site}"])
def test_board_access_matrix(client, today, path):
    site, day, plan, routes, stops, seniors, staff = today
    url = path.format(site=site.id)
    assert client.get(url).status_code == 302
    login_as(client, create_user("staff", sites=[create_site(name="Elsewhere")]))
    assert client.get(url).status_code == 404
    client.post("/logout")
    for role in ("family", "worker"):
        login_as(client, create_user(role, seniors=[seniors[0]] if role == "family" else ()))
        assert client.get(url).status_code == 403
        client.post("/logout")
    login_as(client, staff)
    assert client.get(url).status_code == 200


def test_other_sites_staff_cannot_touch_an_alert(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    login_as(client, create_user("staff", sites=[create_site(name="Elsewhere")]))
    assert post(client, alert, intent="acknowledge").status_code == 404
    client.post("/logout")
    login_as(client, create_user("worker"))
    assert post(client, alert, intent="acknowledge").status_code == 403
    db.session.refresh(alert)
    assert alert.status == AlertStatus.OPEN


def test_bad_board_arguments(client, today):
    site, day, plan, routes, stops, seniors, staff = today
    login_as(client, staff)
    assert client.get(f"/staff/board?site={site.id}&date=yesterday").status_code == 400
    assert client.get(f"/staff/board/data?site={site.id}&date=2024-13-01").status_code == 400
    assert client.get("/staff/board?site=abc").status_code == 404
    assert client.get("/staff/board?site=99999999999").status_code == 404
    # No site given: the user's own site.
    assert client.get("/staff/board").status_code == 200


def test_an_alert_re_raised_without_acknowledgement_says_so_on_the_board(client, today):
    from dispatch.models.outcome import AlertReraise

    site, day, plan, routes, stops, seniors, staff = today
    alert = pf.alert(seniors[1], site)
    quiet = pf.alert(seniors[2], site)
    db.session.add_all([AlertReraise(alert_id=alert.id, number=1), AlertReraise(alert_id=alert.id, number=2)])
    db.session.commit()
    login_as(client, staff)
    payload = data(client, site, day)
    counts = {a["id"]: a["reraised"] for a in payload["alerts"]}
    assert counts == {alert.id: 2, quiet.id: 0}
    html = client.get(f"/staff/board?site={site.id}&date={day.isoformat()}").get_data(as_text=True)
    assert html.count("without acknowledgement") == 1


def test_the_board_opens_on_the_site_with_routes_out_today(client, today):
    """A coordinator of several sites lands on the one that has routes to watch, not simply the first by name."""
    site, day, plan, routes, stops, seniors, staff = today
    quiet = create_site(name="Another canteen")  # first by name, nothing published today
    user = create_user("staff", sites=[site, quiet])
    login_as(client, user)
    assert "Live board · South canteen" in client.get("/staff/board").get_data(as_text=True)
    plan.status = PlanStatus.DRAFT  # nothing out anywhere today: the first site by name
    db.session.commit()
    assert "Live board · Another canteen" in client.get("/staff/board").get_data(as_text=True)
