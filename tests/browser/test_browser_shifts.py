"""A volunteer signs up for a shift on a phone; their late cancellation offers the place to a substitute
who knows the route, who accepts it on their phone."""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.extensions import db
from dispatch.models.volunteer_shift import OpenShift, ShiftRole, ShiftSignup, SignupStatus
from dispatch.models.worker import WorkerKind
from tests import testclock
from tests.browser.conftest import no_horizontal_overflow
from tests.factories import create_site, create_user, create_worker

pytestmark = pytest.mark.browser


def test_sign_up_then_a_late_cancellation_offers_the_shift_to_a_substitute(
        app, live_server, new_page, log_in, screenshot):
    # Every cancellation is late here (a week's cutoff), so the place is offered at once.
    site = create_site(name="East canteen", timezone="Asia/Shanghai", shift_cancel_cutoff_hours=168)
    today = testclock.now(ZoneInfo("Asia/Shanghai")).date()
    shift = OpenShift(site_id=site.id, service_date=today + timedelta(days=2), start_time=time(9),
                      end_time=time(13), role=ShiftRole.DRIVER, needed=1)
    past = OpenShift(site_id=site.id, service_date=today - timedelta(days=20), start_time=time(9),
                     end_time=time(13), role=ShiftRole.DRIVER, needed=1)
    db.session.add_all([shift, past])
    db.session.commit()
    ann = create_worker(site=site, user=create_user("worker", display_name="Ann"), full_name="Ann Volunteer",
                        kind=WorkerKind.VOLUNTEER)
    cy = create_worker(site=site, user=create_user("worker", display_name="Cy"), full_name="Cy Volunteer",
                       kind=WorkerKind.VOLUNTEER)
    db.session.add(ShiftSignup(shift_id=past.id, worker_id=cy.id, status=SignupStatus.SIGNED_UP))  # knows the route
    db.session.commit()

    phone = new_page(phone=True)
    log_in(phone, ann.user)
    phone.goto(live_server + "/worker/shifts")
    phone.get_by_role("button", name="Sign up").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("You are signed up").is_visible()
    mine = phone.locator("section", has=phone.get_by_role("heading", name="My shifts"))
    assert mine.get_by_text("East canteen").is_visible()
    assert phone.get_by_text("Late to cancel:").is_visible()
    scroll_width, width = no_horizontal_overflow(phone)
    assert scroll_width <= width
    screenshot(phone, "shifts-signed-up")
    phone.get_by_role("button", name="Cancel my place").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Your place is being offered to others").is_visible()

    substitute = new_page(phone=True)
    log_in(substitute, cy.user)
    substitute.goto(live_server + "/worker/shifts")
    offers = substitute.locator("section", has=substitute.get_by_role("heading", name="Someone needs a substitute"))
    assert offers.get_by_text("East canteen").is_visible()
    screenshot(substitute, "shifts-offer")
    offers.get_by_role("button", name="Accept this shift").click()
    substitute.wait_for_load_state()
    assert substitute.get_by_text("The shift is yours").is_visible()
    db.session.expire_all()
    assert [s.worker_id for s in db.session.get(OpenShift, shift.id).active_signups] == [cy.id]
