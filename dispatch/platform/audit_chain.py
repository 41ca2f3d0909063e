"""Walk the audit trail's keyed hash chain and report the first row that does not fit.

A row fits when its ``prev_hash`` is the previous row's ``hash`` and its
``hash`` is ``HMAC(AUDIT_KEY, prev_hash + canonical(row))``. An edited row
breaks its own hash; a deleted row breaks the next row's link; a row inserted
by hand without the chain breaks both; and nobody without the key (the
database holds none) can recompute the later hashes to hide an edit.

What the chain alone cannot show is the removal of the *newest* rows: the
shorter trail is a valid chain. The anchors (``audit_anchor``) written outside
the database on a schedule can: every anchored event must still be there, with
the anchored hash, as the anchored n-th event.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import GENESIS, AuditEvent, audit_key
from dispatch.platform import audit_anchor
from dispatch.platform.audit_anchor import Anchor

BATCH = 2000


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    last_id: int = 0
    head: str = GENESIS
    anchor: Anchor | None = None  # the newest anchor the trail was checked against


def verify(*, anchors: list[Anchor] | None = None, start: Anchor | None = None) -> Verification:
    """Check the events in id order (read in batches, never held in the session) against the anchors.

    ``anchors`` defaults to those in the anchor file (a bad anchor file is a failed check);
    ``start`` resumes from an anchor already checked, to check only what came after it.
    """
    if anchors is None:
        try:
            anchors = audit_anchor.read_anchors()
        except audit_anchor.AnchorError as error:
            return Verification(False, 0, None, str(error))
    key = audit_key()
    pending = {a.last_id: a for a in anchors if start is None or a.last_id > start.last_id}
    prev, checked, last_id = GENESIS, 0, 0
    if start is not None:
        row = db.session.execute(sa.select(AuditEvent.hash).where(AuditEvent.id == start.last_id)).scalar()
        if row != start.head:
            return Verification(False, 0, start.last_id, _anchor_reason(start))
        prev, checked, last_id = start.head, start.events, start.last_id
    table = AuditEvent.__table__
    while True:
        rows = db.session.execute(sa.select(table).where(table.c.id > last_id)
                                  .order_by(table.c.id).limit(BATCH)).mappings().all()
        if not rows:
            break
        for row in rows:
            event = AuditEvent(**dict(row))  # transient: only for its canonical form
            if event.prev_hash != prev:
                return Verification(False, checked, event.id, "does not link to the previous event "
                                                              "(an event before it was removed or altered)")
            if event.hash != event.expected_hash(prev, key):
                return Verification(False, checked, event.id, "its content does not match its hash (edited, "
                                                              "or chained without the audit key)")
            prev, checked, last_id = event.hash, checked + 1, event.id
            anchor = pending.pop(event.id, None)
            if anchor is not None and (anchor.head != event.hash or anchor.events != checked):
                return Verification(False, checked, event.id, _anchor_reason(anchor))
    if pending:
        missing = min(pending.values(), key=lambda a: a.last_id)
        return Verification(False, checked, missing.last_id,
                            f"the anchor of {missing.anchored_at} counted {missing.events} events up to event "
                            f"{missing.last_id}; the trail now ends at event {last_id} after {checked} "
                            "(the newest events were removed)")
    newest = max(anchors, key=lambda a: a.last_id, default=None)
    return Verification(True, checked, last_id=last_id, head=prev, anchor=newest)


def _anchor_reason(anchor: Anchor) -> str:
    return (f"does not match the anchor of {anchor.anchored_at} ({anchor.events} events up to this one): "
            "events up to it were removed or rewritten")


def anchor(now: str) -> tuple[Verification, str | None]:
    """Check what came after the newest anchor, then anchor the head; returns the check and the new line.

    Nothing is anchored when the check fails (an anchor must never bless a rewritten
    trail) or when the head has not moved since the newest anchor.
    """
    try:
        anchors = audit_anchor.read_anchors()
    except audit_anchor.AnchorError as error:
        return Verification(False, 0, None, str(error)), None
    newest = max(anchors, key=lambda a: a.last_id, default=None)
    result = verify(anchors=anchors, start=newest)
    if not result.ok or result.last_id == (newest.last_id if newest else 0):
        return result, None
    line = audit_anchor.append(Anchor(now, result.checked, result.last_id, result.head))
    return result, line
