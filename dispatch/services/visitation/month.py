"""A site's welfare visits and calls in one month, as the monthly statement shows (and freezes) them.

Where visitation is funded, the civil-affairs office pays for visits that happened, so the statement
counts only what left a record: home visits with a visit record (seen, and not seen: the visitor went),
calls that reached the senior, face-to-face meal checks; and the month's visitation rate (seniors on the
site's list with at least one contact, over the seniors on the list). Months are the site's calendar.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.models.visitation import Contact, ContactKind, VisitRecord
from dispatch.platform import clock

KEYS = ("visits_seen", "visits_not_seen", "calls", "meal_checks", "seniors_contacted", "seniors_on_list")


def month_counts(site: MealSite, month: date) -> dict[str, Any]:
    """The month's counts at ``site`` (``month`` is its first day)."""
    zone = clock.zone_of(site)
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    start, end = clock.at_local(month, time(0), zone), clock.at_local(nxt, time(0), zone)
    records = dict(db.session.execute(
        sa.select(VisitRecord.seen, sa.func.count(VisitRecord.id)).where(
            VisitRecord.site_id == site.id, VisitRecord.received_dt >= start, VisitRecord.received_dt < end)
        .group_by(VisitRecord.seen)).all())
    kinds = dict(db.session.execute(
        sa.select(Contact.kind, sa.func.count(Contact.id)).where(
            Contact.site_id == site.id, Contact.contact_dt >= start, Contact.contact_dt < end)
        .group_by(Contact.kind)).all())
    on_list = sa.select(Senior.id).where(Senior.home_site_id == site.id, Senior.is_active.is_(True))
    contacted = db.session.scalar(sa.select(sa.func.count(sa.distinct(Contact.senior_id))).where(
        Contact.senior_id.in_(on_list), Contact.contact_dt >= start, Contact.contact_dt < end))
    return {
        "visits_seen": records.get(True, 0), "visits_not_seen": records.get(False, 0),
        "calls": kinds.get(ContactKind.CALL, 0), "meal_checks": kinds.get(ContactKind.MEAL_CHECK, 0),
        "seniors_contacted": contacted or 0,
        "seniors_on_list": db.session.scalar(sa.select(sa.func.count()).select_from(on_list.subquery())) or 0,
    }


def rate(counts: dict[str, Any] | None) -> float | None:
    """The month's visitation rate (0..1), None when nobody is on the list."""
    if not counts or not counts.get("seniors_on_list"):
        return None
    return counts["seniors_contacted"] / counts["seniors_on_list"]
