"""Browser fixtures: the test app served on a real port, driven by Debian's chromium.

    def test_login_page(live_server, page):
        page.goto(live_server + "/login")

``live_server`` serves the same app object (and so the same test database) as
the ``app`` fixture, from a thread; data made with ``tests.factories`` in the
test is visible to the browser once committed. Override ``config_overrides``
with ``@pytest.mark.parametrize("config_overrides", [{...}])`` to change the
served app's settings. The browser is started once per session; each test
gets a fresh context (cookies, storage), desktop by default, or a phone from
``phone_page``.

Playwright's own browser downloads are never used: CI installs Debian's
``chromium`` package, and tests here are skipped, saying so, where it is absent.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import servers

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 10_000

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def config_overrides() -> dict:
    """Settings of the served app; staff log in without 2FA unless a test asks for it."""
    return {"REQUIRE_2FA_FOR_STAFF": False}


@pytest.fixture
def app_config(app_config: dict, config_overrides: dict) -> dict:
    # A real browser posts the CSRF tokens the pages carry, so keep the check on.
    return {**app_config, "WTF_CSRF_ENABLED": True, **config_overrides}


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free local port; yields the base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        servers.missing("Debian's chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
    """``new_page(phone=False, **context_options)``: a page in a fresh browser context."""
    contexts = []
    csp_violations: list[str] = []

    def make(phone: bool = False, **options):
        context = browser.new_context(**{**(PHONE if phone else DESKTOP), **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # Every page must work under the strict Content-Security-Policy: a refused script,
        # style or image shows up as a console error naming the policy.
        page.on("console", lambda msg: csp_violations.append(f"{page.url}: {msg.text}")
                if "Content Security Policy" in msg.text else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not csp_violations, "CSP refused something:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(new_page):
    """A desktop page (1280×800) in a fresh context."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone page: 360×740 CSS pixels at 2× density, touch, mobile viewport rules."""
    return new_page(phone=True)


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[..., Path]:
    """``screenshot(page, "name")`` saves a full-page PNG and returns its path.

    Into ``tmp_path``, or ``DOORSTEP_SCREENSHOT_DIR`` when set (to look at them after a run).
    """
    folder = Path(os.environ.get("DOORSTEP_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, scale="css")
        return path

    return take


@pytest.fixture
def log_in(live_server: str) -> Callable:
    """``log_in(page, user)``: sign in through the real login form; returns the page."""
    from tests.factories import PASSWORD

    def submit(page, user, password: str = PASSWORD):
        page.goto(live_server + "/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        return page

    return submit


def no_horizontal_overflow(page) -> tuple[int, int]:
    """(scrollWidth, screen width) of the page; the first must not exceed the second.

    Not ``window.innerWidth``: on a mobile viewport chromium widens the layout
    viewport to fit overflowing content (and zooms out), so innerWidth grows
    with the overflow. ``clientWidth`` of the root stays the device width.
    """
    page.wait_for_load_state()  # a navigation just committed has no document yet
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll_width, min(client_width, page.viewport_size["width"])


def inputs_without_label(page) -> list[str]:
    """Describe every visible form control (input, select, textarea) that has no <label>."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
            .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
            .filter(el => !el.labels || el.labels.length === 0)
            .map(el => `${el.tagName.toLowerCase()} name=${el.name} id=${el.id}`)"""
    )
