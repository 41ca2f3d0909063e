"""When a senior may be at risk: the rules that raise welfare alerts, and the clock that re-raises them.

Two entry points:

* ``on_stop_event(event, stop, now=...)``: the rules for one tap from a
  worker's phone (not home and lives alone, no answer, a concern, two missed
  meals in a row). Called by ``outcomes.record`` inside its transaction, so an
  outcome and the alert it causes commit (or fail) together.
* ``tick(now=...)``: what no tap can trigger. The dead-man switch (a stop with
  no final outcome by the end of its window plus ``ALERT_GRACE_MINUTES``: a
  dead phone or a lost worker), re-raising alerts nobody acknowledged within
  ``ALERT_RERAISE_MINUTES``, and a missed-meals sweep. Run every minute by
  ``doorstep alerts tick`` (cron) or the RQ job ``dispatch.jobs.tick_job``.

Rules never raise a second unresolved alert of the same kind for the same
stop (or, for missed meals, the same senior). Staff follow alerts up on the
live board (``services.board``) along ``ESCALATION_LADDER``. Family members
hear of an alert through the notification outbox, sent after the commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from dispatch.extensions import db
from dispatch.models.alert import AlertActionKind, AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.outcome import AlertReraise, ConcernKind, StopEvent, StopEventKind
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanStatus, Route, Stop, StopKind, StopOutcome
from dispatch.models.senior import Senior
from dispatch.platform import audit, clock

Clock = Callable[[], datetime]

# What staff do, in order, until the senior is found safe. The board shows the
# next rung; each rung taken is an AlertAction of this kind.
ESCALATION_LADDER: tuple[tuple[AlertActionKind, Any], ...] = (
    (AlertActionKind.CALLED_SENIOR, _l("Call the senior")),
    (AlertActionKind.CALLED_CONTACT, _l("Call the emergency contact")),
    (AlertActionKind.CALLED_SUPERVISOR, _l("Call the supervisor")),
    (AlertActionKind.CALLED_EMERGENCY_SERVICES, _l("Call emergency services")),
)

# A senior living alone not found at the door: staff are alerted (and the worker told what to do next).
LIVES_ALONE_ALERTS = {StopOutcome.NOT_HOME: AlertKind.NOT_HOME_LIVES_ALONE,
                      StopOutcome.COULD_NOT_ACCESS: AlertKind.NO_ANSWER}
# A meal the senior did not get and whose reason is unknown to us (hospitalised is known).
MISSED_MEAL_OUTCOMES = frozenset({StopOutcome.NOT_HOME, StopOutcome.REFUSED, StopOutcome.COULD_NOT_ACCESS})
CONCERN_SEVERITY = {
    ConcernKind.FALL: AlertSeverity.HIGH,
    ConcernKind.APPEARS_UNWELL: AlertSeverity.HIGH,
    ConcernKind.HOME_UNSAFE: AlertSeverity.MEDIUM,
    ConcernKind.NO_FOOD: AlertSeverity.MEDIUM,
    ConcernKind.OTHER: AlertSeverity.MEDIUM,
}
# The dead-man switch looks back this far; older forgotten plans are history, not emergencies.
OVERDUE_LOOKBACK = timedelta(hours=24)
_TICK_LOCK_KEY = 0x0D0025  # PostgreSQL advisory lock: one tick at a time across machines


def next_step(alert: WelfareAlert) -> tuple[AlertActionKind, Any] | None:
    """The first rung of the ladder staff have not recorded yet (None: all taken)."""
    taken = {a.kind for a in alert.actions}
    return next((rung for rung in ESCALATION_LADDER if rung[0] not in taken), None)


def reraise_counts(alert_ids: list[int]) -> dict[int, int]:
    """How many times each alert was re-raised (for the board's badge)."""
    if not alert_ids:
        return {}
    rows = db.session.execute(
        sa.select(AlertReraise.alert_id, sa.func.count(AlertReraise.id))
        .where(AlertReraise.alert_id.in_(alert_ids)).group_by(AlertReraise.alert_id)
    )
    return {alert_id: count for alert_id, count in rows}


# Raising ---------------------------------------------------------------------------

def _unresolved(kind: AlertKind, *, senior_id: int, stop_id: int | None) -> WelfareAlert | None:
    query = sa.select(WelfareAlert).where(
        WelfareAlert.kind == kind, WelfareAlert.senior_id == senior_id, WelfareAlert.status != AlertStatus.RESOLVED,
    )
    if stop_id is not None:
        query = query.where(WelfareAlert.stop_id == stop_id)
    return db.session.scalars(query.limit(1)).first()


def raise_alert(
    kind: AlertKind, *, senior: Senior, severity: AlertSeverity, stop: Stop | None = None,
    now: datetime, by=None, detail: dict | None = None,
) -> WelfareAlert | None:
    """Add an open alert (flush only) unless the same one is still unresolved; None then.

    The alert goes on the board of the stop's plan site, else the senior's home site.
    """
    if _unresolved(kind, senior_id=senior.id, stop_id=stop.id if stop is not None else None) is not None:
        return None
    site_id = stop.route.plan.site_id if stop is not None else senior.home_site_id
    alert = WelfareAlert(senior_id=senior.id, site_id=site_id, stop_id=stop.id if stop is not None else None,
                         kind=kind, severity=severity, status=AlertStatus.OPEN, raised_dt=now)
    db.session.add(alert)
    db.session.flush()
    audit.record("alert.raise", user=by, entity_type="welfare_alert", entity_id=alert.id, senior_id=senior.id,
                 detail={"kind": kind.value, "severity": severity.value, "stop_id": alert.stop_id, **(detail or {})})
    return alert


def on_stop_event(event: StopEvent, stop: Stop, *, now: datetime, by=None) -> list[WelfareAlert]:
    """The alerts one tap raises (flush only; the caller commits).

    An outcome counts only if it is still the stop's current outcome: a
    "not home" replayed from a phone after a later "delivered" is history, not
    an emergency.
    """
    senior = stop.senior
    raised: list[WelfareAlert | None] = []
    if event.kind == StopEventKind.CONCERN and event.concern is not None:
        raised.append(raise_alert(AlertKind.CONCERN, senior=senior, stop=stop, now=now, by=by,
                                  severity=CONCERN_SEVERITY[event.concern],
                                  detail={"concern": event.concern.value}))
    elif event.outcome is not None and event.outcome == stop.outcome:
        if senior.lives_alone and event.outcome in LIVES_ALONE_ALERTS:
            raised.append(raise_alert(LIVES_ALONE_ALERTS[event.outcome], senior=senior, stop=stop, now=now, by=by,
                                      severity=AlertSeverity.HIGH))
        if stop.kind == StopKind.MEAL and event.outcome in MISSED_MEAL_OUTCOMES:
            raised.append(missed_meals_rule(senior, now=now, by=by))
    return [a for a in raised if a is not None]


def missed_meals_rule(senior: Senior, *, now: datetime, by=None) -> WelfareAlert | None:
    """Two missed meals in a row (the senior's two latest recorded meal drops) raise an alert."""
    stops = db.session.scalars(
        sa.select(Stop).join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(Stop.senior_id == senior.id, Stop.kind == StopKind.MEAL, Stop.outcome.is_not(None),
               Plan.status.in_((*LIVE_STATUSES, PlanStatus.CLOSED)))
        .order_by(Stop.window_start_dt.desc(), Stop.id.desc()).limit(10)
    )
    latest: list[Stop] = []
    seen_orders: set[int | None] = set()
    for stop in stops:  # one stop per meal order (re-planned versions repeat it)
        if stop.meal_order_id in seen_orders:
            continue
        seen_orders.add(stop.meal_order_id)
        latest.append(stop)
        if len(latest) == 2:
            break
    if len(latest) < 2 or not all(s.outcome in MISSED_MEAL_OUTCOMES for s in latest):
        return None
    return raise_alert(AlertKind.MISSED_MEALS, senior=senior, severity=AlertSeverity.MEDIUM, stop=None,
                       now=now, by=by, detail={"stops": [s.id for s in latest]})


# The clock ---------------------------------------------------------------------------

def _minutes(key: str, default: float) -> timedelta:
    return timedelta(minutes=float(current_app.config.get(key, default)))


def overdue_stops(now: datetime) -> list[Stop]:
    """Stops of current published plans with no outcome by window end + grace, not yet alerted."""
    grace = _minutes("ALERT_GRACE_MINUTES", 15)
    newer = aliased(Plan)
    newer_exists = sa.exists().where(
        newer.site_id == Plan.site_id, newer.service_date == Plan.service_date, newer.kind == Plan.kind,
        sa.or_(newer.meal == Plan.meal, sa.and_(newer.meal.is_(None), Plan.meal.is_(None))),
        newer.version_number > Plan.version_number, newer.status.in_(LIVE_STATUSES),
    )
    alerted = sa.exists().where(WelfareAlert.stop_id == Stop.id, WelfareAlert.kind == AlertKind.OVERDUE_STOP)
    return list(db.session.scalars(
        sa.select(Stop).join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(
            Plan.status.in_(LIVE_STATUSES), Stop.outcome.is_(None),
            Stop.window_end_dt < now - grace, Stop.window_end_dt >= now - OVERDUE_LOOKBACK,
            ~newer_exists, ~alerted,
        )
        .order_by(Stop.window_end_dt, Stop.id)
    ))


def reraise_due(now: datetime) -> list[tuple[WelfareAlert, int]]:
    """Open (unacknowledged) alerts last raised at least ``ALERT_RERAISE_MINUTES`` ago, with their count."""
    every = _minutes("ALERT_RERAISE_MINUTES", 10)
    last = (
        sa.select(AlertReraise.alert_id, sa.func.max(AlertReraise.dt).label("last_dt"),
                  sa.func.max(AlertReraise.number).label("n"))
        .group_by(AlertReraise.alert_id).subquery()
    )
    rows = db.session.execute(
        sa.select(WelfareAlert, last.c.last_dt, last.c.n)
        .outerjoin(last, last.c.alert_id == WelfareAlert.id)
        .where(WelfareAlert.status == AlertStatus.OPEN)
        .order_by(WelfareAlert.id)
    ).all()
    due = []
    for alert, last_dt, n in rows:
        # SQLite hands the aggregate back as text or naive; read it through the column type.
        last_raised = _aware(last_dt) if last_dt is not None else alert.raised_dt
        if last_raised <= now - every:
            due.append((alert, (n or 0) + 1))
    return due


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


@dataclass
class TickReport:
    """What one tick did (printed by the CLI, returned by the job)."""

    overdue: list[int] = field(default_factory=list)  # alert ids raised by the dead-man switch
    reraised: list[int] = field(default_factory=list)
    missed_meals: list[int] = field(default_factory=list)
    skipped: bool = False  # another tick held the lock

    def as_dict(self) -> dict[str, Any]:
        return {"overdue": self.overdue, "reraised": self.reraised, "missed_meals": self.missed_meals,
                "skipped": self.skipped}


def tick(*, now: Clock = clock.now) -> TickReport:
    """Run the dead-man switch, the re-raise timer and the missed-meals sweep (one unit: its edge commits).

    Safe to run from several machines at once: on PostgreSQL a transaction
    advisory lock lets one tick through and the others skip.
    """
    from dispatch.models.notification import NotificationEvent
    from dispatch.services.family import notifications

    moment = now()
    report = TickReport()
    if db.engine.dialect.name == "postgresql":
        if not db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_TICK_LOCK_KEY))):
            report.skipped = True
            return report

    for stop in overdue_stops(moment):
        alert = raise_alert(AlertKind.OVERDUE_STOP, senior=stop.senior, stop=stop, severity=AlertSeverity.HIGH,
                            now=moment, detail={"window_end": stop.window_end_dt.isoformat()})
        if alert is not None:
            report.overdue.append(alert.id)
            notifications.emit_to_site_staff(NotificationEvent.WELFARE_ALERT, site_id=alert.site_id,
                                             senior_id=alert.senior_id,
                                             payload={"alert_id": alert.id, "kind": alert.kind.value})

    for alert, number in reraise_due(moment):
        db.session.add(AlertReraise(alert_id=alert.id, number=number, dt=moment))
        report.reraised.append(alert.id)
        site_id = alert.answering_site_id
        if site_id is not None:
            notifications.emit_to_site_staff(
                NotificationEvent.WELFARE_ALERT, site_id=site_id, senior_id=alert.senior_id,
                payload={"alert_id": alert.id, "kind": alert.kind.value, "reraised": number},
            )

    since = moment - timedelta(days=2)
    senior_ids = db.session.scalars(
        sa.select(Stop.senior_id).distinct()
        .where(Stop.kind == StopKind.MEAL, Stop.outcome.in_(MISSED_MEAL_OUTCOMES), Stop.outcome_dt >= since)
    ).all()
    for senior_id in senior_ids:
        alert = missed_meals_rule(db.session.get(Senior, senior_id), now=moment)
        if alert is not None:
            report.missed_meals.append(alert.id)
            notifications.emit(NotificationEvent.WELFARE_ALERT, senior_id=senior_id,
                               payload={"kind": alert.kind.value})
    if report.overdue or report.reraised or report.missed_meals:
        notifications.deliver_after_commit()
    db.session.flush()
    return report
