"""Every time someone saw or spoke to a senior, and the due visits and calls each contact fulfils.

A contact is recorded by the server's clock (the proof of time). Recording one closes the senior's open
due visits it satisfies under their tier's rule (``rules.satisfies``): a home visit fulfils a due visit
and a due call, a call only a due call, a face-to-face meal drop whatever the rule says it counts as.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertStatus, WelfareAlert
from dispatch.models.senior import Senior
from dispatch.models.visitation import OPEN_DUE_STATUSES, Contact, ContactKind, DueStatus, DueVisit
from dispatch.platform import audit, clock
from dispatch.services.visitation import rules, tiers


def record_contact(senior: Senior, kind: ContactKind, *, by: Any = None, at: datetime | None = None,
                   site_id: int | None = None, stop_id: int | None = None, note: str = "",
                   tier: int | None = None) -> Contact:
    """Add a contact and close the open due visits it satisfies; flushes, never commits.

    ``tier`` saves the lookup when the caller already knows it."""
    at = at or clock.now()
    site_id = site_id if site_id is not None else senior.home_site_id
    contact = Contact(senior_id=senior.id, site_id=site_id, kind=ContactKind(kind), contact_dt=at,
                      stop_id=stop_id, note=note or "", by_id=getattr(by, "id", None))
    db.session.add(contact)
    db.session.flush()
    if tier is None:
        tier = tiers.tier_of(senior, today=clock.local_today(senior.home_site, at)).tier
    fulfils = rules.satisfies(contact.kind, rules.rule_for(tier, senior.home_site_id))
    if fulfils:
        open_dues = db.session.scalars(sa.select(DueVisit).where(
            DueVisit.senior_id == senior.id, DueVisit.status.in_(OPEN_DUE_STATUSES),
            DueVisit.kind.in_(fulfils)).order_by(DueVisit.latest_date, DueVisit.id)).all()
        for due in open_dues:
            due.status, due.closed_dt = DueStatus.DONE, at
            if contact.due_visit_id is None:
                contact.due_visit_id = due.id
        db.session.flush()
        if open_dues:
            _resolve_overdue_alerts(senior, at, by, contact)
    return contact


def _resolve_overdue_alerts(senior: Senior, at: datetime, by: Any, contact: Contact) -> None:
    """The board's "visit or call overdue" alerts for ``senior`` close once nothing of theirs is overdue any more:
    the visit or call was made, and staff need not close by hand what the work itself answered."""
    today = clock.local_today(senior.home_site, at)
    still_late = db.session.scalar(sa.select(sa.func.count()).select_from(DueVisit).where(
        DueVisit.senior_id == senior.id, DueVisit.status.in_(OPEN_DUE_STATUSES), DueVisit.latest_date < today))
    if still_late:
        return
    open_alerts = db.session.scalars(sa.select(WelfareAlert).where(
        WelfareAlert.senior_id == senior.id, WelfareAlert.kind == AlertKind.VISIT_OVERDUE,
        WelfareAlert.status != AlertStatus.RESOLVED)).all()
    for alert in open_alerts:
        if alert.acknowledged_dt is None:
            alert.acknowledged_dt = at
        alert.status, alert.resolved_dt, alert.resolution = AlertStatus.RESOLVED, at, ""
        audit.record("alert.resolve", user=by, entity_type="welfare_alert", entity_id=alert.id, senior_id=senior.id,
                     detail={"by": "contact", "contact": contact.id, "kind": str(contact.kind)})
    if open_alerts:
        db.session.flush()


def last_contacts(senior_ids: Iterable[int]) -> dict[int, dict[ContactKind, datetime]]:
    """Each senior's latest contact of each kind (seniors never contacted are absent)."""
    ids = set(senior_ids)
    found: dict[int, dict[ContactKind, datetime]] = defaultdict(dict)
    if not ids:
        return found
    rows = db.session.execute(sa.select(Contact.senior_id, Contact.kind, sa.func.max(Contact.contact_dt))
                              .where(Contact.senior_id.in_(ids)).group_by(Contact.senior_id, Contact.kind))
    for sid, kind, at in rows:
        found[sid][ContactKind(kind)] = clock.local(at, clock.UTC)
    return found


def history(senior: Senior, *, limit: int = 20) -> list[Contact]:
    """The senior's latest contacts, newest first."""
    return db.session.scalars(sa.select(Contact).where(Contact.senior_id == senior.id)
                              .order_by(Contact.contact_dt.desc(), Contact.id.desc()).limit(limit)).all()
