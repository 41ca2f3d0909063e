"""Family portal: join by invitation, ask for a visit, follow it, be told; refusals change nothing."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    EnrollmentRequest,
    MealHold,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
    RequestStatus,
    Route,
    ServiceRequest,
    Stop,
    StopKind,
    StopOutcome,
    WelfareAlert,
)
from dispatch.models.types import utcnow
from dispatch.platform import clock
from dispatch.services.care import family_requests
from dispatch.services.family import invitations, notifications
from tests.factories import create_senior, create_site, create_user, create_worker, login_as
from tests.test_notifications import mail_app, smtp  # noqa: F401  (fixtures)


def _tomorrow(site) -> date:
    return utcnow().astimezone(clock.zone_of(site)).date() + timedelta(days=1)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _request_form(senior, when, **overrides):
    data = {"senior_id": senior.id, "service": "bathing", "day": when.isoformat(), "window_start": "14:00",
            "window_end": "16:00", "notes": "She prefers a female caregiver", "idempotency_key": "key-abcdef-123"}
    data.update(overrides)
    return data


def test_join_request_approve_schedule_email_and_outcome(mail_app, smtp):  # noqa: F811
    """The issue's walk-through, end to end."""
    from dispatch.services.care import requests as staff_requests

    client = mail_app.test_client()
    site = create_site()
    senior = create_senior(site, full_name="Zhang Wei")
    staff = create_user("staff", sites=[site])
    _inv, token = invitations.invite(senior, "Daughter@Example.org", "daughter", by=staff)
    db.session.commit()  # the test is the edge: services only flush

    # Join: set a name and password; the account follows Zhang Wei at once.
    response = client.post(f"/family/join/{token}", data={
        "display_name": "Zhang Li", "password": "a long family password 1", "password_confirm": "a long family password 1"})
    assert response.status_code == 302, response.text
    assert client.get(f"/family/seniors/{senior.id}").status_code == 200

    # Ask for a bath tomorrow afternoon.
    day = _tomorrow(site)
    page = client.get(f"/family/request?senior_id={senior.id}")
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page.text) or \
        re.search(r'value="([^"]+)"[^>]*name="idempotency_key"', page.text)
    assert key, "the form carries an idempotency key"
    data = _request_form(senior, day, idempotency_key=key.group(1))
    assert client.post("/family/request", data=data).status_code == 302
    assert client.post("/family/request", data=data).status_code == 302  # a double tap
    req = db.session.scalars(sa.select(ServiceRequest)).one()
    assert (req.service_type, req.requested_date, req.status, req.priority) == ("bathing", day, "requested", 3)

    # Staff approve and schedule (the publish step calls mark_scheduled and emits visit_scheduled).
    staff_requests.approve(req, version=req.version, by=staff)  # queues and sends "request approved"
    db.session.commit()  # the test is the edge: services only flush
    worker = create_worker(site)
    plan = Plan(site_id=site.id, service_date=day, kind=PlanKind.VISITS, status=PlanStatus.PUBLISHED)
    db.session.add(plan)
    db.session.flush()
    route = Route(plan_id=plan.id, worker_id=worker.id, position=0)
    db.session.add(route)
    db.session.flush()
    zone = clock.zone_of(site)
    eta = datetime.combine(day, time(14, 30), tzinfo=zone)
    stop = Stop(route_id=route.id, position=0, kind=StopKind.VISIT, senior_id=senior.id, service_request_id=req.id,
                window_start_dt=datetime.combine(day, time(14), tzinfo=zone),
                window_end_dt=datetime.combine(day, time(16), tzinfo=zone), eta_dt=eta)
    db.session.add(stop)
    staff_requests.mark_scheduled([req], by=staff)
    notifications.emit_for_request("visit_scheduled", req, eta_start="14:15", eta_end="14:45")
    db.session.commit()
    assert notifications.deliver_pending().sent == 1  # the approval went out right after its commit

    subjects = [m["Subject"] for rcpt, m in smtp.messages if rcpt == ["daughter@example.org"]]
    assert any("approved" in s for s in subjects) and any("scheduled" in s for s in subjects)
    page = client.get(f"/family/seniors/{senior.id}").text
    assert "Scheduled" in page and re.search(r"Expected 2:15\u202fPM\D{0,12}2:45\u202fPM", page)  # the ETA window

    # The visit happens.
    stop.outcome, stop.outcome_note, stop.outcome_dt = StopOutcome.COMPLETED, "bath done, skin check fine", utcnow()
    for status in (RequestStatus.EN_ROUTE, RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED):
        req.status = status
    db.session.commit()
    page = client.get(f"/family/seniors/{senior.id}").text
    assert "Completed" in page and "bath done, skin check fine" in page
    assert worker.full_name not in page  # the family sees what happened, not who the staff sent
    assert "priority" not in page.lower()


@pytest.fixture
def family(app, client):
    site = create_site()
    senior = create_senior(site)
    user = create_user("family", seniors=[senior])
    login_as(client, user)
    return user, senior, site


@pytest.mark.parametrize("changes, field", [
    ({"day": "2001-01-01"}, "day"),
    ({"day": "FAR"}, "day"),
    ({"window_start": "16:00", "window_end": "14:00"}, "window_end"),
    ({"window_start": "05:00", "window_end": "06:30"}, "window_start"),
    ({"day": "TODAY", "window_start": "19:00", "window_end": "20:00"}, "day"),  # inside a 24 h cutoff (or past)
    ({"service": "teleportation"}, "service"),
    ({"window_start": "", "window_end": ""}, "window_start"),
    ({"notes": "x" * 1001}, "notes"),
    ({"idempotency_key": "!"}, None),
])
def test_bad_requests_are_refused_and_create_nothing(family, client, changes, field):
    user, senior, site = family
    if changes.get("day") == "TODAY":
        # With a 24-hour cutoff, today's evening is inside it at any hour the test runs.
        site.request_cutoff_hours = 24
        db.session.commit()
    today = utcnow().astimezone(clock.zone_of(site)).date()
    changes = {k: {"FAR": (today + timedelta(days=61)).isoformat(), "TODAY": today.isoformat()}.get(v, v)
               for k, v in changes.items()}
    response = client.post("/family/request", data=_request_form(senior, today + timedelta(days=2), **changes))
    assert response.status_code == 422
    if field:
        assert f'id="{field}-error"' in response.text
    assert _count(ServiceRequest) == 0


def test_another_seniors_id_is_refused(family, client):
    _user, senior, site = family
    other = create_senior(site)
    assert client.get(f"/family/seniors/{other.id}").status_code == 404
    response = client.post("/family/request", data=_request_form(other, _tomorrow(site) + timedelta(days=1)))
    assert response.status_code == 422  # not among the choices
    assert client.post(f"/family/seniors/{other.id}/pause",
                       data={"start": _tomorrow(site).isoformat(), "end": _tomorrow(site).isoformat()}).status_code == 404
    stranger = create_user("family", seniors=[other])
    theirs = family_requests.submit(stranger, other, service="cleaning", day=_tomorrow(site) + timedelta(days=2),
                                    start=time(9), end=time(12), idempotency_key="their-key-0001")
    db.session.commit()  # the test is the edge: services only flush
    assert client.post(f"/family/requests/{theirs.id}/cancel").status_code == 404
    assert client.get(f"/family/requests/{theirs.id}/reschedule").status_code == 404
    assert _count(ServiceRequest) == 1 and _count(MealHold) == 0


def test_emergency_is_urgent_to_staff_at_once(family, client):
    user, senior, site = family
    staff = create_user("staff", sites=[site])
    today = utcnow().astimezone(clock.zone_of(site)).date()
    response = client.post("/family/request", data=_request_form(
        senior, today, service="emergency_assistance", window_start="07:00", window_end="20:00"))
    # Late in the evening the whole of today's window may have passed; then it is refused.
    if response.status_code == 422:
        assert "already passed" in response.text
        return
    req = db.session.scalars(sa.select(ServiceRequest)).one()
    assert req.priority == 1 and req.service_type == "emergency_assistance"
    assert db.session.scalars(sa.select(WelfareAlert)).one().severity == "high"
    assert db.session.scalar(sa.select(Notification.user_id).where(Notification.event == "staff_urgent_request")) == staff.id


def test_meal_delivery_becomes_an_enrollment_request(family, client):
    _user, senior, site = family
    staff = create_user("staff", sites=[site])
    response = client.post("/family/request", data=_request_form(senior, _tomorrow(site), service="meal_delivery",
                                                                 window_start="", window_end=""))
    assert response.status_code == 302
    assert _count(ServiceRequest) == 0
    ask = db.session.scalars(sa.select(EnrollmentRequest)).one()
    assert ask.senior_id == senior.id and ask.status == "open"
    assert db.session.scalar(sa.select(Notification.user_id)) == staff.id


def test_cancel_and_reschedule_until_the_cutoff(family, client):
    user, senior, site = family
    other_relative = create_user("family", seniors=[senior])
    day = _tomorrow(site) + timedelta(days=3)
    req = family_requests.submit(user, senior, service="cleaning", day=day, start=time(9), end=time(12),
                                 idempotency_key="cleaning-key-1")
    db.session.commit()  # the test is the edge: services only flush
    response = client.post(f"/family/requests/{req.id}/reschedule", data={
        "day": (day + timedelta(days=1)).isoformat(), "window_start": "10:00", "window_end": "12:00",
        "version": req.version})
    assert response.status_code == 302
    db.session.refresh(req)
    assert req.requested_date == day + timedelta(days=1) and req.window_start == time(10)
    assert client.post(f"/family/requests/{req.id}/cancel", data={"version": req.version}).status_code == 302
    db.session.refresh(req)
    assert req.status == "cancelled"
    # The other relative is told; the one who cancelled is not.
    assert db.session.scalars(sa.select(Notification.user_id).where(
        Notification.event == "request_cancelled")).all() == [other_relative.id]

    # Within the cutoff: refused, unchanged.
    soon = family_requests.submit(user, senior, service="companionship", day=day, start=time(9), end=time(12),
                                  idempotency_key="companion-key-1")
    db.session.commit()  # the test is the edge: services only flush
    late = datetime.combine(day, time(1), tzinfo=clock.zone_of(site)).astimezone(timezone.utc)
    with client.application.test_request_context(), pytest.raises(family_requests.FieldError):
        family_requests.cancel(soon, by=user, now=late)
    db.session.rollback()
    db.session.refresh(soon)
    assert soon.status == "requested"


def test_pause_and_resume_meals(family, client):
    _user, senior, site = family
    start = _tomorrow(site) + timedelta(days=1)
    data = {"start": start.isoformat(), "end": (start + timedelta(days=4)).isoformat(), "reason": "In hospital"}
    assert client.post(f"/family/seniors/{senior.id}/pause", data=data).status_code == 302
    assert client.post(f"/family/seniors/{senior.id}/pause", data=data).status_code == 422  # overlaps
    bad = {"start": start.isoformat(), "end": (start - timedelta(days=1)).isoformat()}
    assert client.post(f"/family/seniors/{senior.id}/pause", data=bad).status_code == 422
    hold = db.session.scalars(sa.select(MealHold)).one()
    assert "In hospital" in client.get(f"/family/seniors/{senior.id}").text
    assert client.post(f"/family/holds/{hold.id}/resume").status_code == 302
    assert _count(MealHold) == 0  # not started yet: removed


def test_family_page_hides_staff_only_facts(family, client):
    _user, senior, site = family
    senior.access_notes = "Gate code 4711"
    db.session.commit()
    page = client.get(f"/family/seniors/{senior.id}").text
    assert "4711" not in page


def test_coming_meals_show_what_the_standing_order_books_before_the_site_orders(family, client):
    """Sites make orders day by day; a family still sees the week: ordered, booked, paused, and no meal on
    a day the enrollment skips."""
    from dispatch.models import MealEnrollment
    from dispatch.models.meals import ALL_WEEKDAYS, MealMode
    from dispatch.models.site import MealType
    from dispatch.services.family.overview import senior_overview
    from dispatch.services.meals import orders

    _user, senior, site = family
    today = utcnow().astimezone(clock.zone_of(site)).date()
    day = [today + timedelta(days=k) for k in range(7)]
    db.session.add(MealEnrollment(senior_id=senior.id, site_id=site.id, meal=MealType.LUNCH, mode=MealMode.DELIVERY,
                                  weekdays=ALL_WEEKDAYS & ~(1 << day[1].weekday()), start_date=today))
    db.session.add(MealHold(senior_id=senior.id, start_date=day[2], end_date=day[3], reason="Visiting her son"))
    db.session.commit()
    orders.generate_orders(site, today)
    db.session.commit()  # the test is the edge: services only flush

    coming = senior_overview(senior).coming_meals
    seen = [(c.service_date, c.order.status.value if c.order else None, c.paused) for c in coming]
    assert seen == [(day[0], "ordered", False), (day[2], None, True), (day[3], None, True),
                    (day[4], None, False), (day[5], None, False), (day[6], None, False)]
    page = client.get(f"/family/seniors/{senior.id}").text
    assert page.count(">Booked<") == 3 and "the site confirms each day" in page
    assert "No meals in the coming days" not in page

    senior.is_active = False  # no longer served: nothing is booked for them
    db.session.commit()
    assert [c.order is not None for c in senior_overview(senior).coming_meals] == [True]


def test_a_meal_past_its_planned_time_shows_as_running_late_until_its_outcome(family, client):
    """A family waiting at the door is told the meal is late (the board shows staff the same stop as late)."""
    from dispatch.models import MealOrder
    from dispatch.models.meals import MealMode
    from dispatch.models.site import MealType
    from dispatch.services.family.overview import senior_overview

    _user, senior, site = family
    zone = clock.zone_of(site)
    day = _tomorrow(site)
    order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=day, meal=MealType.LUNCH,
                      mode=MealMode.DELIVERY, diet="regular")
    plan = Plan(site_id=site.id, service_date=day, kind=PlanKind.MEALS, meal=MealType.LUNCH,
                status=PlanStatus.PUBLISHED)
    db.session.add_all([order, plan])
    db.session.flush()
    route = Route(plan_id=plan.id, worker_id=create_worker(site).id, position=0)
    db.session.add(route)
    db.session.flush()
    stop = Stop(route_id=route.id, position=0, kind=StopKind.MEAL, senior_id=senior.id, meal_order_id=order.id,
                window_start_dt=datetime.combine(day, time(11), tzinfo=zone),
                window_end_dt=datetime.combine(day, time(12, 30), tzinfo=zone),
                eta_dt=datetime.combine(day, time(11, 30), tzinfo=zone))
    db.session.add(stop)
    db.session.commit()

    def seen_at(hour, minute):
        return senior_overview(senior, now=lambda: datetime.combine(day, time(hour, minute), tzinfo=zone))

    assert seen_at(11, 0).late_orders == set() and order.id in seen_at(11, 0).meal_etas
    assert seen_at(11, 40).late_orders == {order.id}
    stop.outcome, stop.outcome_dt = StopOutcome.DELIVERED, datetime.combine(day, time(11, 45), tzinfo=zone)
    db.session.commit()
    assert seen_at(11, 50).late_orders == set()

    # Today, the page says so in words, not colour alone.
    now = utcnow().astimezone(zone)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today_order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=now.date(), meal=MealType.LUNCH,
                            mode=MealMode.DELIVERY, diet="regular")
    today_plan = Plan(site_id=site.id, service_date=now.date(), kind=PlanKind.MEALS, meal=MealType.LUNCH,
                      status=PlanStatus.PUBLISHED)
    db.session.add_all([today_order, today_plan])
    db.session.flush()
    today_route = Route(plan_id=today_plan.id, worker_id=route.worker_id, position=0)
    db.session.add(today_route)
    db.session.flush()
    db.session.add(Stop(route_id=today_route.id, position=0, kind=StopKind.MEAL, senior_id=senior.id,
                        meal_order_id=today_order.id, window_start_dt=midnight, window_end_dt=now + timedelta(hours=1),
                        eta_dt=now - min(timedelta(minutes=1), (now - midnight) / 2)))
    db.session.commit()
    page = client.get(f"/family/seniors/{senior.id}").text
    assert "Running late" in page and "following it up" in page
