"""The worker's card answers back (360 px phone): each outcome shows on its card, a done stop folds,
counts in the header and goes below the next stop; a senior living alone who is not found gets next
steps; one directions button opens the worker's own map app; a stop to do fits about one screen and,
at 200 % text, no button label breaks inside a word.
"""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.models import StopOutcome
from dispatch.models.types import utcnow
from tests.browser.conftest import no_horizontal_overflow
from tests.browser.test_browser_language import switch_to
from tests.browser.test_browser_worker import stored_events
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import build_route

pytestmark = pytest.mark.browser
LARGE_TEXT = "document.documentElement.style.fontSize = '200%'"

# Button labels that a line break cuts inside a word: a word whose text spans two line boxes.
WORDS_BROKEN = """() => {
  const broken = [];
  document.querySelectorAll('main .button, main button, main summary').forEach(el => {
    if (el.offsetParent === null) return;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[A-Za-z\\u00C0-\\u024F'’-]{2,}/g;
      let m;
      while ((m = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(el.innerText.trim() + ' | ' + m[0]);
      }
    }
  });
  return broken;
}"""


# Buttons whose label is wider than the button (a long word at large text spills over its edge).
LABELS_SPILLING = """() => Array.from(document.querySelectorAll('main .button, main button'))
  .filter(el => el.checkVisibility())
  .filter(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    const text = range.getBoundingClientRect(), box = el.getBoundingClientRect(), css = getComputedStyle(el);
    const inner = [box.left + parseFloat(css.borderLeftWidth) + 2, box.right - parseFloat(css.borderRightWidth) - 2];
    return text.width > 0 && (text.left < inner[0] || text.right > inner[1]);
  })
  .map(el => el.innerText.trim())"""


@pytest.fixture
def five_stops(app):
    """A worker with five meal stops today; the second senior lives alone and has a phone."""
    site = create_site(timezone="Asia/Shanghai", phone="021-5555-0100")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    seniors = [create_senior(site=site, full_name="Wang Fang", access_notes="Gate code 1234"),
               create_senior(site=site, full_name="Chen Jianguo", lives_alone=True, phone="13800000001"),
               create_senior(site=site, full_name="Li Na", allergies="peanuts"),
               create_senior(site=site, full_name="Ouyang Xiaoling-Fairweather", phone="13800000002",
                             address="Apartment 1203, Building 7, 1455 Chang'an East Road, Pudong New District",
                             access_notes="Ring twice; the dog is friendly"),
               create_senior(site=site, full_name="Zhao Lei")]
    now = utcnow()
    route = build_route(worker, seniors, site=site, day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                        start=now - timedelta(minutes=20), window_minutes=90)
    return {"user": user, "worker": worker, "stops": [s.id for s in route.stops]}


def card(page, stop_id):
    return page.locator(f"#stop-{stop_id}")


def order(page) -> list[int]:
    return [int(x.split("-")[1]) for x in page.eval_on_selector_all("ol.stops > li", "els => els.map(e => e.id)")]


def choose(page, stop_id, outcome):
    item = card(page, stop_id)
    button = item.locator(f"button[name=outcome][value={outcome}]")
    if not button.is_visible():
        item.locator("details.more-outcomes > summary").click()
    button.click()


def test_each_outcome_shows_on_its_card_folds_it_counts_it_and_brings_the_next_stop_up(
        live_server, new_page, log_in, five_stops, screenshot):
    stops = five_stops["stops"]
    phone = new_page(phone=True)
    log_in(phone, five_stops["user"])
    phone.goto(live_server + "/worker/today")
    # Nothing was sent yet, so the page does not claim it was.
    assert phone.locator("#sync-status").inner_text().strip() == ""
    assert phone.locator("[data-done-count]").inner_text() == "0 of 5 stops done"
    # One directions button per stop, into OpenStreetMap by default; no row of map buttons.
    first = card(phone, stops[0])
    assert first.locator("a.button").all_inner_texts() == ["Directions"]
    assert "openstreetmap.org" in first.locator("a[data-directions]").get_attribute("href")

    outcomes = [(stops[0], "delivered"), (stops[2], "refused"), (stops[3], "hospitalised"),
                (stops[4], "could_not_access"), (stops[1], "not_home")]
    labels = {"delivered": "Delivered", "refused": "Refused", "hospitalised": "Hospitalised",
              "could_not_access": "Could not get in", "not_home": "Not home"}
    for done, (stop_id, outcome) in enumerate(outcomes, start=1):
        choose(phone, stop_id, outcome)
        item = card(phone, stop_id)
        item.locator("[data-status]", has_text="saved").wait_for()
        assert labels[outcome] in item.locator("[data-status]").inner_text()
        assert phone.locator("[data-done-count]").inner_text() == f"{done} of 5 stops done"
        phone.locator("#sync-status", has_text="All taps sent.").wait_for()
        if outcome != "not_home":
            # Folded to its head, below every stop still to do.
            assert "is-collapsed" in item.get_attribute("class")
            assert not item.locator("button[name=outcome]").first.is_visible()
            pending = [s for s in stops if s not in [o[0] for o in outcomes[:done]]]
            assert order(phone)[:len(pending)] == pending
            # Opened again, the chosen outcome is the pressed button.
            item.locator(".stop-toggle").click()
            assert item.locator(f"button[value={outcome}]").get_attribute("aria-pressed") == "true"
            item.locator(".stop-toggle").click()
        if done == 1:
            screenshot(phone, "worker-card-after-delivered")
    assert [e.outcome for e in stored_events()] == [StopOutcome(o) for _s, o in outcomes]

    # Not home for a senior living alone: what to do next, and that staff were alerted.
    steps = card(phone, stops[1]).locator("[data-next-steps]")
    assert steps.is_visible()
    text = steps.inner_text()
    assert "Knock again" in text and "Call Chen" in text and "emergency services" in text
    assert steps.locator("[data-alerted]").is_visible()
    screenshot(phone, "worker-card-not-home-lives-alone")

    # After a reload the server tells the same: counts, outcomes, done stops folded.
    phone.reload()
    assert phone.locator("[data-done-count]").inner_text() == "5 of 5 stops done"
    assert card(phone, stops[0]).locator("[data-status]").inner_text().startswith("Outcome: ✓ Delivered")
    assert card(phone, stops[1]).locator("[data-next-steps] [data-alerted]").is_visible()
    assert phone.locator("#sync-status").inner_text().strip() == ""


def test_the_directions_button_opens_the_map_app_the_worker_chose(live_server, new_page, log_in, five_stops):
    phone = new_page(phone=True)
    log_in(phone, five_stops["user"])
    phone.goto(live_server + "/worker/today")
    phone.get_by_label("Directions open in").select_option("amap")
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Directions now open in Amap.").wait_for()
    link = card(phone, five_stops["stops"][0]).locator("a[data-directions]")
    assert link.get_attribute("href").startswith("https://uri.amap.com/marker?")
    assert phone.locator("a[data-directions]").count() == 5


@pytest.mark.parametrize("language", ["English", "简体中文"])
def test_a_stop_fits_about_one_screen_and_double_text_cuts_no_word(
        live_server, new_page, log_in, five_stops, screenshot, language):
    phone = new_page(phone=True)
    log_in(phone, five_stops["user"])
    phone.goto(live_server + "/worker/today")
    if language != "English":
        switch_to(phone, language)
        phone.goto(live_server + "/worker/today")
    screen = phone.viewport_size["height"]
    tallest = card(phone, five_stops["stops"][3])  # the longest name, address and door note
    height = tallest.bounding_box()["height"]
    assert height <= screen * 1.1, f"a stop to do is {height:.0f} px tall on a {screen} px screen"
    phone.evaluate(LARGE_TEXT)
    phone.locator("html.large-text").wait_for(state="attached")  # the page re-lays itself for the bigger text
    large = tallest.bounding_box()["height"]
    print(f"{language}: the tallest stop is {height:.0f} px, {large:.0f} px at 200 % text, on a {screen} px screen")
    assert large <= screen * 1.3, f"at 200 % text a stop to do is {large:.0f} px tall on a {screen} px screen"
    # What folded is one tap away: the address and the door note, and the less common outcomes.
    address = tallest.locator(".stop-address")
    assert not address.is_visible()
    tallest.locator("details.stop-where > summary").click()
    assert address.is_visible() and tallest.locator(".stop-notes").is_visible()
    assert not tallest.locator("button[name=seen_well]").is_visible()
    tallest.locator("details.more-outcomes > summary").click()
    assert tallest.locator("button[name=seen_well]").is_visible()
    assert tallest.locator("details.more-outcomes details.note-box > summary").is_visible()
    scroll_width, width = no_horizontal_overflow(phone)
    assert scroll_width <= width
    assert phone.evaluate(WORDS_BROKEN) == []
    assert phone.evaluate(LABELS_SPILLING) == []
    suffix = "en" if language == "English" else "zh"
    screenshot(phone, f"worker-route-200pct-{suffix}")
    tallest.screenshot(path=str(screenshot(phone, f"worker-stop-200pct-{suffix}")))
    # A done stop folds to a few lines.
    choose(phone, five_stops["stops"][0], "delivered")
    card(phone, five_stops["stops"][0]).locator("[data-status]", has_text="✓").wait_for()
    assert card(phone, five_stops["stops"][0]).bounding_box()["height"] < screen * 0.75
    assert phone.evaluate(WORDS_BROKEN) == []
    screenshot(phone, f"worker-route-200pct-{suffix}-one-done")


def test_the_hot_meal_countdown_runs_on_the_servers_clock_not_the_phones(live_server, new_page, log_in, app):
    """The demo clock (and any server clock) differs from the phone's: the minutes left come from the server's."""
    from dispatch.extensions import db
    from dispatch.models import Route

    site = create_site(timezone="Asia/Shanghai", hold_limit_minutes=45)
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    now = utcnow()
    route = build_route(worker, [create_senior(site=site, full_name="Wang Fang")], site=site,
                        day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                        start=now - timedelta(minutes=20), window_minutes=90)
    db.session.get(Route, route.id).start_dt = now - timedelta(minutes=20)
    db.session.commit()
    phone = new_page(phone=True)
    # The phone's own clock is three hours ahead of the server's.
    phone.add_init_script("(() => { const real = Date.now; const ahead = 3 * 3600 * 1000;"
                          " Date.now = () => real() + ahead; })()")
    log_in(phone, user)
    phone.goto(f"{live_server}/worker/today")
    left = phone.locator(".hold .hold-left").inner_text()
    minutes = int("".join(ch for ch in left if ch.isdigit()))
    assert "left" in left and 23 <= minutes <= 25, left
