"""Logging in through the real login form in a browser, for every role, and out again."""
from __future__ import annotations

import re

import pytest
from flask import current_app, url_for

from tests.factories import create_senior, create_site, create_user, create_worker

pytestmark = pytest.mark.browser

# Where each role lands, and nav items it must never see.
HOME = {"admin": "staff.today", "staff": "staff.today", "worker": "worker.today", "family": "family.home"}
HOME_LINK = {"admin": "Today", "staff": "Today", "worker": "Today's route", "family": "My family"}
STAFF_ITEMS = {"Seniors", "Enrollments", "Meal sites", "Workers"}
FORBIDDEN = {
    "admin": {"Today's route", "My family"},
    "staff": {"Users", "Today's route", "My family"},
    "worker": STAFF_ITEMS | {"Users", "My family"},
    "family": STAFF_ITEMS | {"Users", "Today's route"},
}


def user_for(role: str):
    """A user of ``role`` with what that role needs to have a home page worth showing."""
    site = create_site()
    if role == "staff":
        return create_user("staff", sites=[site])
    if role == "family":
        return create_user("family", seniors=[create_senior(site=site)])
    user = create_user(role)
    if role == "worker":
        create_worker(site=site, user=user)
    return user


def home_path(role: str) -> str:
    """The path of ``role``'s home page (every role has one: a missing endpoint fails the test)."""
    endpoint = HOME[role]
    with current_app.test_request_context():
        return url_for(endpoint)


def nav_labels(page) -> list[str]:
    """Texts of the links and buttons in the main navigation (log out may be either)."""
    return [text.strip() for text in page.locator("nav.main-nav a, nav.main-nav button").all_inner_texts()]


def log_out_control(page):
    """Flask-Security only logs out on POST, so "Log out" is a form button (a link would 405)."""
    return page.locator("nav.main-nav").get_by_role("button", name="Log out")


@pytest.mark.parametrize("role", ["admin", "staff", "worker", "family"])
def test_each_role_logs_in_to_its_home_page_sees_only_its_nav_and_logs_out(live_server, page, log_in, role):
    user = user_for(role)
    expected = home_path(role)

    log_in(page, user)
    assert page.url == live_server + expected, f"{role} landed on {page.url}"
    assert page.locator("main h1").is_visible()
    labels = nav_labels(page)
    assert HOME_LINK[role] in labels
    assert not FORBIDDEN[role] & set(labels), f"{role} sees {FORBIDDEN[role] & set(labels)}"
    assert "Log out" in labels and "Log in" not in labels
    assert user.display_name in page.locator("nav.main-nav").inner_text()

    assert log_out_control(page).count() == 1, "no Log out button (a GET link to /logout gets 405)"
    log_out_control(page).click()
    page.wait_for_load_state()
    assert page.url == live_server + "/"
    assert nav_labels(page) == ["Log in"]
    # The home page now asks for a login again.
    page.goto(live_server + expected)
    assert re.match(re.escape(live_server) + r"/login(\?|$)", page.url), page.url


def test_a_wrong_password_keeps_the_user_on_the_form_with_an_error(live_server, page, log_in):
    user = user_for("worker")
    log_in(page, user, password="not the password at all")
    assert page.url.startswith(live_server + "/login")
    assert page.locator(".has-error .error, .flash-error").first.is_visible()
    assert nav_labels(page) == ["Log in"]


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_2FA_FOR_STAFF": True}])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(live_server, page, log_in):
    staff = create_user("staff", sites=[create_site()], two_factor=False)
    log_in(page, staff)
    assert page.url.startswith(live_server + "/tf-setup"), page.url
    assert page.get_by_role("heading", name="Two-factor authentication").is_visible()
    # Nothing else opens until it is done.
    page.goto(live_server + "/staff/seniors")
    assert page.url.startswith(live_server + "/tf-setup"), page.url
    page.goto(live_server + "/")
    assert page.url.startswith(live_server + "/tf-setup"), page.url
