"""A meal drop where the worker saw the senior and they looked well is a visitation contact.

``record_tap`` is ``outcomes.record`` for the phone's taps plus that: a tap "delivered, seen and well"
(``Tap.seen_well``) records a ``MEAL_CHECK`` contact for the senior, which closes what the tier's rule
lets a face-to-face meal drop stand for (``rules.satisfies``). A replayed tap adds no second contact.
It lives here rather than in ``outcomes`` so that rounds need not know about visitation.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from dispatch.extensions import db
from dispatch.models.plan import Stop, StopKind, StopOutcome
from dispatch.models.visitation import ContactKind
from dispatch.platform import clock
from dispatch.services.rounds import outcomes
from dispatch.services.visitation import contacts

Clock = Callable[[], datetime]


def record_tap(stop: Stop, tap: outcomes.Tap, *, by, now: Clock = clock.now) -> outcomes.Recorded:
    """Record the tap (``outcomes.record``) and, for a first "seen and well" delivery, the contact."""
    recorded = outcomes.record(stop, tap, by=by, now=now)
    if recorded.replay or not tap.seen_well:
        return recorded
    stop = db.session.get(Stop, recorded.result["stop_id"])
    if stop.kind == StopKind.MEAL and tap.outcome == StopOutcome.DELIVERED:
        contact = contacts.record_contact(stop.senior, ContactKind.MEAL_CHECK, by=by,
                                          at=recorded.event.received_dt, site_id=stop.route.plan.site_id,
                                          stop_id=stop.id)
        recorded.result["contact_id"] = contact.id
        recorded.event.result = {**(recorded.event.result or {}), "contact_id": contact.id,
                                 "seen_well": True}
        db.session.flush()
    return recorded
