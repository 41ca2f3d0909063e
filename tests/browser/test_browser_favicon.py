"""A real browser fetches the page's icon and gets it: no 404 for a favicon on any page."""
from __future__ import annotations

import pytest

from tests.factories import create_site, create_user

pytestmark = pytest.mark.browser


def test_no_page_makes_the_browser_fetch_a_missing_icon(live_server, page, log_in):
    failed, icons = [], []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)
    with page.expect_response(lambda r: "favicon" in r.url):
        page.goto(live_server + "/login")
    log_in(page, create_user("staff", sites=[create_site()]))
    page.goto(live_server + "/staff/today")
    page.wait_for_timeout(300)
    assert failed == [] and icons and set(icons) == {200}, (failed, icons)
