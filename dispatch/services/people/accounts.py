"""Accounts: create users with a role and their scope, end their sessions, disable them.

Hashing, session keys and token invalidation are Flask-Security's; this module
only decides what a valid account is; it flushes, and the use case's edge commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_security import hash_password
from flask_security.mail_util import EmailValidateException

from dispatch.extensions import db, security
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.site import MealSite
from dispatch.models.user import RoleName, StaffSite, User
from dispatch.models.worker import Worker
from dispatch.platform.errors import FieldError


def _ids(values: Iterable, field: str) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise FieldError(field, f"not a number: {value!r}") from None
    return sorted(set(ids))


def _missing(model, ids: list[int]) -> list[int]:
    found = set(db.session.scalars(sa.select(model.id).where(model.id.in_(ids)))) if ids else set()
    return [i for i in ids if i not in found]


def create_user(
    email: str,
    password: str,
    role: RoleName | str,
    display_name: str | None = None,
    site_ids: Iterable[int] = (),
    senior_ids: Iterable[int] = (),
    *,
    worker_id: int | None = None,
    relation: str = "family",
) -> User:
    """Create an active account with one role and its scope (flush only: the caller's unit commits).

    Staff need at least one site (``site_ids``); family members are linked to
    ``senior_ids`` (with ``relation``); a worker login may be attached to an
    existing worker record (``worker_id``). Raises ``FieldError``.
    """
    try:
        role_name = RoleName(str(role).strip().lower())
    except ValueError:
        raise FieldError("role", f"unknown role {role!r}; choose one of "
                              + ", ".join(r.value for r in RoleName)) from None

    # Flask-Security's validators translate their messages, which needs a
    # request; the CLI has none, so lend them one.
    with nullcontext() if has_request_context() else current_app.test_request_context():
        try:
            email = security.mail_util.normalize((email or "").strip())
        except EmailValidateException as exc:
            raise FieldError("email", str(exc.msg)) from None
        errors, password = security.password_util.validate(password or "", True, email=email)
    if errors:
        raise FieldError("password", " ".join(str(e) for e in errors))
    if security.datastore.find_user(case_insensitive=True, email=email) is not None:
        raise FieldError("email", "an account with this email already exists")

    sites = _ids(site_ids, "site")
    seniors = _ids(senior_ids, "senior")
    if sites and role_name != RoleName.STAFF:
        raise FieldError("site", "only staff accounts are scoped to sites")
    if role_name == RoleName.STAFF and not sites:
        raise FieldError("site", "a staff account needs at least one site")
    if seniors and role_name != RoleName.FAMILY:
        raise FieldError("senior", "only family accounts are linked to seniors")
    if missing := _missing(MealSite, sites):
        raise FieldError("site", "no such site: " + ", ".join(map(str, missing)))
    if missing := _missing(Senior, seniors):
        raise FieldError("senior", "no such senior: " + ", ".join(map(str, missing)))

    worker = None
    if worker_id is not None:
        if role_name != RoleName.WORKER:
            raise FieldError("worker", "only worker accounts are linked to a worker record")
        worker = db.session.get(Worker, int(worker_id))
        if worker is None:
            raise FieldError("worker", f"no such worker: {worker_id}")
        if worker.user_id is not None:
            raise FieldError("worker", "this worker already has a login")

    datastore = security.datastore
    user = datastore.create_user(
        email=email,
        password=hash_password(password),
        display_name=(display_name or "").strip() or email.split("@")[0],
        roles=[datastore.find_or_create_role(role_name.value)],
        active=True,
    )
    db.session.flush()
    for site_id in sites:
        db.session.add(StaffSite(user_id=user.id, site_id=site_id))
    for senior_id in seniors:
        db.session.add(FamilyLink(user_id=user.id, senior_id=senior_id, relation=relation))
    if worker is not None:
        worker.user_id = user.id
    db.session.flush()
    return user


def log_out_everywhere(user: User) -> None:
    """End every session and API token of ``user`` (on the server, not just this browser)."""
    from dispatch.services.people.api_tokens import revoke_all_for

    security.datastore.set_uniquifier(user)
    security.datastore.set_token_uniquifier(user)
    revoke_all_for(user)
    db.session.flush()


def disable_user(user: User) -> None:
    """Stop ``user`` from logging in, end their open sessions and revoke their API tokens at once.

    The tokens are revoked, not just unusable while the account is off: re-enabling
    the account must not bring back integrations' tokens nobody re-issued.
    """
    from dispatch.services.people.api_tokens import revoke_all_for

    security.datastore.deactivate_user(user)
    security.datastore.set_uniquifier(user)
    security.datastore.set_token_uniquifier(user)
    revoke_all_for(user)
    db.session.flush()


def enable_user(user: User) -> None:
    """Let a disabled account log in again (its API tokens stay revoked: new ones must be issued)."""
    security.datastore.activate_user(user)
    db.session.flush()


def reset_two_factor(user: User) -> None:
    """Forget ``user``'s authenticator (lost phone); they set up a new one at next login."""
    security.datastore.tf_reset(user)
    security.datastore.set_uniquifier(user)
    db.session.flush()
