"""Builders for test data: keyword overrides on sensible defaults, flushed and committed.

    site = create_site(name="North canteen")
    senior = create_senior(site=site, lives_alone=True)
    staff = create_user("staff", sites=[site])
    login_as(client, staff)

Users get the password ``PASSWORD``. Admin and staff users get an
authenticator set up when the app requires two-factor for them
(``REQUIRE_2FA_FOR_STAFF``), and ``login_as`` types the code, so tests
written against either setting keep working.
"""
from __future__ import annotations

import itertools
import time
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient
from passlib.totp import TOTP

from dispatch.extensions import db, security
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.site import MealSite
from dispatch.models.user import RoleName, StaffSite, User
from dispatch.models.worker import Worker, WorkerKind

PASSWORD = "correct horse battery staple"


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the whole test, and a
    request reuses a pushed context of its app, so ``flask.g`` would be shared
    by all requests of a test: Flask-Login's cached ``g._login_user`` and
    Flask-Security's ``g.fs_authn_via`` then leak from one request into the
    next (a logged-out client still looks logged in, a new login looks like no
    session). Install with ``app.test_client_class = FreshContextClient``.
    Database objects the test holds may be stale after a request: refresh them.
    """

    def open(self, *args: Any, **kwargs: Any):
        with self.application.app_context():
            return super().open(*args, **kwargs)

_seq = itertools.count(1)


def _id(obj_or_id: Any) -> int:
    return obj_or_id if isinstance(obj_or_id, int) else obj_or_id.id


def _save(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def create_site(**overrides: Any) -> MealSite:
    n = next(_seq)
    fields = dict(
        name=f"Site {n}", address=f"{n} Canteen Road", lat=31.23 + n * 0.001, lon=121.47 + n * 0.001,
        daily_capacity=200,
    )
    fields.update(overrides)
    return _save(MealSite(**fields))


def create_senior(site: MealSite | int | None = None, **overrides: Any) -> Senior:
    n = next(_seq)
    fields = dict(
        full_name=f"Senior {n}", date_of_birth=date(1940, 1, 1), address=f"{n} Lane {n}",
        lat=31.23 + n * 0.0005, lon=121.47 + n * 0.0005,
        home_site_id=_id(site) if site is not None else None,
    )
    fields.update(overrides)
    return _save(Senior(**fields))


def create_worker(site: MealSite | int | None = None, user: User | None = None, **overrides: Any) -> Worker:
    n = next(_seq)
    if site is None:
        site = create_site()
    fields = dict(
        full_name=f"Worker {n}", kind=WorkerKind.DRIVER, home_site_id=_id(site), capacity_meals=10,
        user_id=user.id if user is not None else None,
    )
    fields.update(overrides)
    return _save(Worker(**fields))


_hashes: dict[str, str] = {}


def _hashed(password: str) -> str:
    """argon2 is slow on purpose; one hash per password serves every test user."""
    from flask_security import hash_password

    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


def needs_two_factor(role: str) -> bool:
    return role in ("admin", "staff") and bool(current_app.config.get("REQUIRE_2FA_FOR_STAFF", True))


def create_user(
    role: RoleName | str,
    email: str | None = None,
    password: str = PASSWORD,
    sites: tuple = (),
    seniors: tuple = (),
    *,
    two_factor: bool | None = None,
    **overrides: Any,
) -> User:
    """A user with ``role``; staff scoped to ``sites``, family linked to ``seniors``.

    ``two_factor``: True sets up an authenticator, False leaves none, None
    (default) sets one up only when the app would force admin/staff to.
    """
    role = str(role)
    n = next(_seq)
    datastore = security.datastore
    fields = dict(
        email=email or f"{role}{n}@example.org",
        password=_hashed(password),
        display_name=f"{role.title()} {n}",
        roles=[datastore.find_or_create_role(role)],
        active=True,
    )
    fields.update(overrides)
    user = datastore.create_user(**fields)
    db.session.flush()
    for site in sites:
        db.session.add(StaffSite(user_id=user.id, site_id=_id(site)))
    for senior in seniors:
        db.session.add(FamilyLink(user_id=user.id, senior_id=_id(senior), relation="daughter"))
    if two_factor if two_factor is not None else needs_two_factor(role):
        datastore.tf_set(user, "authenticator", totp_secret=security.totp_factory.generate_totp_secret())
    db.session.commit()
    return user


TOTP_STEP = 30  # seconds an authenticator code lasts


def totp_code(user: User) -> str:
    """The code the user's authenticator app would show now, or (if that one was used) its next one.

    A code logs in once (``dispatch.credentials.SingleUseTotp``); a test that logs the same
    user in twice within 30 s gets the next step's code, as a person waiting for it would
    (the server accepts codes up to two minutes ahead for clock drift).
    """
    last = db.session.scalar(sa.select(User.tf_totp_last_counter).where(User.id == user.id))
    step = int(time.time() // TOTP_STEP)
    if last is not None and last >= step:
        step = last + 1
    totp = TOTP.using(secrets=current_app.config["SECURITY_TOTP_SECRETS"]).from_source(user.tf_totp_secret)
    return totp.generate(time=step * TOTP_STEP).token


def login_as(client, user: User, password: str = PASSWORD, *, follow: bool = False):
    """Log ``user`` in through the real login form (and the 2FA code step, if asked).

    Returns the last response; asserts the login went through.
    """
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"login failed for {user.email}: {response.status_code}"
    if "/tf-validate" in response.headers.get("Location", ""):
        response = client.post("/tf-validate", data={"code": totp_code(user)})
        assert response.status_code == 302, f"two-factor code refused for {user.email}"
    if follow:
        response = client.get(response.headers["Location"], follow_redirects=True)
    return response
