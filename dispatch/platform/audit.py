"""The audit trail: record who read or changed what, especially seniors' personal data.

``record`` only adds and flushes; the calling service's transaction commits
the event together with the change it describes (or rolls both back).
Details name fields, never their values: the trail must not copy personal data.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent


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
    ip = request.remote_addr if has_request_context() else None
    event = AuditEvent(
        action=action, user_id=_user_id(user), entity_type=entity_type, entity_id=entity_id,
        senior_id=senior_id, detail=detail, ip=(ip or None) and ip[:64],
    )
    db.session.add(event)
    db.session.flush()
    return event
