"""A visit on the phone and on the staff board (360 px): the card offers only what fits the visit's
state, and a late, short visit is flagged to staff with its check-in time and duration."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.models import Stop, StopOutcome
from dispatch.platform.clock import FixedClock
from tests import testclock
from tests.browser.test_browser_language import switch_to
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import build_route, fresh

pytestmark = pytest.mark.browser
LARGE_TEXT = "document.documentElement.style.fontSize = '200%'"


@pytest.fixture
def app_clock():
    """The served app's clock stands still at the suite's now; the test moves it between taps."""
    return FixedClock(testclock.now())


@pytest.fixture
def late_visit(app, app_clock):
    """A 45-minute bathing visit whose window closed two hours ago."""
    site = create_site(timezone="Asia/Shanghai")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    senior = create_senior(site=site, full_name="Chen Jianguo", lives_alone=True)
    now = app_clock.now()
    route = build_route(worker, [senior], site=site, kind="visit",
                        day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                        start=now - timedelta(hours=3), window_minutes=60)
    return {"user": user, "stop": route.stops[0].id, "site": site, "staff": create_user("staff", sites=[site])}


def visible(page, stop_id) -> list[str]:
    """The values of the buttons a worker can see on the card."""
    return page.eval_on_selector_all(
        f"#stop-{stop_id} button[value]", "els => els.filter(e => e.checkVisibility()).map(e => e.value)")


def test_a_visit_card_moves_with_its_state_and_staff_see_a_late_short_visit(
        live_server, new_page, log_in, late_visit, app_clock, screenshot):
    stop_id = late_visit["stop"]
    phone = new_page(phone=True)
    log_in(phone, late_visit["user"])
    phone.goto(live_server + "/worker/today")
    card = phone.locator(f"#stop-{stop_id}")
    assert visible(phone, stop_id)[:3] == ["check_in", "on_the_way", "not_home"]
    assert "completed" not in visible(phone, stop_id)

    card.locator("button[value=on_the_way]").click()
    card.locator("[data-status]", has_text="saved").wait_for()
    assert "on_the_way" not in visible(phone, stop_id) and "check_in" in visible(phone, stop_id)

    card.locator("button[value=check_in]").click()
    card.locator("[data-status]", has_text="saved").wait_for()
    shown = visible(phone, stop_id)
    assert "check_in" not in shown and "on_the_way" not in shown and "not_home" not in shown
    assert shown[:2] == ["completed", "could_not_complete"]
    assert card.get_by_label("Bath or shower").is_visible()

    app_clock.advance(seconds=10)
    card.get_by_label("Bath or shower").check()
    card.locator("button[name=checkout]").click()
    card.locator("[data-status]", has_text="saved").wait_for()
    assert fresh(Stop, stop_id).outcome == StopOutcome.COMPLETED
    card.locator(".stop-toggle").click()  # opened again, a finished visit offers no check-in
    shown = visible(phone, stop_id)
    assert not {"check_in", "on_the_way", "completed"} & set(shown), shown

    # After a reload the card says when the visit started and how long it took; still no check-in.
    phone.reload()
    times = card.locator("[data-visit-times]").inner_text()
    assert "Checked in" in times and "Checked out" in times and "0 min" in times
    card.locator(".stop-toggle").click()
    assert not {"check_in", "on_the_way", "completed"} & set(visible(phone, stop_id))
    screenshot(phone, "worker-visit-after-check-out")

    # Staff see the flags on the board.
    board = new_page(phone=True)
    log_in(board, late_visit["staff"])
    board.goto(live_server + f"/staff/board?site={late_visit['site'].id}")
    flag = board.locator(f"#visit-flag-{stop_id}")
    text = flag.inner_text()
    assert "Late check-in" in text and "Short visit: 0 of 45 min" in text and "Checked in" in text
    screenshot(board, "board-visit-flags")
    board.evaluate(LARGE_TEXT)
    screenshot(board, "board-visit-flags-200pct")
    switch_to(board, "简体中文")
    board.goto(live_server + f"/staff/board?site={late_visit['site'].id}")
    assert "Late check-in" not in board.locator(f"#visit-flag-{stop_id}").inner_text()
    board.evaluate(LARGE_TEXT)
    screenshot(board, "board-visit-flags-200pct-zh")
