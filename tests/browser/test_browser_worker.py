"""The worker's phone page in a real browser at 360×740: taps, a welfare alert on the staff board,
taps made offline and synced exactly once, and an accessibility check with axe-core.

``vendor/axe.min.js`` is axe-core from npm (``npm pack axe-core``), a test asset only.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import AlertKind, Stop, StopEvent, StopOutcome, WelfareAlert
from dispatch.models.types import utcnow
from tests.browser.conftest import no_horizontal_overflow
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import build_route

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def today_route(app):
    """A worker with three meal stops today (real clock); the second senior lives alone."""
    site = create_site(timezone="Asia/Shanghai")
    worker_user = create_user("worker")
    worker = create_worker(site=site, user=worker_user)
    seniors = [create_senior(site=site, full_name="Wang Fang", access_notes="Gate code 1234"),
               create_senior(site=site, full_name="Chen Jianguo", lives_alone=True),
               create_senior(site=site, full_name="Li Na", allergies="peanuts")]
    now = utcnow()
    route = build_route(worker, seniors, site=site, day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                        start=now - timedelta(minutes=20), window_minutes=90)
    staff = create_user("staff", sites=[site])
    return {"worker_user": worker_user, "staff": staff, "stops": [s.id for s in route.stops], "site": site}


def stored_events() -> list[StopEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(StopEvent).order_by(StopEvent.id)))


def tap(page, stop_id: int, value: str) -> None:
    """Press a stop's button: a done stop is opened first, a rarer outcome from "Other outcome"."""
    item = page.locator(f"#stop-{stop_id}")
    if "is-collapsed" in (item.get_attribute("class") or ""):
        item.locator(".stop-toggle").click()
    button = item.locator(f"button[value={value}]")
    if not button.is_visible():
        item.locator("details.more-outcomes > summary").click()
    button.click()


def serious_violations(page) -> list[str]:
    # Evaluated through DevTools rather than added as a <script>: the pages' CSP (rightly) refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
    }""")
    return found


def test_a_worker_records_outcomes_raises_an_alert_and_syncs_offline_taps_once(
        live_server, new_page, log_in, today_route, screenshot):
    stops = today_route["stops"]
    phone = new_page(phone=True)
    log_in(phone, today_route["worker_user"])
    phone.goto(live_server + "/worker/today")
    assert phone.get_by_role("heading", name="Wang Fang").is_visible()
    scroll_width, width = no_horizontal_overflow(phone)
    assert scroll_width <= width

    # One tap: delivered.
    tap(phone, stops[0], "delivered")
    phone.locator("#sync-status", has_text="All taps sent.").wait_for()
    phone.locator(f"#stop-{stops[0]} [data-status]", has_text="saved").wait_for()
    assert [(e.stop_id, e.outcome) for e in stored_events()] == [(stops[0], StopOutcome.DELIVERED)]

    # Not home for a senior living alone: an alert on the staff board.
    tap(phone, stops[1], "not_home")
    phone.locator(f"#stop-{stops[1]} [data-status]", has_text="saved").wait_for()
    db.session.expire_all()
    alert = db.session.scalars(sa.select(WelfareAlert)).one()
    assert alert.kind == AlertKind.NOT_HOME_LIVES_ALONE
    board = new_page()
    log_in(board, today_route["staff"])
    board.goto(live_server + f"/staff/board?site={today_route['site'].id}")
    board.locator(f"#alert-{alert.id}", has_text="Chen Jianguo").wait_for()

    # Offline: two taps wait on the phone, then go exactly once when the connection returns.
    phone.context.set_offline(True)
    phone.locator(f"#stop-{stops[2]} details.note-box > summary").click()
    phone.locator(f"#stop-{stops[2]} textarea").fill("Says she is not hungry")
    tap(phone, stops[2], "refused")
    tap(phone, stops[0], "hospitalised")
    phone.locator("#sync-status", has_text="2 waiting to send").wait_for()
    assert phone.locator("#sync-queue li").count() == 2
    screenshot(phone, "worker-offline-queue")
    assert len(stored_events()) == 2
    phone.context.set_offline(False)
    phone.locator("#sync-status", has_text="All taps sent.").wait_for(timeout=20_000)
    events = stored_events()
    assert len(events) == 4
    assert len({e.client_id for e in events}) == 4
    db.session.expire_all()
    assert db.session.get(Stop, stops[2]).outcome == StopOutcome.REFUSED
    assert db.session.get(Stop, stops[0]).outcome == StopOutcome.HOSPITALISED
    # A reload sends nothing again (and, having sent nothing, claims nothing).
    phone.reload()
    assert phone.locator("#sync-status").inner_text().strip() == ""
    assert len(stored_events()) == 4
    assert db.session.get(Stop, stops[2]).outcome_note == "Says she is not hungry"
    # What the phone keeps offline holds no surnames or health details.
    kept = phone.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "Wang" in kept and "Fang" not in kept and "peanuts" not in kept


def test_worker_pages_have_no_serious_accessibility_violations(live_server, new_page, log_in, today_route):
    phone = new_page(phone=True)
    log_in(phone, today_route["worker_user"])
    for path in ("/worker/today", "/worker/today/print", "/worker/offline"):
        phone.goto(live_server + path)
        assert serious_violations(phone) == [], path
