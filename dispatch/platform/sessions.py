"""Sessions that end on the server when their user logs out.

Flask's session is a signed cookie: the server keeps nothing, so a copy of the
cookie taken before ``POST /logout`` would go on reading and writing as that
user until the idle limit. Each login issues a fresh random ``dispatch_sid``
(``security_setup``); logging out stores its SHA-256 here, and every request
that arrives with a revoked id (or with none: no proof it came from a login)
is logged out before its view runs. A row is kept only as long as the session
could have lived (``SESSION_MAX_HOURS``); logouts prune the expired ones.

"Log out everywhere" and disabling an account need no rows: they reset the
user's ``fs_uniquifier``, which every session cookie of that user carries.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from dispatch.extensions import db
from dispatch.models.user import RevokedSession
from dispatch.platform import clock

SESSION_ID = "dispatch_sid"  # the session key that names one login

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def revoke(sid: str, user_id: int | None) -> None:
    """End the session ``sid`` for good (flush only: the request's unit commits).

    Idempotent: two logouts racing with the same cookie store one row, no error.
    """
    now = clock.now()
    db.session.execute(sa.delete(RevokedSession).where(RevokedSession.expires_dt < now))
    lifetime = timedelta(hours=float(current_app.config["SESSION_MAX_HOURS"]))
    values = {"sid_hash": _digest(sid), "user_id": user_id, "expires_dt": now + lifetime}
    insert = _INSERT[db.session.get_bind().dialect.name]
    db.session.execute(insert(RevokedSession).values(**values).on_conflict_do_nothing(index_elements=["sid_hash"]))
    db.session.flush()


def is_revoked(sid: str | None) -> bool:
    """True for a session that was logged out, or that carries no login id at all."""
    if not sid:
        return True
    return db.session.scalar(sa.select(sa.literal(1)).where(RevokedSession.sid_hash == _digest(sid))) is not None
