"""On a 360 px phone, at normal and at double text size, pages fit the screen and their buttons stay usable."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.models.types import utcnow
from tests.browser.conftest import no_horizontal_overflow
from tests.browser.test_browser_login import home_path, user_for
from tests.factories import create_senior, create_site, create_user, create_worker
from tests.test_outcomes import build_route

pytestmark = pytest.mark.browser

LARGE_TEXT = "document.documentElement.style.fontSize = '200%'"

# Buttons and button-like links in the page body, and the language switch.
BUTTONS = "main a.button, main button, main input[type=submit], .lang-switch button"


def outside_the_screen(page) -> list[str]:
    """Visible buttons whose box pokes out of the viewport sideways."""
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.offsetParent !== null)
            .filter(el => { const r = el.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth + 0.5; })
            .map(el => `${el.tagName.toLowerCase()} "${el.innerText.trim()}"`)""",
        BUTTONS,
    )


def too_small_to_tap(page) -> list[str]:
    """Visible buttons less than 44 px tall (WCAG 2.5.5): hard to hit with a finger."""
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.offsetParent !== null && el.tagName !== 'A')
            .filter(el => el.getBoundingClientRect().height < 43.5)
            .map(el => `${el.tagName.toLowerCase()} "${el.innerText.trim()}" ${Math.round(el.getBoundingClientRect().height)}px`)""",
        BUTTONS,
    )


def assert_fits(page, what: str) -> None:
    scroll_width, inner_width = no_horizontal_overflow(page)
    assert scroll_width <= inner_width, f"{what}: {scroll_width}px wide on a {inner_width}px screen"
    assert not outside_the_screen(page), f"{what}: off-screen {outside_the_screen(page)}"
    assert not too_small_to_tap(page), f"{what}: too small to tap {too_small_to_tap(page)}"


def check_both_sizes(page, screenshot, name: str) -> None:
    assert_fits(page, name)
    screenshot(page, f"phone-{name}")
    page.evaluate(LARGE_TEXT)
    assert_fits(page, f"{name} at 200% text")
    screenshot(page, f"phone-{name}-large-text")


def test_welcome_and_login_fit_a_phone_at_any_text_size(live_server, phone_page, screenshot):
    page = phone_page
    page.goto(live_server + "/")
    check_both_sizes(page, screenshot, "welcome")
    # The big "Log in" button still works with large text.
    page.locator("main a.button").click()
    # The click returns once the navigation commits; measuring before the new
    # document has loaded reads a null documentElement.
    page.wait_for_url(live_server + "/login**")

    check_both_sizes(page, screenshot, "login")
    page.get_by_role("button", name="Log in").click(trial=True)


@pytest.mark.parametrize("role", ["admin", "staff", "worker", "family"])
def test_each_role_home_page_fits_a_phone_with_large_text(live_server, phone_page, log_in, screenshot, role):
    user = user_for(role)
    expected = home_path(role)
    if role in ("admin", "staff"):
        site = user.staff_sites[0].site if user.staff_sites else create_site()
        for name in ("Ouyang Xiaoling-Fairweather", "Zhang Wei", "Li Na"):
            create_senior(site=site, full_name=name, lives_alone=True,
                          address="Apartment 1203, Building 7, 1455 Chang'an East Road, Pudong New District")
    page = phone_page
    log_in(page, user)
    assert page.url == live_server + expected
    check_both_sizes(page, screenshot, f"{role}-home")


def test_the_add_senior_form_fits_a_phone_with_large_text(live_server, phone_page, log_in, screenshot):
    staff = user_for("staff")
    page = phone_page
    log_in(page, staff)
    page.goto(live_server + "/staff/seniors/new")
    check_both_sizes(page, screenshot, "staff-senior-form")
    page.get_by_role("button", name="Save").click(trial=True)


@pytest.mark.parametrize("path", ["/staff/today", "/staff/board", "/staff/kitchen"])
def test_staff_day_pages_fit_a_phone_with_buttons_big_enough_to_tap(live_server, phone_page, log_in, screenshot,
                                                                   path):
    staff = user_for("staff")
    page = phone_page
    log_in(page, staff)
    page.goto(live_server + path)
    assert page.get_by_role("button", name="Show").is_visible()
    check_both_sizes(page, screenshot, "staff" + path.replace("/", "-"))


# Pages whose long words (headings, e-mail addresses, audit details) and fixed-width grids once pushed
# a 360 px phone sideways at double text size.
MORE_PAGES = [
    ("admin", "/admin/users"), ("admin", "/admin/audit"), ("admin", "/coverage/"), ("admin", "/admin/api-tokens"),
    ("staff", "/staff/enrollments"), ("staff", "/staff/kitchen/labels"), ("staff", "/staff/counter"),
    ("staff", "/staff/dashboard"), ("staff", "/staff/workers"), ("staff", "/staff/subsidies"),
    ("family", "/family/notifications"), ("family", "/family/request"), ("worker", "/worker/shifts"),
]


@pytest.mark.parametrize("role, path", MORE_PAGES)
def test_more_pages_fit_a_phone_at_any_text_size(live_server, phone_page, log_in, screenshot, role, path):
    page = phone_page
    log_in(page, user_for(role))
    response = page.goto(live_server + path)
    assert response.ok, f"{path}: {response.status}"
    check_both_sizes(page, screenshot, role + path.replace("/", "-"))


def test_the_worker_route_fits_a_phone_at_any_text_size(live_server, phone_page, log_in, screenshot):
    """A stop's buttons (Directions, Call ...) wrap instead of widening the page."""
    site = create_site(timezone="Asia/Shanghai")
    user = create_user("worker")
    worker = create_worker(site=site, user=user)
    seniors = [create_senior(site=site, full_name="Ouyang Xiaoling-Fairweather", phone="13800000000",
                             address="Apartment 1203, Building 7, 1455 Chang'an East Road, Pudong New District")]
    now = utcnow()
    build_route(worker, seniors, site=site, day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(),
                start=now - timedelta(minutes=20), window_minutes=90)
    page = phone_page
    log_in(page, user)
    assert page.get_by_role("link", name="Directions").count() == 1
    check_both_sizes(page, screenshot, "worker-route")
