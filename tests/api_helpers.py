"""Helpers for API tests: issue a token for a role and call the API with it."""
from __future__ import annotations

from dispatch.extensions import db
from dispatch.services.people import api_tokens
from tests.factories import create_user


def token_for(user, role: str | None = None, *, sites=(), days: int = 30) -> str:
    role = role or user.roles[0].name
    site_ids = [s if isinstance(s, int) else s.id for s in sites]
    if role == "staff" and not site_ids:
        site_ids = sorted(user.site_ids)
    secret = api_tokens.issue(user, role=role, name="test", days=days, site_ids=site_ids, by=None).secret
    db.session.commit()  # the test is the use case's edge: the service only flushed
    return secret


def new_token(role: str, *, sites=(), **user_kwargs) -> tuple[object, str]:
    user = create_user(role, sites=sites, **user_kwargs)
    return user, token_for(user, role, sites=sites)


def bearer(token: str, **extra) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}
