"""The home visit's record on a 360 px phone at 200 % text: every control labelled, nothing wider than the
screen, and a record made offline is kept on the phone and stored once when the connection returns."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import ServiceType, Stop, StopOutcome
from dispatch.models.types import utcnow
from dispatch.models.visitation import FollowUp, VisitRecord
from tests.browser.conftest import inputs_without_label, no_horizontal_overflow
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import build_route

pytestmark = pytest.mark.browser
LARGE_TEXT = "document.documentElement.style.fontSize = '200%'"


@pytest.fixture
def visit_day(app):
    site = create_site(timezone="Asia/Shanghai")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    senior = create_senior(site=site, full_name="Ouyang Xiaoling-Fairweather", lives_alone=True)
    now = utcnow()
    route = build_route(worker, [senior], site=site, kind="visit",
                        day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(), start=now - timedelta(minutes=20),
                        window_minutes=120)
    route.stops[0].service_request.service_type = ServiceType.HOME_VISITATION
    db.session.commit()
    return {"user": user, "stop": route.stops[0].id}


def test_the_visit_record_fits_a_phone_and_survives_a_lost_connection(live_server, new_page, log_in, visit_day,
                                                                      screenshot):
    stop_id = visit_day["stop"]
    phone = new_page(phone=True)
    log_in(phone, visit_day["user"])
    phone.goto(live_server + "/worker/today")
    screenshot(phone, "visit-record-form")
    form = phone.locator(f"#stop-{stop_id} form.visit-record-form")
    assert not form.is_visible()  # folded until the visitor checks in or opens it: ten items are two screens
    phone.locator(f"#stop-{stop_id} details.visit-record > summary").click()
    phone.evaluate(LARGE_TEXT)
    assert form.is_visible()
    for item in form.locator("details.vr-item").all():  # every item open: the widest the form gets
        item.locator("summary").click()
    scroll, width = no_horizontal_overflow(phone)
    assert scroll <= width, (scroll, width)
    assert inputs_without_label(phone) == []
    screenshot(phone, "visit-record-form-large-text")

    phone.context.set_offline(True)
    form.locator("input[name=seen][value=yes]").check()
    form.locator("input[name=item-food][value=concern]").check()
    form.locator("textarea[name=note-food]").fill("Fridge nearly empty")
    form.locator("input[name=item-health_mood][value=fine]").check()
    form.locator("button[type=submit]").click()
    phone.locator("#sync-status", has_text="1 waiting to send").wait_for()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRecord)) == 0
    phone.context.set_offline(False)
    phone.locator("#sync-status", has_text="All taps sent.").wait_for(timeout=20_000)

    db.session.expire_all()
    records = db.session.scalars(sa.select(VisitRecord)).all()
    assert len(records) == 1 and records[0].seen
    assert records[0].items["food"] == {"status": "concern", "note": "Fridge nearly empty", "confidential": False}
    assert db.session.get(Stop, stop_id).outcome == StopOutcome.COMPLETED
    assert db.session.scalar(sa.select(FollowUp)).finding == "Fridge nearly empty"
    assert "Visit recorded: seen" in phone.locator(f"#stop-{stop_id} [data-status]").inner_text()


def test_the_staff_follow_up_pages_fit_a_phone_at_double_text(live_server, new_page, log_in, visit_day, app):
    from dispatch.services.visitation import records

    staff = create_user("staff", sites=[db.session.get(Stop, visit_day["stop"]).route.plan.site])
    with app.test_request_context():
        result = records.record_visit(db.session.get(Stop, visit_day["stop"]), {
            "client_id": "browser-record-1", "seen": True, "notes": "Her son has not called in weeks.",
            "items": {"food": {"status": "concern", "note": "Fridge empty"},
                      "gas_fire": {"status": "emergency", "note": "Smell of gas in the kitchen"}}},
            by=visit_day["user"]).result
        db.session.commit()
    phone = new_page(phone=True)
    log_in(phone, staff)
    for path in ("/staff/follow-ups", f"/staff/follow-ups/{result['follow_ups'][0]}",
                 f"/staff/visit-records/{result['record_id']}"):
        phone.goto(live_server + path)
        phone.evaluate(LARGE_TEXT)
        scroll, width = no_horizontal_overflow(phone)
        assert scroll <= width, (path, scroll, width)
        assert inputs_without_label(phone) == [], path
