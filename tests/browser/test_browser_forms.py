"""Every form control a user can fill in has a <label> (screen readers, bigger click targets)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import inputs_without_label
from tests.factories import create_site, create_user

pytestmark = pytest.mark.browser


def test_every_login_field_has_a_label(live_server, page):
    page.goto(live_server + "/login")
    assert page.locator("main input:not([type=hidden])").count() >= 2
    assert inputs_without_label(page) == []


def test_every_field_of_the_staff_senior_forms_has_a_label(live_server, page, log_in):
    staff = create_user("staff", sites=[create_site()])
    log_in(page, staff)
    for path in ("/staff/seniors", "/staff/seniors/new"):
        page.goto(live_server + path)
        assert page.locator("main form").count() >= 1, path
        assert page.locator("main input:not([type=hidden]), main select, main textarea").count() >= 4, path
        assert inputs_without_label(page) == [], path
