"""A daughter asks for her father's bath on her phone, in Chinese: the whole flow in a real browser.

At 360 px and at double text size the form fits the screen and labels every
field; a window that ends before it starts is refused in Chinese next to the
field and creates nothing; the corrected request shows on the senior's page
as requested, and the notification settings page works in the same session.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from dispatch.extensions import db
from dispatch.models.notification import NotificationPreference
from dispatch.models.service_request import RequestStatus, ServiceRequest
from dispatch.models.types import utcnow
from dispatch.platform import clock
from dispatch.platform.labels import label
from tests.browser.conftest import CJK, inputs_without_label
from tests.browser.test_browser_phone import LARGE_TEXT, assert_fits
from tests.factories import create_senior, create_site, create_user

pytestmark = pytest.mark.browser


def _requests() -> list[ServiceRequest]:
    db.session.expire_all()
    return db.session.scalars(sa.select(ServiceRequest)).all()


def test_request_a_bath_on_a_phone_in_chinese(app, live_server, phone_page, log_in, screenshot):
    site = create_site()
    senior = create_senior(site, full_name="Zhang Wei", full_name_zh="张伟")
    daughter = create_user("family", seniors=[senior], email="daughter@example.org")
    day = utcnow().astimezone(clock.zone_of(site)).date() + timedelta(days=2)
    page = phone_page

    log_in(page, daughter)
    page.locator("footer .lang-switch").get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    page.locator("main a[href='/family/request']").first.click()
    page.wait_for_load_state()
    assert CJK.search(page.get_by_role("heading", level=1).inner_text())
    assert inputs_without_label(page) == []
    assert_fits(page, "request form")
    page.evaluate(LARGE_TEXT)
    assert_fits(page, "request form at 200% text")
    screenshot(page, "phone-zh-family-request")

    page.locator("input[name=service][value=bathing]").check()
    page.locator("input[name=day]").fill(day.isoformat())
    page.locator("input[name=window_start]").fill("14:00")
    page.locator("input[name=window_end]").fill("13:00")  # ends before it starts
    page.locator("textarea[name=notes]").fill("请安排女护理员")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_load_state()
    error = page.locator("#window_end-error").inner_text()
    assert CJK.search(error), f"the refusal is not in Chinese: {error!r}"
    assert page.locator("#window_end").get_attribute("aria-invalid") == "true"
    assert _requests() == []

    page.locator("input[name=window_end]").fill("16:00")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/family/seniors/{senior.id}")
    assert_fits(page, "senior page after the request")
    screenshot(page, "phone-zh-family-senior")

    [req] = _requests()
    assert (req.senior_id, req.service_type.value, req.requested_date, req.status) == (
        senior.id, "bathing", day, RequestStatus.REQUESTED)
    assert (req.window_start.strftime("%H:%M"), req.window_end.strftime("%H:%M")) == ("14:00", "16:00")
    with force_locale("zh_Hans_CN"):
        service, status = str(label(req.service_type)), str(label(req.status))
    row = page.locator("main table.list tbody tr").filter(has_text=service)
    assert row.count() == 1 and status in row.inner_text()

    # Choose WeChat in the same session; the page answers in Chinese and keeps the choice.
    page.goto(live_server + "/family/notifications")
    assert inputs_without_label(page) == []
    page.locator("input[name=wechat_enabled]").check()
    page.locator("input[name=wechat_id]").fill("zhang_li_88")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    with force_locale("zh_Hans_CN"):
        saved = gettext("Saved. We will tell you about visits, meals and alerts as you chose.")
    assert CJK.search(saved) and saved in page.locator(".flash").first.inner_text()
    db.session.expire_all()
    pref = db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == daughter.id))
    assert (pref.wechat_enabled, pref.wechat_id, pref.email_enabled) == (True, "zhang_li_88", True)
