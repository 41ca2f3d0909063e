"""Volunteer shifts: publish, sign up, cancel before and after the cutoff, substitutes offered first-come,
reminders through the outbox, and signed-up volunteers as the planner's workers for the day."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.notification import Notification, NotificationEvent
from dispatch.models.plan import PlanKind
from dispatch.models.volunteer_shift import OfferStatus, ShiftRole, ShiftSignup, SignupStatus
from dispatch.models.worker import Skill, WorkerKind, WorkerSkill
from dispatch.platform.errors import FieldError
from dispatch.services.planning.problem import shift_workers
from dispatch.services.volunteers import shifts
from tests.factories import create_site, create_user, create_worker, login_as

DAY = date(2030, 6, 1)  # a Saturday
# 09:00 in Shanghai is 01:00 UTC.
START_UTC = datetime(2030, 6, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(app):
    class W:
        pass

    w = W()
    w.site = create_site(name="North canteen", timezone="Asia/Shanghai", shift_cancel_cutoff_hours=24)
    w.staff = create_user("staff", sites=[w.site])

    def volunteer(name):
        user = create_user("worker", display_name=name)
        worker = create_worker(site=w.site, user=user, full_name=name, kind=WorkerKind.VOLUNTEER, capacity_meals=8)
        db.session.add(WorkerSkill(worker_id=worker.id, skill=Skill.MEAL_DELIVERY))
        db.session.commit()
        return worker

    w.volunteer = volunteer
    w.ann, w.bo, w.cy, w.di = (volunteer(n) for n in ("Ann", "Bo", "Cy", "Di"))
    with app.test_request_context():
        w.shift = shifts.publish_shift(site_id=w.site.id, service_date=DAY, start=time(9), end=time(13),
                                       role=ShiftRole.DRIVER, needed=2, by=w.staff, today=DAY - timedelta(days=10))
    db.session.commit()  # the service flushes; the fixture is the edge of its unit
    return w


def notifications(event):
    return list(db.session.scalars(sa.select(Notification).where(Notification.event == event)))


def test_sign_up_fills_places_and_no_more(app, world):
    early = START_UTC - timedelta(days=3)
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=early)
        shifts.sign_up(world.shift.id, world.bo, now=early)
        with pytest.raises(FieldError, match="full"):
            shifts.sign_up(world.shift.id, world.cy, now=early)
        with pytest.raises(FieldError, match="started"):
            shifts.sign_up(world.shift.id, world.cy, now=START_UTC)
    db.session.refresh(world.shift)
    assert {s.worker_id for s in world.shift.active_signups} == {world.ann.id, world.bo.id}


def test_a_cancellation_before_the_cutoff_offers_nothing(app, world):
    early = START_UTC - timedelta(days=3)
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=early)
        offers = shifts.cancel(world.shift.id, world.ann, now=early + timedelta(hours=1))
    assert offers == [] and notifications(NotificationEvent.SHIFT_OFFER) == []
    signup = db.session.scalar(sa.select(ShiftSignup))
    assert signup.status == SignupStatus.CANCELLED and not signup.late_cancel


def test_a_late_cancellation_offers_the_place_to_those_who_know_the_route_first(app, world):
    # Cy worked a shift at this site last month: Cy knows the route, Di does not.
    with app.test_request_context():
        past = shifts.publish_shift(site_id=world.site.id, service_date=DAY - timedelta(days=30), start=time(9),
                                    end=time(12), role=ShiftRole.DRIVER, needed=1, by=world.staff,
                                    today=DAY - timedelta(days=40))
        shifts.sign_up(past.id, world.cy, now=START_UTC - timedelta(days=40))
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
        shifts.sign_up(world.shift.id, world.bo, now=START_UTC - timedelta(days=3))
        late = START_UTC - timedelta(hours=5)
        offers = shifts.cancel(world.shift.id, world.ann, now=late)
    assert [(o.worker_id, o.knows_route) for o in offers] == [(world.cy.id, True)]
    sent = notifications(NotificationEvent.SHIFT_OFFER)
    assert {n.user_id for n in sent} == {world.cy.user_id} and sent[0].payload["site_name"] == "North canteen"
    with app.test_request_context():
        shifts.accept_offer(offers[0].id, world.cy, now=late + timedelta(minutes=10))
    db.session.refresh(world.shift)
    assert {s.worker_id for s in world.shift.active_signups} == {world.bo.id, world.cy.id}


def test_nobody_knows_the_route_so_the_site_is_asked_and_the_first_to_accept_gets_it(app, world):
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
        shifts.sign_up(world.shift.id, world.bo, now=START_UTC - timedelta(days=3))
        late = START_UTC - timedelta(hours=2)
        offers = {o.worker_id: o for o in shifts.cancel(world.shift.id, world.ann, now=late)}
        assert set(offers) == {world.cy.id, world.di.id}
        shifts.accept_offer(offers[world.di.id].id, world.di, now=late + timedelta(minutes=1))
        with pytest.raises(FieldError, match="already taken"):
            shifts.accept_offer(offers[world.cy.id].id, world.cy, now=late + timedelta(minutes=2))
        with pytest.raises(FieldError, match="does not exist"):
            shifts.accept_offer(offers[world.cy.id].id, world.di, now=late)
    for o in offers.values():
        db.session.refresh(o)
    assert {o.worker_id: o.status for o in offers.values()} == {world.di.id: OfferStatus.ACCEPTED,
                                                                  world.cy.id: OfferStatus.TAKEN}


def test_reminders_go_once_through_the_outbox(app, world):
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
        assert shifts.send_reminders(now=START_UTC - timedelta(hours=30)) == 0  # not within 24 h yet
        assert shifts.send_reminders(now=START_UTC - timedelta(hours=20)) == 1
        assert shifts.send_reminders(now=START_UTC - timedelta(hours=19)) == 0
    assert {n.user_id for n in notifications(NotificationEvent.SHIFT_REMINDER)} == {world.ann.user_id}


def test_reminder_command(app, runner, world):
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
    result = runner.invoke(args=["shifts", "remind", "--now", (START_UTC - timedelta(hours=3)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 reminder" in result.output


def test_the_planner_uses_who_signed_up_as_the_days_workers(app, world):
    with app.test_request_context():
        assert shift_workers(world.site, DAY, PlanKind.VISITS, None) == []
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
        found = shift_workers(world.site, DAY, PlanKind.VISITS, None)
        assert [(w.id, s.start_time, s.end_time) for w, s in found] == [(world.ann.id, time(9), time(13))]
        # A meal window inside the shift: Ann carries meals and can deliver them.
        meals = shift_workers(world.site, DAY, PlanKind.MEALS, (11 * 3600, 12 * 3600))
        assert [w.id for w, _ in meals] == [world.ann.id]
        assert shift_workers(world.site, DAY + timedelta(days=7), PlanKind.VISITS, None) == []
        shifts.cancel(world.shift.id, world.ann, now=START_UTC - timedelta(days=2))
        assert shift_workers(world.site, DAY, PlanKind.VISITS, None) == []


# Pages -----------------------------------------------------------------------------------------

def test_staff_publish_a_shift_and_volunteers_sign_up_and_cancel_from_their_page(app, client, world):
    login_as(client, world.staff)
    response = client.post(f"/staff/sites/{world.site.id}/shifts", data={
        "service_date": "2031-01-04", "start_time": "10:00", "end_time": "09:00", "role": "server", "needed": "3"})
    assert response.status_code == 422  # end before start, nothing published
    response = client.post(f"/staff/sites/{world.site.id}/shifts", data={
        "service_date": "2031-01-04", "start_time": "10:00", "end_time": "14:00", "role": "server", "needed": "3"})
    assert response.status_code == 302
    page = client.get(f"/staff/sites/{world.site.id}/shifts").get_data(as_text=True)
    assert "Server (canteen)" in page
    other_staff = app.test_client()
    login_as(other_staff, create_user("staff", sites=[create_site()]))
    assert other_staff.get(f"/staff/sites/{world.site.id}/shifts").status_code == 404

    volunteer = app.test_client()
    login_as(volunteer, world.ann.user)
    page = volunteer.get("/worker/shifts").get_data(as_text=True)
    assert page.count("Sign up") == 2
    new_id = max(s.id for s in db.session.scalars(sa.select(shifts.OpenShift)))
    assert volunteer.post(f"/worker/shifts/{new_id}/signup").status_code == 302
    page = volunteer.get("/worker/shifts", follow_redirects=True).get_data(as_text=True)
    assert "You are signed up" in page or "Cancel my place" in page
    assert volunteer.post(f"/worker/shifts/{new_id}/cancel").status_code == 302
    # A worker of another site cannot sign up for this site's shift.
    stranger = app.test_client()
    outsider = create_worker(site=create_site(), user=create_user("worker"))
    login_as(stranger, outsider.user)
    stranger.post(f"/worker/shifts/{new_id}/signup")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftSignup)
                             .where(ShiftSignup.worker_id == outsider.id)) == 0


def test_staff_set_the_sites_late_cancellation_cutoff(app, client, world):
    login_as(client, world.staff)
    page = client.get(f"/staff/sites/{world.site.id}/edit").get_data(as_text=True)
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    form.update({k: v for k, v in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"',
                                              page, re.S)})
    form["shift_cancel_cutoff_hours"] = "200"
    assert client.post(f"/staff/sites/{world.site.id}/edit", data=form).status_code == 422
    form["shift_cancel_cutoff_hours"] = "6"
    assert client.post(f"/staff/sites/{world.site.id}/edit", data=form).status_code == 302
    db.session.refresh(world.site)
    assert world.site.shift_cancel_cutoff_hours == 6
    # Cancelling 10 h before is no longer late: no offers.
    with app.test_request_context():
        shifts.sign_up(world.shift.id, world.ann, now=START_UTC - timedelta(days=3))
        assert shifts.cancel(world.shift.id, world.ann, now=START_UTC - timedelta(hours=10)) == []
