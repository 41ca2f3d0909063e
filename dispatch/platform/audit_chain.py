"""Walk the audit trail's hash chain and report the first row that does not fit.

A row fits when its ``prev_hash`` is the previous row's ``hash`` and its
``hash`` is ``sha256(prev_hash + canonical(row))``. An edited row breaks its
own hash; a deleted row breaks the next row's link; a row inserted by hand
without the chain breaks both.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import GENESIS, AuditEvent

BATCH = 2000


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify() -> Verification:
    """Check every event in id order (rows read in batches, never held in the session)."""
    prev, checked, last_id = GENESIS, 0, 0
    table = AuditEvent.__table__
    while True:
        rows = db.session.execute(sa.select(table).where(table.c.id > last_id)
                                  .order_by(table.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return Verification(True, checked)
        for row in rows:
            event = AuditEvent(**dict(row))  # transient: only for its canonical form
            if event.prev_hash != prev:
                return Verification(False, checked, event.id, "does not link to the previous event "
                                                              "(an event before it was removed or altered)")
            if event.hash != event.expected_hash(prev):
                return Verification(False, checked, event.id, "its content does not match its hash (edited)")
            prev, checked, last_id = event.hash, checked + 1, event.id
