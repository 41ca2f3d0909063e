"""The footer's language switch: 简体中文 translates the interface, stays on, and English brings it back.

Flask-Security's strings (the login form's labels) come from its own
catalog; Doorstep's (titles, headings, buttons) from ``dispatch/translations``,
compiled to .mo files. The second test fails, rather than skips, while that
catalog is missing or not compiled.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import CJK

pytestmark = pytest.mark.browser


def switch_to(page, label: str) -> None:
    page.locator("footer .lang-switch").get_by_role("button", name=label).click()
    page.wait_for_load_state()


def in_chinese(page) -> bool:
    return page.locator("html").get_attribute("lang") == "zh-Hans"


def test_the_language_switch_persists_across_pages_and_switches_back(live_server, page):
    page.goto(live_server + "/login")
    assert not in_chinese(page)
    assert page.locator("label[for=email]").inner_text().startswith("Email")

    switch_to(page, "简体中文")
    assert page.url == live_server + "/login"  # the switch returns to the same page
    assert in_chinese(page)
    assert page.locator("footer").get_by_role("button", name="简体中文").get_attribute("aria-current") == "true"
    email_label = page.locator("label[for=email]").inner_text()
    assert CJK.search(email_label), f"login form not in Chinese: {email_label!r}"

    # It persists: another page, then the login page again.
    page.goto(live_server + "/")
    assert in_chinese(page)
    page.goto(live_server + "/login")
    assert CJK.search(page.locator("label[for=email]").inner_text())

    switch_to(page, "English")
    assert page.url == live_server + "/login"
    assert not in_chinese(page)
    assert page.locator("footer").get_by_role("button", name="English").get_attribute("aria-current") == "true"
    assert page.locator("label[for=email]").inner_text().startswith("Email")
    page.goto(live_server + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Meals and home care, to the door"


def test_doorstep_own_pages_are_translated_to_chinese(live_server, page):
    page.goto(live_server + "/login")
    switch_to(page, "简体中文")
    missing = "Doorstep's Chinese catalog is missing or not compiled (dispatch/translations/zh_Hans_CN/LC_MESSAGES/messages.mo)"
    assert CJK.search(page.title()), f"{missing}: title {page.title()!r}"
    assert CJK.search(page.locator("main button[type=submit]").inner_text()), f"{missing}: login button"
    page.goto(live_server + "/")
    assert CJK.search(page.get_by_role("heading", level=1).inner_text()), f"{missing}: welcome heading"
