"""Security headers and CSP, rate limits, cookies, session fixation, password rules, log scrubbing."""
from __future__ import annotations

import logging

import pytest

from dispatch import create_app
from dispatch.platform.hardening import content_security_policy, limiter_of, tile_origin
from dispatch.platform.logsafe import scrub
from tests.factories import PASSWORD, FreshContextClient, create_user, login_as


@pytest.fixture
def limited_app(app_config):
    """The app with rate limits on: 3 login posts a minute per address."""
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_AUTH": "3 per minute",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    app.test_client_class = FreshContextClient
    with app.app_context():
        limiter_of(app).reset()
        yield app


def test_login_posts_are_rate_limited_per_address(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/login", data={"email": "x@example.org", "password": "wrong"}).status_code
                for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    assert client.get("/login").status_code == 200  # reading the page is not limited
    other = limited_app.test_client()
    response = other.post("/login", data={"email": "x@example.org", "password": "wrong"},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200  # another address has its own count


def test_invitation_join_posts_are_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/family/join/not-a-token", data={}).status_code for _ in range(4)]
    assert statuses[3] == 429 and 429 not in statuses[:3]


def test_limits_are_off_when_disabled(app):
    client = app.test_client()
    assert all(client.post("/login", data={"email": "x@example.org", "password": "w"}).status_code == 200
               for _ in range(15))


def test_pages_carry_a_strict_csp_and_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in csp
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "https://tile.openstreetmap.org" in directives["img-src"]
    assert "tile.openstreetmap.org" not in directives["script-src"] + directives["connect-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in response.headers["Cache-Control"].split(", ") and "=True" not in response.headers["Cache-Control"]
    assert "Content-Security-Policy" in client.get("/api/v1/openapi.json").headers


def test_tile_host_follows_the_configured_tile_url():
    assert tile_origin("https://{s}.tiles.example.cn/{z}/{x}/{y}.png") == "https://*.tiles.example.cn"
    assert tile_origin("") is None
    assert "img-src 'self' data:;" in content_security_policy("") + ";"


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(app_config, secure):
    app = create_app({**app_config, "SECURE_COOKIES": secure, "REQUIRE_2FA_FOR_STAFF": False})
    app.test_client_class = FreshContextClient
    with app.app_context():
        user = create_user("worker")
        response = login_as(app.test_client(), user)
        cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_login_issues_a_new_session_and_a_pre_login_cookie_grants_nothing(app):
    user = create_user("worker")
    attacker = app.test_client()
    attacker.get("/login")
    with attacker.session_transaction() as planted:
        planted["planted"] = "by attacker"
        planted["dispatch_sid"] = "fixed-by-attacker"
    fixed_cookie = attacker.get_cookie("session").value

    victim = app.test_client()
    victim.set_cookie("session", fixed_cookie)
    login_as(victim, user)
    with victim.session_transaction() as after:
        assert after["dispatch_sid"] != "fixed-by-attacker"
        assert "planted" not in after and after.get("_user_id")
    # The attacker still holds only the pre-login cookie: it is not signed in.
    assert attacker.get("/worker/today").status_code == 302


def test_password_rules_refuse_guessable_passwords(app):
    from dispatch.platform.errors import FieldError
    from dispatch.services.people.accounts import create_user as make_account

    with app.test_request_context():
        for weak in ("short", "aaaaaaaaaaaa", "password1234"):
            with pytest.raises(FieldError) as info:
                make_account(f"{weak}@example.org", weak, "worker", display_name="W")
            assert info.value.field == "password"
        assert make_account("ok@example.org", PASSWORD, "worker", display_name="W").id


def test_logs_hold_no_secrets_or_personal_data(app, caplog):
    caplog.set_level(logging.INFO)
    app.logger.warning("login failed for %s password=%s from %s token %s", "wang.fang@example.org",
                       "hunter2", "13800138000", "dst_abcdefghijklmnopqrstuvwx")
    logging.getLogger("gunicorn.error").info("Authorization: Bearer abc.def-ghi_jkl senior 42 at 2026-03-10 12:00")
    text = caplog.text
    for secret in ("wang.fang@example.org", "hunter2", "13800138000", "dst_abcdefghijklmnopqrstuvwx", "abc.def-ghi"):
        assert secret not in text
    assert "senior 42" in text and "2026-03-10 12:00" in text


def test_scrub_keeps_ids_and_dates():
    assert scrub("stop 12345 on 2026-03-10 took 250 ms") == "stop 12345 on 2026-03-10 took 250 ms"
    assert scrub("call +86 138 0013 8000 now") == "call [phone] now"


def test_a_request_error_log_names_no_person(app, client, caplog):
    """The unhandled-error log line carries method and path (ids only), not the posted form."""
    caplog.set_level(logging.WARNING)
    client.post("/login", data={"email": "li.na@example.org", "password": "secret-password-1"})
    assert "li.na@example.org" not in caplog.text and "secret-password-1" not in caplog.text


def _gunicorn_access_lines(requests) -> list[str]:
    """Lines written by gunicorn's own access logger in its default format, through the app's scrubber."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    config.set("accesslog", "-")
    assert config.access_log_format == '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
    logger = Logger(config)
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))
    logger.access_log.addHandler(handler)
    for method, uri, status, sent, referer in requests:
        environ = {"REQUEST_METHOD": method, "RAW_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1",
                   "PATH_INFO": uri.split("?")[0], "QUERY_STRING": uri.partition("?")[2],
                   "REMOTE_ADDR": "10.0.0.7", "HTTP_REFERER": referer, "HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14)"}
        logger.access(SimpleNamespace(status=status, sent=sent, headers=[]), SimpleNamespace(headers=[]), environ,
                      timedelta(milliseconds=42))
    logger.access_log.removeHandler(handler)
    return lines


def test_access_log_lines_keep_status_bytes_and_ids_but_not_personal_values(app):
    lines = _gunicorn_access_lines([
        ("GET", "/staff/seniors/12345678/edit", "200 OK", 5123, "-"),
        ("POST", "/worker/api/stops/2147483647/events", "500 INTERNAL SERVER ERROR", 265, "-"),
        ("GET", "/staff/routes/1234567.gpx?senior_id=7654321", "404 NOT FOUND", 0, "-"),
        ("GET", "/staff/counter?site=3&q=13800138000", "200 OK", 10456, "https://doorstep.example/staff/seniors?q=li.na@example.org"),
    ])
    assert len(lines) == 4
    statuses = [line.split('" ', 1)[1].split(" ")[:2] for line in lines]
    assert statuses == [["200", "5123"], ["500", "265"], ["404", "0"], ["200", "10456"]], lines
    text = "\n".join(lines)
    for kept in ("/staff/seniors/12345678/edit", "/stops/2147483647/events", "/routes/1234567.gpx?senior_id=7654321",
                 "site=3", "10.0.0.7"):
        assert kept in text, kept
    assert "13800138000" not in text and "li.na@example.org" not in text
    assert "q=[phone]" in text and "[email]" in text


def test_scrub_still_finds_phones_that_look_like_ids_or_status_pairs():
    assert scrub("GET /staff/lookup/13800138000 HTTP/1.1") == "GET /staff/lookup/[phone] HTTP/1.1"
    assert scrub("the family said 555 1234 and 021-6543 2100") == "the family said [phone] and [phone]"
    assert scrub("?phone=138-0013-8000&senior_id=42") == "?phone=[phone]&senior_id=42"
