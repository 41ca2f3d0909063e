"""Due visits and calls: made every day from each senior's tier, rule and last contact; escalated when missed.

``generate(day)`` is idempotent: a senior has at most one open (or planned) due of each kind, so running
it twice makes nothing new. A due appears a little before its interval runs out, so it can be planned
(``LEAD_DAYS``, never more than half the interval), with ``latest_date`` the last counting contact's
local date plus the interval; a senior never contacted is due at once, by ``min(interval, 7)`` days.
A major event (back from time away such as a hospital stay, a meal stop answered "hospitalised") makes
a home visit due within 24 hours. A call is not asked for when a home visit is due no later (one
contact will do). Seniors who left the programme have their open dues cancelled.

``escalate(now)`` tells the site (level 1: a ``VISIT_OVERDUE`` welfare alert on its board) once a due
is past its latest date, and the district (level 2: recorded with its time, listed on the
administrators' visitation page, and each administrator notified) when it is still open
``DISTRICT_AFTER_DAYS`` days later.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity
from dispatch.models.meals import MealHold
from dispatch.models.plan import Stop, StopOutcome
from dispatch.models.senior import Senior
from dispatch.models.visitation import OPEN_DUE_STATUSES, DueKind, DueReason, DueStatus, DueVisit
from dispatch.platform import audit, clock
from dispatch.services.visitation import contacts, rules, tiers

LEAD_DAYS = {DueKind.HOME_VISIT: 2, DueKind.CALL: 0}
FIRST_CONTACT_DAYS = 7  # a senior never contacted: within a week at most
EVENT_DAYS = 1  # within 24 hours of a major event
HOSPITALISED_LOOKBACK = timedelta(days=1)
DISTRICT_AFTER_DAYS = 3  # still overdue this many days after the latest date: the district is told
INACTIVE_REASON = "The senior left the programme."

KIND_LABELS = {DueKind.HOME_VISIT: _l("Home visit"), DueKind.CALL: _l("Call")}
REASON_LABELS = {DueReason.INTERVAL: _l("Interval ran out"), DueReason.EVENT: _l("After an event"),
                 DueReason.STAFF: _l("Asked for by staff")}
# ``reason_note`` of an event due starts with one of these keys (then ":" and what made it, for idempotence).
EVENT_NOTES = {"back_from_away": _l("back home after time away (e.g. a hospital stay)"),
               "hospitalised": _l("taken to hospital, as a meal drop recorded")}


def reason_text(due: DueVisit) -> Any:
    """The due's reason in words, with the event it follows when there is one."""
    words = REASON_LABELS.get(due.reason, due.reason)
    key = (due.reason_note or "").split(":", 1)[0]
    if due.reason == DueReason.EVENT and key in EVENT_NOTES:
        return _l("%(reason)s: %(event)s", reason=words, event=EVENT_NOTES[key])
    if due.reason_note and key not in EVENT_NOTES:
        return _l("%(reason)s: %(event)s", reason=words, event=due.reason_note)
    return words


# Making them ---------------------------------------------------------------------------

def _open_dues(senior_ids: set[int]) -> dict[tuple[int, DueKind], DueVisit]:
    if not senior_ids:
        return {}
    rows = db.session.scalars(sa.select(DueVisit).where(
        DueVisit.senior_id.in_(senior_ids), DueVisit.status.in_(OPEN_DUE_STATUSES))
        .order_by(DueVisit.latest_date, DueVisit.id))
    found: dict[tuple[int, DueKind], DueVisit] = {}
    for due in rows:
        found.setdefault((due.senior_id, DueKind(due.kind)), due)
    return found


def _interval_window(kind: DueKind, interval: int, last: datetime | None, zone, day: date) -> tuple[date, date]:
    """(due date, latest date) for a due of ``kind`` every ``interval`` days, from the last counting contact."""
    if last is None:
        return day, day + timedelta(days=min(interval, FIRST_CONTACT_DAYS) - 1)
    latest = clock.local(last, zone).date() + timedelta(days=interval)
    lead = min(LEAD_DAYS[kind], interval // 2)
    return latest - timedelta(days=lead), latest


def _events(seniors: dict[int, Senior], day: date, now: datetime) -> dict[int, str]:
    """Seniors with a major event that asks for a visit within 24 hours: senior id -> reason note."""
    found: dict[int, str] = {}
    if not seniors:
        return found
    ids = set(seniors)
    for hold in db.session.scalars(sa.select(MealHold).where(
            MealHold.senior_id.in_(ids), MealHold.away.is_(True),
            MealHold.end_date.in_((day - timedelta(days=1), day))).order_by(MealHold.end_date, MealHold.id)):
        found.setdefault(hold.senior_id, f"back_from_away:hold={hold.id}")
    for senior_id, at in db.session.execute(sa.select(Stop.senior_id, sa.func.max(Stop.outcome_dt)).where(
            Stop.senior_id.in_(ids), Stop.outcome == StopOutcome.HOSPITALISED,
            Stop.outcome_dt >= now - HOSPITALISED_LOOKBACK, Stop.outcome_dt <= now).group_by(Stop.senior_id)):
        senior = seniors[senior_id]
        when = clock.local(clock.local(at, clock.UTC), clock.zone_of(senior.home_site)).date()
        found.setdefault(senior_id, f"hospitalised:{when.isoformat()}")
    return found


def _event_done(senior_ids: set[int]) -> set[tuple[int, str]]:
    """(senior, reason note) of every event due ever made, so an event asks for one visit only."""
    if not senior_ids:
        return set()
    return set(db.session.execute(sa.select(DueVisit.senior_id, DueVisit.reason_note).where(
        DueVisit.senior_id.in_(senior_ids), DueVisit.reason == DueReason.EVENT)).all())


def _cancel_inactive(site_id: int | None, now: datetime) -> int:
    query = (sa.select(DueVisit).join(Senior, Senior.id == DueVisit.senior_id)
             .where(DueVisit.status.in_(OPEN_DUE_STATUSES), Senior.is_active.is_(False)))
    if site_id is not None:
        query = query.where(DueVisit.site_id == site_id)
    cancelled = 0
    for due in db.session.scalars(query):
        due.status, due.status_reason, due.closed_dt = DueStatus.CANCELLED, INACTIVE_REASON, now
        cancelled += 1
    return cancelled


def generate(day: date | None = None, *, site_id: int | None = None, now: datetime | None = None) -> list[DueVisit]:
    """Make the due visits and calls for ``day`` (each site's own today when None); flush only.

    Returns the dues made (none the second time). ``site_id`` limits it to one site's seniors."""
    now = now or clock.now()
    _cancel_inactive(site_id, now)
    query = (sa.select(Senior).options(joinedload(Senior.home_site))
             .where(Senior.is_active.is_(True), Senior.home_site_id.is_not(None)).order_by(Senior.id))
    if site_id is not None:
        query = query.where(Senior.home_site_id == site_id)
    seniors = {s.id: s for s in db.session.scalars(query).unique()}
    if not seniors:
        db.session.flush()
        return []
    days = {}  # site id -> the day its dues are made for
    for senior in seniors.values():
        if senior.home_site_id not in days:
            days[senior.home_site_id] = day if day is not None else clock.local_today(senior.home_site, now)
    ids = set(seniors)
    tier_views: dict[int, tiers.TierView] = {}
    by_day: dict[date, list[Senior]] = defaultdict(list)
    for senior in seniors.values():
        by_day[days[senior.home_site_id]].append(senior)
    for when, group in by_day.items():
        tier_views.update(tiers.tiers_for(group, today=when))
    table = rules.rules_for_sites(days)
    last = contacts.last_contacts(ids)
    open_dues = _open_dues(ids)
    events_made = _event_done(ids)
    events: dict[int, str] = {}
    for when, group in by_day.items():
        events.update(_events({s.id: s for s in group}, when, now))

    made: list[DueVisit] = []

    def add(senior: Senior, kind: DueKind, reason: DueReason, tier: int, due_date: date, latest: date,
            note: str = "") -> DueVisit:
        due = DueVisit(senior_id=senior.id, site_id=senior.home_site_id, kind=kind, reason=reason, reason_note=note,
                       tier=tier, due_date=due_date, latest_date=latest, status=DueStatus.OPEN, created_dt=now)
        db.session.add(due)
        open_dues[(senior.id, kind)] = due
        made.append(due)
        return due

    for senior in seniors.values():
        today = days[senior.home_site_id]
        zone = clock.zone_of(senior.home_site)
        tier = tier_views[senior.id].tier
        rule = rules.pick(table, senior.home_site_id, tier)  # the district's default when no row was written
        for kind in (DueKind.HOME_VISIT, DueKind.CALL):  # visit first: a call may then be left out
            existing = open_dues.get((senior.id, kind))
            if existing is not None and existing.site_id != senior.home_site_id:
                existing.site_id = senior.home_site_id  # the senior moved: the new site does it
            note = events.get(senior.id) if kind == DueKind.HOME_VISIT else None
            if note is not None and (senior.id, note) not in events_made:
                latest = today + timedelta(days=EVENT_DAYS)
                if existing is None:
                    add(senior, kind, DueReason.EVENT, tier, today, latest, note)
                elif existing.latest_date > latest:  # sooner now: the event's 24 hours
                    existing.reason, existing.reason_note = DueReason.EVENT, note
                    existing.due_date, existing.latest_date = min(existing.due_date, today), latest
                events_made.add((senior.id, note))
                continue
            if existing is not None:
                continue
            interval = rule.visit_days if kind == DueKind.HOME_VISIT else rule.call_days
            if not interval:
                continue
            counting = rules.counting_kinds(kind, rule)
            seen = [at for k, at in last.get(senior.id, {}).items() if k in counting]
            due_date, latest = _interval_window(kind, interval, max(seen) if seen else None, zone, today)
            if due_date > today:
                continue
            if kind == DueKind.CALL:
                visit = open_dues.get((senior.id, DueKind.HOME_VISIT))
                if visit is not None and visit.latest_date <= latest:
                    continue  # the visit is sooner: one contact will do
            add(senior, kind, DueReason.INTERVAL, tier, due_date, latest)
    db.session.flush()
    return made


# Reading them --------------------------------------------------------------------------

@dataclass(frozen=True)
class DueRow:
    """One due on a page: the due, its senior, and how late it is on the day shown."""

    due: DueVisit
    senior: Senior
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _rows(site_ids, day: date, *, overdue_only: bool, kind: DueKind | None = None) -> list[DueRow]:
    ids = [i for i in site_ids if i is not None]
    if not ids:
        return []
    query = (sa.select(DueVisit).options(joinedload(DueVisit.senior))
             .where(DueVisit.site_id.in_(ids), DueVisit.status.in_(OPEN_DUE_STATUSES), DueVisit.due_date <= day))
    if overdue_only:
        query = query.where(DueVisit.latest_date < day)
    if kind is not None:
        query = query.where(DueVisit.kind == kind)
    rows = [DueRow(d, d.senior, max(0, (day - d.latest_date).days)) for d in db.session.scalars(query).unique()]
    rows.sort(key=lambda r: (not r.overdue, r.due.latest_date, r.due.tier, r.senior.full_name, r.due.id))
    return rows


def due_list(site_ids, day: date, *, kind: DueKind | None = None) -> list[DueRow]:
    """Open and planned dues at these sites that are due by ``day``: overdue first, then latest date, then tier."""
    return _rows(site_ids, day, overdue_only=False, kind=kind)


def overdue(site_ids, day: date) -> list[DueRow]:
    """Open and planned dues at these sites past their latest date on ``day``, the same order."""
    return _rows(site_ids, day, overdue_only=True)


def open_dues_of(senior: Senior) -> list[DueVisit]:
    """A senior's open and planned dues, soonest first."""
    return list(db.session.scalars(sa.select(DueVisit).where(
        DueVisit.senior_id == senior.id, DueVisit.status.in_(OPEN_DUE_STATUSES))
        .order_by(DueVisit.latest_date, DueVisit.id)))


def district_escalations() -> list[DueVisit]:
    """Open dues escalated to the district (level 2), longest overdue first."""
    return list(db.session.scalars(sa.select(DueVisit).options(joinedload(DueVisit.senior), joinedload(DueVisit.site))
                                   .where(DueVisit.status.in_(OPEN_DUE_STATUSES), DueVisit.escalation_level >= 2)
                                   .order_by(DueVisit.latest_date, DueVisit.id)).unique())


# Escalating them -----------------------------------------------------------------------

@dataclass
class EscalationReport:
    site: list[int] = field(default_factory=list)  # dues escalated to level 1
    alerts: list[int] = field(default_factory=list)  # VISIT_OVERDUE alerts raised
    district: list[int] = field(default_factory=list)  # dues escalated to level 2

    def as_dict(self) -> dict[str, list[int]]:
        return {"site": self.site, "alerts": self.alerts, "district": self.district}


def escalate(now: datetime | None = None) -> EscalationReport:
    """Escalate open dues past their latest date (flush only; the edge commits).

    Level 1 raises a ``VISIT_OVERDUE`` alert on the due's site board (HIGH for tier 1, else MEDIUM) and
    queues the site staff's notification; level 2 follows ``DISTRICT_AFTER_DAYS`` days after the latest
    date and notifies the district's administrators. Each level happens once per due."""
    from dispatch.models.notification import NotificationEvent
    from dispatch.services.family import notifications
    from dispatch.services.safety import alerts

    now = now or clock.now()
    report = EscalationReport()
    dues = db.session.scalars(sa.select(DueVisit).options(joinedload(DueVisit.senior), joinedload(DueVisit.site))
                              .where(DueVisit.status.in_(OPEN_DUE_STATUSES), DueVisit.escalation_level < 2)
                              .order_by(DueVisit.id)).unique().all()
    for due in dues:
        today = clock.local_today(due.site or due.senior.home_site, now)
        late = (today - due.latest_date).days
        if late <= 0:
            continue
        if due.escalation_level == 0:
            severity = AlertSeverity.HIGH if due.tier == 1 else AlertSeverity.MEDIUM
            alert = alerts.raise_alert(AlertKind.VISIT_OVERDUE, senior=due.senior, severity=severity, now=now,
                                       detail={"due_visit_id": due.id, "due_kind": str(due.kind),
                                               "latest_date": due.latest_date.isoformat()})
            if alert is not None:
                if due.site_id is not None:
                    alert.site_id = due.site_id
                report.alerts.append(alert.id)
                if alert.site_id is not None:
                    notifications.emit_to_site_staff(NotificationEvent.WELFARE_ALERT, site_id=alert.site_id,
                                                     senior_id=due.senior_id,
                                                     payload={"alert_id": alert.id, "kind": alert.kind.value})
            due.escalation_level, due.escalated_dt = 1, now
            report.site.append(due.id)
        if due.escalation_level == 1 and late >= DISTRICT_AFTER_DAYS:
            due.escalation_level, due.escalated_dt = 2, now
            report.district.append(due.id)
            audit.record("visitation.due_escalate", user=None, entity_type="due_visit", entity_id=due.id,
                         senior_id=due.senior_id, detail={"level": 2, "latest_date": due.latest_date.isoformat()})
            site = due.site or due.senior.home_site
            notifications.emit_to_administrators(
                NotificationEvent.DISTRICT_VISIT_OVERDUE, senior_id=due.senior_id,
                payload={"due_visit_id": due.id, "kind": str(due.kind), "tier": due.tier,
                         "latest_date": due.latest_date.isoformat(), "site_name": site.name if site else ""})
    db.session.flush()
    if report.alerts or report.district:
        notifications.deliver_after_commit()
    return report


def tick(now: datetime | None = None) -> dict[str, Any]:
    """What the periodic tick does for visitation: make each site's dues for its today, then escalate.

    Called by the tick's edges (``doorstep alerts tick``, ``dispatch.jobs.tick_job``) after the alert clock,
    inside the same unit."""
    now = now or clock.now()
    made = generate(None, now=now)
    report = escalate(now)
    return {"made": [d.id for d in made], **report.as_dict()}
