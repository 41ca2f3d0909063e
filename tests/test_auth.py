"""Logging in and out, sessions that end on the server, two-factor, CSRF and the create-user command."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from dispatch.cli.accounts import create_user_command
from dispatch.extensions import db, security
from dispatch.models.senior import FamilyLink
from dispatch.models.user import User
from dispatch.security_setup import LOGIN_AT, SEEN_AT
from dispatch.services.people import accounts
from tests.factories import PASSWORD, FreshContextClient, create_senior, create_site, create_user, login_as, totp_code

ROLES = ["admin", "staff", "worker", "family"]


@pytest.fixture(autouse=True)
def _one_app_context_per_request(app):
    app.test_client_class = FreshContextClient


def _user_for(role: str, **kwargs) -> User:
    if role == "staff":
        kwargs.setdefault("sites", [create_site()])
    if role == "family":
        kwargs.setdefault("seniors", [create_senior()])
    return create_user(role, **kwargs)


def _signed_in(client) -> bool:
    """Whether the server still accepts the client's session (change-password needs a login)."""
    response = client.get("/change")
    return response.status_code == 200


# Login and logout --------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_and_out(client, role):
    user = _user_for(role)
    response = login_as(client, user)
    assert response.headers["Location"] == "/"
    assert _signed_in(client)
    db.session.refresh(user)
    assert user.login_count == 1 and user.current_login_at is not None  # login tracking

    response = client.post("/logout")
    assert response.status_code == 302
    assert not _signed_in(client)


def test_wrong_password_is_refused_with_a_message_above_the_form(client):
    """One generic message for the whole form (which field was wrong would tell who has an account)."""
    user = create_user("worker")
    response = client.post("/login", data={"email": user.email, "password": "not the password"})
    assert response.status_code == 200
    assert b'class="flash flash-error" role="alert"' in response.data
    assert not _signed_in(client)


def test_unknown_email_is_refused(client):
    response = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert not _signed_in(client)


def test_a_disabled_account_cannot_log_in(client):
    user = create_user("worker")
    accounts.disable_user(user)
    db.session.commit()  # the test is the use case's edge
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert not _signed_in(client)


def test_login_page_uses_the_chosen_language(client):
    client.post("/lang/zh_Hans_CN", data={"next": "/login"})
    response = client.get("/login")
    assert "密码" in response.get_data(as_text=True)  # Flask-Security's own zh_Hans_CN catalog


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "", "password": ""},
        {"email": "a" * 10_000 + "@example.org", "password": PASSWORD},
        {"email": "worker\x00@example.org", "password": PASSWORD},
        {"email": "' OR 1=1 --", "password": "' OR 1=1 --"},
        {"email": "<script>alert(1)</script>", "password": "x"},
        {"email": ["b@example.org", "a@example.org"], "password": PASSWORD},
        {"email": "a@example.org", "password": "p" * 100_000},
    ],
    ids=["empty", "blank", "huge-email", "nul-byte", "sql", "script", "repeated", "huge-password"],
)
def test_hostile_login_posts_are_refused_without_a_500(client, data):
    create_user("worker", email="a@example.org")
    response = client.post("/login", data=data)
    assert response.status_code in (200, 400, 413, 422)  # 422: the input gate names a field holding a NUL
    assert b"<script>alert(1)</script>" not in response.data
    assert not _signed_in(client)


def test_sensitive_pages_ask_for_the_password_again_after_a_while(client):
    user = create_user("worker")
    login_as(client, user)
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600  # the password was typed an hour ago
    response = client.get("/tf-setup")
    assert response.status_code == 302 and response.headers["Location"].startswith("/verify")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and b'name="verify_form"' in page.data
    response = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/tf-setup").status_code == 200


def test_passwords_are_hashed_with_argon2(app):
    user = create_user("worker")
    assert user.password.startswith("$argon2")


def test_session_cookie_is_httponly_and_samesite(client):
    user = create_user("worker")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Session lifetime ---------------------------------------------------------------

def test_an_idle_session_ends(client, app):
    login_as(client, create_user("worker"))
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session[SEEN_AT] = time.time() - idle - 5
    response = client.get("/change")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(client)


def test_activity_keeps_a_session_alive(client, app):
    login_as(client, create_user("worker"))
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session[SEEN_AT] = time.time() - idle + 60
    assert _signed_in(client)
    assert _signed_in(client)


def test_a_session_older_than_the_maximum_ends_even_when_active(client, app):
    login_as(client, create_user("worker"))
    with client.session_transaction() as session:
        session[LOGIN_AT] = time.time() - app.config["SESSION_MAX_HOURS"] * 3600 - 5
        session[SEEN_AT] = time.time()
    response = client.get("/change")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(client)


def test_login_makes_the_session_permanent_so_the_cookie_expires(client):
    response = login_as(client, create_user("worker"))
    assert "Expires=" in response.headers["Set-Cookie"]


# Server-side invalidation -----------------------------------------------------------

def test_log_out_everywhere_ends_other_sessions(app):
    user = create_user("family", seniors=[create_senior()])
    phone, laptop = app.test_client(), app.test_client()
    login_as(phone, user)
    login_as(laptop, user)
    assert _signed_in(phone) and _signed_in(laptop)

    accounts.log_out_everywhere(user)
    db.session.commit()  # the test is the use case's edge

    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    login_as(laptop, user)  # a fresh login still works
    assert _signed_in(laptop)


def test_disabling_an_account_ends_its_open_session_at_once(app, client):
    user = create_user("worker")
    login_as(client, user)
    assert _signed_in(client)

    accounts.disable_user(user)
    db.session.commit()  # the test is the use case's edge

    assert not _signed_in(client)


def test_an_old_session_cookie_replayed_after_logout_everywhere_is_refused(app, client):
    user = create_user("worker")
    login_as(client, user)
    stolen = client.get_cookie("session").value
    accounts.log_out_everywhere(user)
    db.session.commit()  # the test is the use case's edge
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not _signed_in(thief)


# CSRF -----------------------------------------------------------------------------

class TestWithCSRF:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_login_without_a_csrf_token_is_refused_clearly_and_logs_no_one_in(self, client):
        user = create_user("worker")
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        assert b"security token" in response.data
        assert not _signed_in(client)
        db.session.refresh(user)
        assert not user.login_count

    def test_login_with_the_form_token_works(self, client):
        user = create_user("worker")
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302

    def test_logout_by_post_needs_a_token(self, client):
        user = create_user("worker")
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert client.post("/logout").status_code == 400


# Two-factor -----------------------------------------------------------------------

class TestTwoFactorRequired:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "REQUIRE_2FA_FOR_STAFF": True}

    @pytest.mark.parametrize("role", ["admin", "staff"])
    def test_admin_and_staff_without_two_factor_are_sent_to_set_it_up(self, client, role):
        user = _user_for(role, two_factor=False)
        login_as(client, user)
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/tf-setup")
        assert client.get("/change").headers["Location"].startswith("/tf-setup")
        assert client.get("/tf-setup").status_code == 200
        assert client.post("/logout").status_code == 302  # can always leave

    @pytest.mark.parametrize("role", ["worker", "family"])
    def test_workers_and_family_are_not_forced(self, client, role):
        login_as(client, _user_for(role))
        assert _signed_in(client)

    def test_setting_up_an_authenticator_then_logging_in_with_a_code(self, app, client):
        user = create_user("staff", sites=[create_site()], two_factor=False)
        login_as(client, user)
        response = client.post("/tf-setup", data={"setup": "authenticator"})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'id="qrcode"' in page
        action = page.split('name="two_factor_verify_code_form"')[0].rsplit('action="', 1)[1].split('"')[0]
        with client.session_transaction() as session:
            secret = session["tf_totp_secret"]
        code = security.totp_factory.generate_totp_password(secret)
        response = client.post(action, data={"code": code})
        assert response.status_code == 302
        db.session.refresh(user)
        assert user.tf_primary_method == "authenticator"
        assert client.get("/change").status_code == 200  # no longer held at setup

        client.post("/logout")
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"].startswith("/tf-validate")
        assert not _signed_in(client)  # the password alone is not enough
        response = client.post("/tf-validate", data={"code": "000000" if totp_code(user) != "000000" else "111111"})
        assert not _signed_in(client)
        response = client.post("/tf-validate", data={"code": totp_code(user)})
        assert response.status_code == 302
        assert _signed_in(client)


class TestTwoFactorSwitchedOff:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "REQUIRE_2FA_FOR_STAFF": False}

    def test_staff_use_the_app_without_two_factor(self, client):
        login_as(client, create_user("staff", sites=[create_site()], two_factor=False))
        assert _signed_in(client)


# create-user command ------------------------------------------------------------------

def test_create_user_command_makes_a_staff_account(runner):
    site = create_site()
    result = runner.invoke(args=["create-user", "--role", "staff", "--email", "Coord@Example.org",
                                 "--password", PASSWORD, "--site", str(site.id)])
    assert result.exit_code == 0, result.output
    user = db.session.get(User, int(result.stdout.strip()))
    assert user.email == "Coord@example.org"
    assert user.has_role("staff")
    assert user.site_ids == {site.id}


def test_create_user_command_links_a_family_member(runner):
    senior = create_senior()
    result = runner.invoke(create_user_command, ["--role", "family", "--email", "dau@example.org",
                                                 "--password", PASSWORD, "--senior", str(senior.id)])
    assert result.exit_code == 0, result.output
    links = db.session.scalars(sa.select(FamilyLink)).all()
    assert [(link.user_id, link.senior_id) for link in links] == [(int(result.stdout), senior.id)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "staff", "--email", "a@example.org", "--password", PASSWORD, "--site", "999"], "no such site"),
        (["--role", "staff", "--email", "a@example.org", "--password", PASSWORD], "at least one site"),
        (["--role", "worker", "--email", "not-an-email", "--password", PASSWORD], "email"),
        (["--role", "worker", "--email", "a@example.org", "--password", "short"], "password"),
        (["--role", "family", "--email", "a@example.org", "--password", PASSWORD, "--senior", "999"], "no such senior"),
        (["--role", "worker", "--email", "a@example.org", "--password", PASSWORD, "--site", "1"], "only staff"),
        (["--role", "pilot", "--email", "a@example.org", "--password", PASSWORD], "pilot"),
        (["--role", "worker", "--email", "a@example.org"], "password"),
    ],
    ids=["unknown-site", "staff-without-site", "bad-email", "short-password", "unknown-senior",
         "site-for-worker", "unknown-role", "missing-password"],
)
def test_create_user_command_rejects_bad_input_with_exit_code_2(runner, args, message):
    result = runner.invoke(args=["create-user", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_command_refuses_a_duplicate_email(runner):
    create_user("worker", email="taken@example.org")
    result = runner.invoke(args=["create-user", "--role", "worker", "--email", "TAKEN@example.org",
                                 "--password", PASSWORD])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_created_user_can_log_in(runner, client):
    result = runner.invoke(args=["create-user", "--role", "worker", "--email", "li@example.org",
                                 "--password", PASSWORD])
    assert result.exit_code == 0
    login_as(client, db.session.get(User, int(result.stdout)))
    assert _signed_in(client)
