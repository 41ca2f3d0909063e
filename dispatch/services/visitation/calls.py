"""The call list's one-tap outcomes: reached and well, reached with a concern, or no answer.

A call that reached the senior is a contact (it closes the due call and restarts the interval). A
concern also opens a follow-up for the caller, due in ``CONCERN_DAYS`` days. No answer from a senior who
lives alone or is tier 1 raises a ``NO_ANSWER`` welfare alert, the welfare ladder meals use; otherwise
the due stays open for another try. A second tap on a due already done changes nothing.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, WelfareAlert
from dispatch.models.visitation import (
    ContactKind,
    DueKind,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
)
from dispatch.platform import audit, clock
from dispatch.platform.errors import FieldError
from dispatch.services.visitation import contacts

CONCERN_DAYS = 3
MAX_NOTE = 2000


class CallOutcome(enum.StrEnum):
    REACHED_WELL = "reached_well"
    REACHED_CONCERN = "reached_concern"
    NO_ANSWER = "no_answer"


OUTCOME_LABELS = {CallOutcome.REACHED_WELL: _l("Reached, well"),
                  CallOutcome.REACHED_CONCERN: _l("Reached, a concern"),
                  CallOutcome.NO_ANSWER: _l("No answer")}


@dataclass
class CallResult:
    outcome: CallOutcome | None
    already_done: bool = False
    contact_id: int | None = None
    follow_up: FollowUp | None = None
    alert: WelfareAlert | None = None


def record_call(due: DueVisit, outcome: Any, note: Any = "", *, by: Any, now: datetime | None = None) -> CallResult:
    """Record one call on a due call (flush only). ``FieldError`` on a bad outcome or a missing note.

    The due's row is locked first (PostgreSQL), so two taps at once wait for each other and the second
    finds the call done."""
    db.session.refresh(due, with_for_update=True)
    if due.status == DueStatus.DONE:
        return CallResult(None, already_done=True)  # a double submit: the first one counted
    if due.status == DueStatus.CANCELLED:
        raise FieldError("outcome", _l("This call was cancelled; it needs no outcome."))
    if due.kind != DueKind.CALL:
        raise FieldError("outcome", _l("This is a home visit, not a call."))
    try:
        outcome = CallOutcome(outcome)
    except ValueError:
        raise FieldError("outcome", _l("Choose what came of the call.")) from None
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        raise FieldError("note", _l("Keep the note under %(n)s characters.", n=MAX_NOTE))
    if outcome == CallOutcome.REACHED_CONCERN and not note:
        raise FieldError("note", _l("Say what the concern is."))
    now = now or clock.now()
    senior = due.senior
    result = CallResult(outcome)
    if outcome in (CallOutcome.REACHED_WELL, CallOutcome.REACHED_CONCERN):
        contact = contacts.record_contact(senior, ContactKind.CALL, by=by, at=now, site_id=due.site_id, note=note)
        if due.status != DueStatus.DONE:  # the rule's tier may have changed since: this call answers this due
            due.status, due.closed_dt = DueStatus.DONE, now
        contact.due_visit_id = contact.due_visit_id or due.id
        result.contact_id = contact.id
        if outcome == CallOutcome.REACHED_CONCERN:
            today = clock.local_today(due.site or senior.home_site, now)
            follow_up = FollowUp(senior_id=senior.id, site_id=due.site_id, kind=FollowUpKind.OTHER, finding=note,
                                 owner_id=getattr(by, "id", None), deadline=today + timedelta(days=CONCERN_DAYS),
                                 status=FollowUpStatus.OPEN, created_dt=now, created_by_id=getattr(by, "id", None))
            db.session.add(follow_up)
            result.follow_up = follow_up
    elif senior.lives_alone or due.tier == 1:
        from dispatch.models.notification import NotificationEvent
        from dispatch.services.family import notifications
        from dispatch.services.safety import alerts

        alert = alerts.raise_alert(AlertKind.NO_ANSWER, senior=senior, severity=AlertSeverity.HIGH, now=now, by=by,
                                   detail={"due_visit_id": due.id, "via": "call"})
        if alert is not None:
            if due.site_id is not None:
                alert.site_id = due.site_id
                notifications.emit_to_site_staff(NotificationEvent.WELFARE_ALERT, site_id=due.site_id,
                                                 senior_id=senior.id,
                                                 payload={"alert_id": alert.id, "kind": alert.kind.value})
                notifications.deliver_after_commit()
        result.alert = alert
    db.session.flush()
    audit.record("visitation.call", user=by, entity_type="due_visit", entity_id=due.id, senior_id=senior.id,
                 detail={"outcome": outcome.value, "contact_id": result.contact_id,
                         "follow_up_id": result.follow_up.id if result.follow_up else None,
                         "alert_id": result.alert.id if result.alert else None, "fields": ["note"] if note else []})
    return result
