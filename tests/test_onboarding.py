"""Worker onboarding: an invitation link (hashed, single use, expiring) makes the volunteer's login and sets
their travel mode; certificates unlock skills and an expired one takes the skill out of planning."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.onboarding import WorkerInvitation
from dispatch.models.plan import PlanKind
from dispatch.models.site import TravelMode
from dispatch.models.user import User
from dispatch.models.worker import Skill, WorkerKind, WorkerShift
from dispatch.services.planning.problem import build_problem
from dispatch.services.volunteers import onboarding
from tests import testclock
from tests.factories import create_site, create_user, create_worker, login_as

PASSWORD = "a long volunteer password 42"


def test_a_volunteer_joins_by_link_once(app, client):
    site = create_site(name="North canteen")
    staff = create_user("staff", sites=[site])
    worker = create_worker(site=site, full_name="Mei", kind=WorkerKind.VOLUNTEER)
    login_as(client, staff)
    page = client.post(f"/staff/workers/{worker.id}/onboarding",
                       data={"action": "invite", "invite-email": "mei@example.org"}).get_data(as_text=True)
    link = re.search(r'<code class="invite-link">([^<]+)</code>', page).group(1)
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(sa.select(WorkerInvitation))
    assert stored.token_hash != token and token not in stored.token_hash  # only the hash is kept
    client.get("/logout")

    volunteer = app.test_client()
    assert volunteer.get(f"/worker/join/{token}").status_code == 200
    bad = volunteer.post(f"/worker/join/{token}", data={"display_name": "Mei", "password": PASSWORD,
                                                       "password_confirm": "different", "travel_mode": "walk"})
    assert bad.status_code == 422
    ok = volunteer.post(f"/worker/join/{token}", data={"display_name": "Mei", "password": PASSWORD,
                                                      "password_confirm": PASSWORD, "travel_mode": "walk"})
    assert ok.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "mei@example.org"))
    worker = db.session.get(type(worker), worker.id)
    assert worker.user_id == user.id and user.has_role("worker") and worker.travel_mode == TravelMode.WALK
    assert volunteer.get(f"/worker/join/{token}").status_code == 410  # spent
    assert volunteer.get("/worker/join/not-a-token").status_code == 410


def test_an_expired_link_is_refused(app, client):
    site = create_site()
    worker = create_worker(site=site)
    staff = create_user("staff", sites=[site])
    then = testclock.now() - timedelta(days=30)
    with app.test_request_context():
        _inv, token = onboarding.invite(worker, "late@example.org", by=staff, now=then)
    db.session.commit()  # the service flushes; this test is the edge of its unit
    response = client.get(f"/worker/join/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_other_sites_staff_cannot_onboard_the_worker(app, client):
    worker = create_worker(site=create_site())
    login_as(client, create_user("staff", sites=[create_site()]))
    assert client.get(f"/staff/workers/{worker.id}/onboarding").status_code == 404


def test_a_certificate_unlocks_the_skill_and_its_expiry_takes_it_out_of_planning(app, client):
    site = create_site()
    staff = create_user("staff", sites=[site])
    worker = create_worker(site=site, kind=WorkerKind.CAREGIVER)
    day = date(2030, 6, 3)  # Monday
    db.session.add(WorkerShift(worker_id=worker.id, site_id=site.id, weekday=day.weekday(), start_time=time(8),
                               end_time=time(16)))
    db.session.commit()
    login_as(client, staff)
    response = client.post(f"/staff/workers/{worker.id}/onboarding", data={
        "action": "certificate", "cert-skill": "bathing", "cert-name": "Red Cross bathing course",
        "cert-issued_on": "2029-01-01", "cert-expires_on": "2030-12-31"})
    assert response.status_code == 302
    db.session.expire_all()
    worker = db.session.get(type(worker), worker.id)
    assert Skill.BATHING in worker.skill_values
    assert Skill.BATHING in onboarding.skills_on(worker, day)
    assert Skill.BATHING not in onboarding.skills_on(worker, date(2031, 1, 1))
    with app.test_request_context():
        valid = build_problem(site, day, PlanKind.VISITS, None, travel=None)
        later = date(2031, 1, 6)  # a Monday after the expiry
        expired = build_problem(site, later, PlanKind.VISITS, None)
    assert "bathing" in valid.problem.workers[0].skills
    assert "bathing" not in expired.problem.workers[0].skills
    # A bad certificate (expiry before issue) is refused and changes nothing.
    response = client.post(f"/staff/workers/{worker.id}/onboarding", data={
        "action": "certificate", "cert-skill": "nursing", "cert-name": "Licence",
        "cert-issued_on": "2029-01-01", "cert-expires_on": "2028-12-31"})
    assert response.status_code == 422
    db.session.expire_all()
    assert Skill.NURSING not in db.session.get(type(worker), worker.id).skill_values
