"""The audit trail: record who read or changed what, especially seniors' personal data.

``record`` only adds and flushes; the calling service's transaction commits
the event together with the change it describes (or rolls both back).
Details name fields, never their values: the trail must not copy personal data.

Reads are recorded too: one senior's file (``senior.read``), a list or board
that shows several (``record_list``: one event with the count and the seniors'
ids, so the unusual-access report counts them), and refused attempts
(``record_refusal``: written even though the refused request rolls back).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.platform import clock, transaction

# Actions whose detail lists the seniors shown (``senior_ids``): they count as reads of each.
LIST_ACTIONS = ("senior.list", "board.read", "worker_day.read", "worker_day.print", "worker_day.offline_read",
                "follow_up.list")
REFUSED_ACTION = "senior.read_refused"


def _user_id(user: Any) -> int | None:
    if user is None or isinstance(user, int):
        return user
    if not getattr(user, "is_authenticated", True):
        return None
    return getattr(user, "id", None)


def record(
    action: str,
    *,
    user: Any,
    entity_type: str,
    entity_id: int | None,
    senior_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event (e.g. ``senior.update``) to the current transaction and flush it."""
    event = AuditEvent(
        action=action, user_id=_user_id(user), entity_type=entity_type, entity_id=entity_id,
        senior_id=senior_id, detail=detail, ip=_ip(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def _ip() -> str | None:
    ip = request.remote_addr if has_request_context() else None
    return (ip or None) and ip[:64]


def record_list(action: str, *, user: Any, entity_type: str, entity_id: int | None, senior_ids,
                detail: dict[str, Any] | None = None, unless_repeated_within: timedelta | None = None
                ) -> AuditEvent | None:
    """One event for a page that showed several seniors: their count and ids (no other data).

    ``unless_repeated_within``: a page that reloads or polls (the board, the worker's phone) is not
    recorded again while the same user's last such event, that recent, showed the same seniors.
    """
    ids = sorted({int(i) for i in senior_ids if i is not None})
    detail = {**(detail or {}), "count": len(ids), "senior_ids": ids}
    if unless_repeated_within is not None:
        last = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.user_id == _user_id(user), AuditEvent.action == action,
                                        AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id.desc()).limit(1))
        if last is not None and last.event_dt > clock.now() - unless_repeated_within and last.detail == detail:
            return None
    return record(action, user=user, entity_type=entity_type, entity_id=entity_id, detail=detail)


def record_refusal(*, user: Any, senior_id: int | None, detail: dict[str, Any] | None = None) -> None:
    """Record a refused attempt to reach a senior's record; it is kept although the request rolls back."""
    user_id, ip = _user_id(user), _ip()

    def write() -> None:
        db.session.add(AuditEvent(action=REFUSED_ACTION, user_id=user_id, entity_type="senior",
                                  entity_id=senior_id, senior_id=senior_id, detail=detail, ip=ip))
        db.session.flush()

    transaction.regardless(write)
