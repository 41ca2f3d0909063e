"""Login hardening (issue 23, item 2): limits behind a proxy, a back-off that locks out nobody for good,
one-time codes used once, a CSRF token renewed at login, one answer for known and unknown e-mails,
and no password that spells the account's e-mail."""
from __future__ import annotations

import re
import time

import pytest

from dispatch import create_app
from dispatch.credentials import resembles_email
from dispatch.extensions import db
from dispatch.platform.errors import FieldError
from dispatch.platform.hardening import limiter_of
from dispatch.platform.login_throttle import backoff_seconds
from dispatch.services.people import accounts
from tests.factories import PASSWORD, FreshContextClient, create_site, create_user, login_as, totp_code

PROXY = "127.0.0.1"  # the reverse proxy's address, as gunicorn sees every request


def _limited(app_config, **settings):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **settings})
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def proxied_app(app_config):
    """One trusted proxy; 3 login posts a minute per address and account."""
    app = _limited(app_config, PROXY_COUNT=1, RATELIMIT_AUTH="3 per minute")
    with app.app_context():
        limiter_of(app).reset()
        yield app


def _post_login(client, email, password, client_address, **extra):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": PROXY},
                       headers={"X-Forwarded-For": client_address, **extra})


def test_behind_a_proxy_one_persons_guesses_lock_out_nobody_else(proxied_app):
    owner, other = create_user("worker"), create_user("family")
    stranger = proxied_app.test_client()
    statuses = [_post_login(stranger, owner.email, "a wrong guess", "203.0.113.5").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Another person behind the same proxy, another account: not limited by the stranger's count.
    assert _post_login(proxied_app.test_client(), other.email, PASSWORD, "198.51.100.7").status_code == 302
    # The owner, from their own address: gets in.
    assert _post_login(proxied_app.test_client(), owner.email, PASSWORD, "198.51.100.8").status_code == 302


def test_a_client_cannot_forge_its_address(proxied_app):
    """The proxy appends the address it saw; what a client put before it is not trusted."""
    user = create_user("worker")
    client = proxied_app.test_client()
    statuses = [_post_login(client, user.email, "wrong", f"10.9.9.{n}, 203.0.113.5").status_code for n in range(4)]
    assert statuses[3] == 429


def test_without_trusted_proxies_forwarded_for_is_ignored(app_config):
    app = _limited(app_config, RATELIMIT_AUTH="3 per minute")
    with app.app_context():
        limiter_of(app).reset()
        client = app.test_client()
        statuses = [client.post("/login", data={"email": "x@example.org", "password": "wrong"},
                                headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(4)]
        assert statuses[3] == 429


# Back-off per account and address ------------------------------------------------------------

def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(n, 5, 900) for n in range(1, 10)] == [0, 0, 0, 0, 0, 1, 2, 4, 8]
    assert backoff_seconds(40, 5, 900) == 900
    assert backoff_seconds(10_000, 5, 900) == 900


@pytest.fixture
def backoff_app(app_config):
    """Two free wrong passwords, then a wait of 1 s (the cap); the plain limits out of the way."""
    app = _limited(app_config, RATELIMIT_AUTH="100 per minute", LOGIN_FREE_FAILURES=2,
                   LOGIN_BACKOFF_MAX_SECONDS=1)
    with app.app_context():
        limiter_of(app).reset()
        yield app


def _login(client, email, password, address):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
def test_repeated_wrong_passwords_make_that_address_wait_but_not_the_owner(backoff_app, known):
    owner = create_user("worker")
    email = owner.email if known else "nobody@example.org"
    stranger = backoff_app.test_client()
    assert [_login(stranger, email, "guess", "203.0.113.5").status_code for _ in range(3)] == [200, 200, 200]
    refused = _login(stranger, email, PASSWORD, "203.0.113.5")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"  # even the right password waits
    if known:
        # The owner, elsewhere, is not held up by the stranger's back-off.
        assert _login(backoff_app.test_client(), email, PASSWORD, "198.51.100.8").status_code == 302
        time.sleep(1.1)  # the wait is capped: afterwards the stranger's address may try again
        assert _login(stranger, email, PASSWORD, "203.0.113.5").status_code == 302


def test_a_correct_password_clears_the_count(backoff_app):
    owner = create_user("worker")
    client = backoff_app.test_client()
    for _ in range(2):
        assert _login(client, owner.email, "guess", "203.0.113.5").status_code == 200
    assert _login(client, owner.email, PASSWORD, "203.0.113.5").status_code == 302
    client.post("/logout")
    for _ in range(3):  # two free failures again, then the third starts the wait
        assert _login(client, owner.email, "guess", "203.0.113.5").status_code == 200


# One-time codes ------------------------------------------------------------------------------

def test_an_authenticator_code_logs_in_only_once(app):
    staff = create_user("staff", sites=[create_site()], two_factor=True)
    code = totp_code(staff)
    first = app.test_client()
    first.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert first.post("/tf-validate", data={"code": code}).status_code == 302
    assert first.get("/change").status_code == 200

    second = app.test_client()
    response = second.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.headers["Location"].startswith("/tf-validate")
    second.post("/tf-validate", data={"code": code})  # the same code again
    assert second.get("/change").status_code != 200
    assert second.post("/tf-validate", data={"code": totp_code(staff)}).status_code == 302  # the next one works
    assert second.get("/change").status_code == 200


# CSRF token at login -------------------------------------------------------------------------

def _token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_the_csrf_token_seen_before_login_is_refused_after_it(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    app.test_client_class = FreshContextClient
    with app.app_context():
        user = create_user("worker")
        client = app.test_client()
        before = _token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
        assert response.status_code == 302
        assert client.post("/logout", data={"csrf_token": before}).status_code == 400  # the old token is dead
        after = _token(client.get("/change").get_data(as_text=True))
        assert after != before
        assert client.post("/logout", data={"csrf_token": after}).status_code == 302


# One answer for every e-mail -----------------------------------------------------------------

def test_the_login_form_answers_alike_for_known_and_unknown_emails(client):
    known = create_user("worker", email="known.person@example.org")
    disabled = create_user("family", email="gone.person@example.org")
    accounts.disable_user(disabled)
    db.session.commit()
    pages = []
    for email in (known.email, "unknown.person@example.org", disabled.email):
        response = client.post("/login", data={"email": email, "password": "not the password"})
        assert response.status_code == 200
        page = re.sub(r"[\w.]+@example\.org", "EMAIL", response.get_data(as_text=True))
        pages.append(re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "CSRF", page))  # signed with the time
    assert pages[0] == pages[1] == pages[2]
    assert "does not exist" not in pages[1]


# Passwords that spell the e-mail -------------------------------------------------------------

@pytest.mark.parametrize("password", ["fam2probedemo", "Fam2@Probe.Demo", "FAM2-PROBE-DEMO!", "probe.demo.fam2",
                                      "ProbeDemo", "my-fam2-garden-key"])
def test_a_password_spelling_the_accounts_email_is_refused(app, password):
    with app.test_request_context():
        with pytest.raises(FieldError) as info:
            accounts.create_user("fam2@probe.demo", password, "family", display_name="F")
    assert info.value.field == "password" and "e-mail" in str(info.value.message)


def test_an_unrelated_strong_password_is_accepted(app):
    with app.test_request_context():
        assert accounts.create_user("fam2@probe.demo", PASSWORD, "family", display_name="F").id
    assert not resembles_email(PASSWORD, "fam2@probe.demo")
    assert not resembles_email("correct horse", "li@example.org")


def test_changing_the_password_to_the_email_is_refused(client):
    user = create_user("worker", email="wang.fang@example.org")
    login_as(client, user)
    response = client.post("/change", data={"password": PASSWORD, "new_password": "Wang.Fang@Example.org",
                                            "new_password_confirm": "Wang.Fang@Example.org"})
    assert response.status_code == 200 and "e-mail" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.verify_and_update_password(PASSWORD)


def test_the_generic_answer_is_in_chinese_on_the_chinese_page(client):
    client.post("/lang/zh_Hans_CN", data={"next": "/login"})
    response = client.post("/login", data={"email": "nobody@example.org", "password": "not the password"})
    assert "登录失败" in response.get_data(as_text=True)
