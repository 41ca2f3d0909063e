"""API tokens: issue (shown once), authenticate, list and revoke.

A request authenticated by a token acts as a ``TokenPrincipal``: the token's
account, reduced to the token's one role and (for staff) to the token's
sites. Every access rule in ``services.access`` takes that principal like a
signed-in user, so the API and the pages can never disagree on who sees what.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _
from sqlalchemy.orm import joinedload

from dispatch.extensions import db
from dispatch.models.api_token import ApiToken
from dispatch.models.user import RoleName, User
from dispatch.platform import audit, clock
from dispatch.platform.errors import FieldError

TOKEN_PREFIX = "dst_"
MAX_DAYS = 366
# Touch last_used_dt at most this often, so busy integrations do not write on every call.
LAST_USED_EVERY = timedelta(minutes=5)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TokenPrincipal:
    """The identity an API call acts as: one account, one role, maybe fewer sites."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        self.user: User = token.user
        self.id = self.user.id
        self.email = self.user.email
        self.active = self.is_active = bool(self.user.active)
        self.site_scope: list[int] | None = list(token.site_ids) if token.role == RoleName.STAFF else None

    def has_role(self, role: Any) -> bool:
        name = getattr(role, "name", role)
        return str(name) == self.token.role and self.user.has_role(self.token.role)

    @property
    def roles(self) -> list:
        return [r for r in self.user.roles if r.name == self.token.role]

    def get_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # shown to the admin once, never stored


def issue(user: User, *, role: str, name: str, days: int, site_ids: Iterable[int] = (), by,
          now: datetime | None = None) -> Issued:
    """Create a token acting for ``user`` as ``role``; one unit; the secret is only in the result."""
    now = now or clock.now()
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise FieldError("name", _("Name the token (1 to 80 characters), e.g. the system that uses it."))
    if role not in {r.value for r in RoleName}:
        raise FieldError("role", _("Not a valid choice."))
    if not user.active or not user.has_role(role):
        raise FieldError("role", _("The account does not have this role."))
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise FieldError("days", _("A token lasts 1 to %(n)s days.", n=MAX_DAYS))
    sites = sorted({int(s) for s in site_ids})
    if role == RoleName.STAFF:
        if not sites:
            raise FieldError("site_ids", _("Choose at least one site for a staff token."))
        if not set(sites) <= user.site_ids:
            raise FieldError("site_ids", _("The account does not manage all of these sites."))
    elif sites:
        raise FieldError("site_ids", _("Only staff tokens are limited to sites."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:12], token_hash=digest(secret), user_id=user.id, role=role,
                     site_ids=sites if role == RoleName.STAFF else None, created_dt=now,
                     expires_dt=now + timedelta(days=days), created_by_id=getattr(by, "id", None))
    token.user = user
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", user=by, entity_type="api_token", entity_id=token.id,
                 detail={"for_user": user.id, "role": role, "sites": sites, "days": days})
    db.session.flush()
    return Issued(token, secret)


def revoke(token: ApiToken, *, by, now: datetime | None = None) -> None:
    if token.revoked_dt is not None:
        return
    token.revoked_dt = now or clock.now()
    audit.record("api_token.revoke", user=by, entity_type="api_token", entity_id=token.id,
                 detail={"for_user": token.user_id})
    db.session.flush()


def authenticate(raw: str | None, *, now: datetime | None = None) -> TokenPrincipal | None:
    """The principal for a presented token, or None if it is unknown, expired, revoked or its account disabled."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = now or clock.now()
    # The account comes in the same query: every API call checks it is still active.
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(raw))
                              .options(joinedload(ApiToken.user)))
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_dt is None or now - token.last_used_dt > LAST_USED_EVERY:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_dt=now))
        db.session.flush()
    return TokenPrincipal(token)


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.created_dt.desc(), ApiToken.id.desc())))


def get_token_or_404(token_id: Any) -> ApiToken:
    from dispatch.platform.access import one_or_404

    return one_or_404(sa.select(ApiToken), ApiToken.id, token_id)


def revoke_all_for(user: User, *, now: datetime | None = None) -> int:
    """Revoke every live token acting for ``user`` (flush only: the caller commits)."""
    now = now or clock.now()
    result = db.session.execute(sa.update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_dt.is_(None)).values(revoked_dt=now))
    return result.rowcount or 0
