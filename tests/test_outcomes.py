"""Recording outcomes from workers' phones: one-tap outcomes, visits, concerns, replays, privacy.

Published plans are built directly here (``build_route``) until the planning
service can publish them.
"""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    AlertStatus,
    AuditEvent,
    MealMode,
    MealOrder,
    MealOrderStatus,
    Plan,
    PlanKind,
    PlanStatus,
    RequestStatus,
    Route,
    ServiceRequest,
    ServiceType,
    Stop,
    StopEvent,
    StopKind,
    StopOutcome,
    WelfareAlert,
)
from dispatch.models.notification import Notification
from dispatch.models.site import MealType
from dispatch.platform.clock import FixedClock
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

UTC = timezone.utc
# Noon in Shanghai (the test site's zone) on a fixed day.
NOON = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)


def build_route(worker, seniors, *, site=None, day: date = DAY, kind: str = "meal", status=PlanStatus.PUBLISHED,
                start=NOON - timedelta(minutes=30), window_minutes: int = 60, version_number: int = 1) -> Route:
    """A route for ``worker`` through ``seniors`` (meal drops or visits) on a published plan.

    The plan (site, day, kind, version) is made or reused; meal orders are reused when they exist.
    """
    site = site or worker.home_site
    plan_kind = PlanKind.MEALS if kind == "meal" else PlanKind.VISITS
    plan = db.session.scalar(sa.select(Plan).where(
        Plan.site_id == site.id, Plan.service_date == day, Plan.kind == plan_kind,
        Plan.version_number == version_number))
    if plan is None:
        plan = Plan(site_id=site.id, service_date=day, kind=plan_kind,
                    meal=MealType.LUNCH if kind == "meal" else None, status=status, version_number=version_number)
        db.session.add(plan)
    route = Route(worker_id=worker.id, position=len(plan.routes), start_dt=start)
    plan.routes.append(route)
    for i, senior in enumerate(seniors):
        stop = Stop(position=i, kind=StopKind.MEAL if kind == "meal" else StopKind.VISIT, senior_id=senior.id,
                    window_start_dt=start + timedelta(minutes=10 * i),
                    window_end_dt=start + timedelta(minutes=10 * i + window_minutes),
                    eta_dt=start + timedelta(minutes=10 * i + 5))
        existing = db.session.scalar(sa.select(MealOrder).where(
            MealOrder.senior_id == senior.id, MealOrder.service_date == day, MealOrder.meal == MealType.LUNCH))
        if kind == "meal" and existing is not None:
            stop.meal_order = existing
        elif kind == "meal":
            stop.meal_order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=day, meal=MealType.LUNCH,
                                        mode=MealMode.DELIVERY, diet=senior.diet)
        else:
            stop.service_request = ServiceRequest(
                senior_id=senior.id, site_id=site.id, service_type=ServiceType.BATHING, requested_date=day,
                window_start=time(11), window_end=time(13), duration_minutes=45, status=RequestStatus.SCHEDULED)
        route.stops.append(stop)
    db.session.commit()
    return route


@pytest.fixture
def app_clock():
    """The app runs at NOON (and so the worker's 'today' is NOON's day in Shanghai)."""
    return FixedClock(NOON)


@pytest.fixture
def crew(app):
    """A site, a logged-in-able worker with a route of three meal stops (the second lives alone)."""
    site = create_site(timezone="Asia/Shanghai", hold_limit_minutes=45)
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    seniors = [create_senior(site=site, full_name="Wang Fang", access_notes="Gate code 1234"),
               create_senior(site=site, full_name="Chen Jianguo", lives_alone=True, allergies="peanuts"),
               create_senior(site=site, full_name="Li Na")]
    route = build_route(worker, seniors, site=site)
    return {"site": site, "user": user, "worker": worker, "seniors": seniors, "route": route,
            "stops": [s.id for s in route.stops]}


def post_tap(client, stop_id, **body):
    body.setdefault("client_id", uuid.uuid4().hex)
    body.setdefault("kind", "outcome")
    return client.post(f"/worker/api/stops/{stop_id}/events", json=body)


def fresh(model, id_):
    """The row as the database has it now (requests ran in their own sessions)."""
    db.session.expire_all()
    return db.session.get(model, id_)


def events(stop_id=None):
    db.session.expire_all()
    query = sa.select(StopEvent)
    if stop_id is not None:
        query = query.where(StopEvent.stop_id == stop_id)
    return list(db.session.scalars(query))


def test_the_route_page_lists_stops_with_tap_buttons_and_offline_minimum(client, crew):
    login_as(client, crew["user"])
    response = client.get("/worker/today")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wang Fang" in html and "Gate code 1234" in html
    assert 'name="outcome" value="delivered"' in html and 'name="concern" value="fall"' in html
    assert "Hot meal:" in html and "data-deadline=" in html
    assert 'id="offline-day"' in html
    # What the phone keeps offline: first names, door notes, diet flags; no address, surname or allergy text.
    data = client.get("/worker/api/today").get_json()
    stops = data["routes"][0]["stops"]
    assert [s["name"] for s in stops] == ["Wang", "Chen", "Li"]
    assert stops[0]["door"] == "Gate code 1234"
    flat = repr(data)
    assert "Lane" not in flat and "peanuts" not in flat and "Jianguo" not in flat


def test_delivered_is_recorded_once_however_often_it_is_replayed(client, crew):
    login_as(client, crew["user"])
    stop_id = crew["stops"][0]
    client_id = uuid.uuid4().hex
    answers = [post_tap(client, stop_id, client_id=client_id, outcome="delivered",
                        recorded_dt=(NOON - timedelta(minutes=3)).isoformat()) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.get_json()["replay"] for a in answers] == [False, True, True, True, True]
    assert {a.get_json()["event_id"] for a in answers} == {answers[0].get_json()["event_id"]}
    assert len(events(stop_id)) == 1
    stop = fresh(Stop, stop_id)
    assert stop.outcome == StopOutcome.DELIVERED
    # The server's receipt is the time of the outcome; the phone's time is kept as its claim.
    assert stop.outcome_dt == NOON
    assert events(stop_id)[0].claimed_dt == NOON - timedelta(minutes=3)
    assert stop.meal_order.status == MealOrderStatus.DELIVERED
    assert stop.route.plan.status == PlanStatus.IN_PROGRESS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "stop.outcome")) == 1


def test_two_devices_keep_both_records_and_the_latest_tap_wins(client, crew):
    login_as(client, crew["user"])
    stop_id = crew["stops"][0]
    # The newer tap arrives first; the older one (sent late from an offline phone) must not undo it.
    post_tap(client, stop_id, outcome="delivered", recorded_dt=(NOON - timedelta(minutes=1)).isoformat(),
             device="phone B")
    post_tap(client, stop_id, outcome="refused", recorded_dt=(NOON - timedelta(minutes=9)).isoformat(),
             device="phone A")
    assert sorted(e.device for e in events(stop_id)) == ["phone A", "phone B"]
    assert fresh(Stop, stop_id).outcome == StopOutcome.DELIVERED


def test_not_home_for_a_senior_living_alone_raises_a_welfare_alert_and_tells_the_family(client, crew):
    chen = crew["seniors"][1]
    create_user("family", seniors=[chen])
    login_as(client, crew["user"])
    answer = post_tap(client, crew["stops"][1], outcome="not_home", note="No answer, lights off")
    assert answer.status_code == 200
    alert = db.session.scalars(sa.select(WelfareAlert)).one()
    assert alert.kind == AlertKind.NOT_HOME_LIVES_ALONE and alert.status == AlertStatus.OPEN
    assert alert.stop_id == crew["stops"][1] and alert.site_id == crew["site"].id
    assert answer.get_json()["alerts"] == [alert.id]
    kinds = sorted(n.event.value for n in db.session.scalars(sa.select(Notification)))
    assert kinds == ["not_home", "welfare_alert"]
    # The same tap again raises nothing more.
    post_tap(client, crew["stops"][1], outcome="not_home")
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id))) == 1


def test_not_home_for_a_senior_with_company_raises_no_alert(client, crew):
    login_as(client, crew["user"])
    post_tap(client, crew["stops"][0], outcome="not_home")
    assert db.session.scalar(sa.select(sa.func.count(WelfareAlert.id))) == 0


def test_a_concern_raises_an_alert_at_any_stop(client, crew):
    login_as(client, crew["user"])
    answer = post_tap(client, crew["stops"][2], kind="concern", concern="fall", note="On the floor, conscious")
    assert answer.status_code == 200
    alert = db.session.scalars(sa.select(WelfareAlert)).one()
    assert (alert.kind, alert.severity.value) == (AlertKind.CONCERN, "high")
    assert fresh(Stop, crew["stops"][2]).outcome is None  # a concern is not an outcome


def test_a_visit_checks_in_and_out_with_tasks_and_completes_the_request(app, app_clock, client, crew):
    senior = crew["seniors"][0]
    route = build_route(crew["worker"], [senior], kind="visit", site=crew["site"])
    stop_id = route.stops[0].id
    login_as(client, crew["user"])
    assert post_tap(client, stop_id, kind="on_the_way").status_code == 200
    assert post_tap(client, stop_id, kind="check_in", recorded_dt=NOON.isoformat()).status_code == 200
    app_clock.advance(minutes=46)
    answer = post_tap(client, stop_id, kind="check_out", tasks_done=["bath", "skin_check"],
                      recorded_dt=(NOON + timedelta(minutes=45)).isoformat(), note="Skin fine")
    assert answer.status_code == 200
    stop = fresh(Stop, stop_id)
    assert stop.outcome == StopOutcome.COMPLETED and stop.outcome_note == "Skin fine"
    assert stop.arrival_dt == NOON and stop.departure_dt == NOON + timedelta(minutes=46)
    assert stop.service_request.status == RequestStatus.COMPLETED
    assert events(stop_id)[-1].tasks_done == ["bath", "skin_check"]


@pytest.mark.parametrize("body, field", [
    ({"outcome": "teleported"}, "outcome"),
    ({"kind": "dance", "outcome": "delivered"}, "kind"),
    ({"client_id": "x", "outcome": "delivered"}, "client_id"),
    ({"outcome": "delivered", "note": "a\x00b"}, "note"),
    ({"outcome": "delivered", "note": "n" * 2001}, "note"),
    ({"outcome": "delivered", "recorded_dt": "yesterday"}, "recorded_dt"),
    ({"outcome": "delivered", "recorded_dt": "2026-03-10T10:00:00"}, "recorded_dt"),
    ({"outcome": "completed"}, "outcome"),  # a visit outcome on a meal stop
    ({"kind": "check_in"}, "kind"),  # check-in is for visits
    ({"kind": "concern", "concern": "bored"}, "concern"),
    ({"outcome": "delivered", "tasks_done": "all"}, "tasks_done"),
])
def test_bad_taps_are_refused_with_the_field_and_change_nothing(client, crew, body, field):
    login_as(client, crew["user"])
    answer = post_tap(client, crew["stops"][0], **body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["field"] == field
    assert events() == []
    assert client.post(f"/worker/api/stops/{crew['stops'][0]}/events", data="not json",
                       content_type="application/json").status_code == 422


def test_a_phone_clock_in_the_future_counts_as_received_now(client, crew):
    login_as(client, crew["user"])
    answer = post_tap(client, crew["stops"][0], outcome="delivered",
                      recorded_dt=(NOON + timedelta(hours=3)).isoformat())
    assert events()[0].recorded_dt == NOON
    assert events()[0].claimed_dt == NOON + timedelta(hours=3)
    assert answer.get_json()["clock_flagged"] is True


def test_a_tap_id_reused_for_another_stop_is_refused(client, crew):
    login_as(client, crew["user"])
    client_id = uuid.uuid4().hex
    post_tap(client, crew["stops"][0], client_id=client_id, outcome="delivered")
    answer = post_tap(client, crew["stops"][1], client_id=client_id, outcome="delivered")
    assert answer.status_code == 422 and answer.get_json()["field"] == "client_id"


def test_the_form_post_without_javascript_records_once(client, crew):
    login_as(client, crew["user"])
    form = {"client_id": uuid.uuid4().hex, "outcome": "delivered", "note": ""}
    for _ in range(2):
        assert client.post(f"/worker/stops/{crew['stops'][0]}/tap", data=form).status_code == 303
    assert len(events()) == 1


# Privacy ------------------------------------------------------------------------------

def test_a_worker_gets_404_for_another_workers_stop_another_day_or_a_senior_record(client, crew):
    other = create_worker(site=crew["site"])
    others_route = build_route(other, [create_senior(site=crew["site"])], site=crew["site"])
    yesterday = build_route(crew["worker"], [crew["seniors"][2]], site=crew["site"], day=DAY - timedelta(days=1),
                            start=NOON - timedelta(days=1))
    draft = build_route(crew["worker"], [crew["seniors"][2]], site=crew["site"], kind="visit",
                        status=PlanStatus.DRAFT)
    login_as(client, crew["user"])
    for stop in (others_route.stops[0], yesterday.stops[0], draft.stops[0]):
        assert post_tap(client, stop.id, outcome="delivered").status_code == 404
        assert client.post(f"/worker/stops/{stop.id}/tap", data={"client_id": uuid.uuid4().hex,
                                                                 "outcome": "delivered"}).status_code == 404
    for bad in ("0", "-1", "99999999999", "abc"):
        assert post_tap(client, bad, outcome="delivered").status_code == 404
    assert events() == []
    # Other workers' seniors and other days never appear on the page.
    html = client.get("/worker/today").get_data(as_text=True)
    assert html.count("stop-pos") == 3
    # No page of the worker area shows a senior's record.
    senior_id = crew["seniors"][1].id
    assert client.get(f"/worker/seniors/{senior_id}").status_code == 404
    assert client.get(f"/staff/seniors/{senior_id}").status_code == 404


def test_a_replanned_stop_answers_404_on_the_old_version(client, crew):
    newer = build_route(crew["worker"], crew["seniors"][:1], site=crew["site"], version_number=2)
    login_as(client, crew["user"])
    assert post_tap(client, crew["stops"][0], outcome="delivered").status_code == 404
    assert post_tap(client, newer.stops[0].id, outcome="delivered").status_code == 200


def test_other_roles_cannot_post_taps(client, crew):
    family = create_user("family", seniors=[crew["seniors"][0]])
    login_as(client, family)
    assert post_tap(client, crew["stops"][0], outcome="delivered").status_code == 403
    client.post("/logout")


def test_the_service_worker_is_served_for_the_worker_scope(client):
    answer = client.get("/worker/sw.js")
    assert answer.status_code == 200 and "javascript" in answer.content_type
    assert "no-cache" in answer.headers["Cache-Control"]


def test_the_print_sheet_lists_the_route(client, crew):
    login_as(client, crew["user"])
    html = client.get("/worker/today/print").get_data(as_text=True)
    assert "Chen Jianguo" in html and "peanuts" in html and "Gate code 1234" in html


# Concurrency (PostgreSQL) ---------------------------------------------------------------

def test_twenty_concurrent_taps_on_one_stop_lose_none(app, crew):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole file)")
    from dispatch.models import User
    from dispatch.services.rounds import outcomes

    stop_id, user_id = crew["stops"][0], crew["user"].id
    client_ids = [uuid.uuid4().hex for _ in range(20)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def tap(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # all start together; the pool (15) then queues the rest
                stop = fresh(Stop, stop_id)
                user = db.session.get(User, user_id)
                outcomes.record(stop, outcomes.Tap.parse({
                    "client_id": client_ids[i], "outcome": "delivered" if i % 2 else "not_home",
                    "recorded_dt": (NOON - timedelta(seconds=i)).isoformat()}), by=user)
                db.session.commit()  # each thread is a request: the edge of its own unit
                # Every second thread also replays its tap at once.
                if i % 2:
                    outcomes.record(stop, outcomes.Tap.parse({"client_id": client_ids[i], "outcome": "delivered"}),
                                    by=user)
                    db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    assert sorted(e.client_id for e in events(stop_id)) == sorted(client_ids)
    # The latest tap by phone time (i = 0, "not home") is the stop's outcome.
    assert fresh(Stop, stop_id).outcome == StopOutcome.NOT_HOME
