"""The coordinator's live board: welfare alerts first, then how each route is doing.

Built from the database on every poll (a site's day is at most a few hundred
stops), in a handful of queries whatever the number of routes. Only published
(or started, or closed) plans appear: a draft is not what workers carry.

Alerts are followed up here: each step (called the senior, a contact, ...)
is an ``AlertAction``; the first step acknowledges an open alert, and
resolving needs a note saying how it ended. The alert's ``version`` guards
against two coordinators acting on the same alert at once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.alert import AlertAction, AlertActionKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.plan import Plan, PlanStatus, Route, Stop
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import get_site_or_404
from dispatch.platform.datefmt import seconds_text, time_text
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import label, shown_name
from dispatch.platform.validation import is_id
from dispatch.services.safety.alerts import reraise_counts

Clock = Callable[[], datetime]
BOARD_PLAN_STATUSES = (PlanStatus.PUBLISHED, PlanStatus.IN_PROGRESS, PlanStatus.CLOSED)
SEVERITY_ORDER = {AlertSeverity.HIGH: 0, AlertSeverity.MEDIUM: 1, AlertSeverity.LOW: 2}
STATUS_ORDER = {AlertStatus.OPEN: 0, AlertStatus.ACKNOWLEDGED: 1, AlertStatus.RESOLVED: 2}
MAX_NOTE = 2000

ACTION_LABELS: dict[AlertActionKind, object] = {
    AlertActionKind.CALLED_SENIOR: _l("Called the senior"),
    AlertActionKind.CALLED_CONTACT: _l("Called an emergency contact"),
    AlertActionKind.CALLED_SUPERVISOR: _l("Called a supervisor"),
    AlertActionKind.CALLED_EMERGENCY_SERVICES: _l("Called emergency services"),
    AlertActionKind.VISITED: _l("Visited"),
    AlertActionKind.NOTE: _l("Note"),
}


@dataclass(frozen=True)
class RouteStatus:
    """How one route is doing right now."""

    route: Route
    plan: Plan
    total: int
    done: int
    late: list[Stop]
    last: Stop | None  # the most recent outcome on this route

    def as_dict(self, zone: tzinfo) -> dict:
        last = None
        if self.last is not None:
            last = {
                "stop_id": self.last.id, "senior": shown_name(self.last.senior),
                "outcome": self.last.outcome.value, "outcome_label": label(self.last.outcome),
                "time": time_text(self.last.outcome_dt, zone) if self.last.outcome_dt else None,
            }
        return {
            "route_id": self.route.id, "plan_id": self.plan.id,
            "meal": self.plan.meal.value if self.plan.meal else None,
            "worker": shown_name(self.route.worker), "done": self.done, "total": self.total,
            "late": [{"stop_id": s.id, "senior": shown_name(s.senior)} for s in self.late],
            "last_outcome": last,
        }


@dataclass
class Board:
    site: MealSite
    day: date
    zone: tzinfo
    now: datetime
    alerts: list[WelfareAlert]
    resolved_today: list[WelfareAlert]
    routes: list[RouteStatus] = field(default_factory=list)
    reraised: dict[int, int] = field(default_factory=dict)  # alert id -> times re-raised unacknowledged

    @property
    def updated(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def late_count(self) -> int:
        return sum(len(r.late) for r in self.routes)

    def local(self, dt: datetime | None) -> datetime | None:
        return clock.local(dt, self.zone)

    def as_dict(self) -> dict:
        def alert_dict(a: WelfareAlert) -> dict:
            return {
                "id": a.id, "version": a.version, "kind": a.kind.value, "kind_label": label(a.kind),
                "severity": a.severity.value, "status": a.status.value, "status_label": label(a.status),
                "senior": shown_name(a.senior), "senior_id": a.senior_id,
                "raised": time_text(a.raised_dt, self.zone), "raised_dt": a.raised_dt.isoformat(),
                "actions": [{"kind": x.kind.value, "note": x.note} for x in a.actions],
                "reraised": self.reraised.get(a.id, 0),
            }

        return {
            "site_id": self.site.id, "date": self.day.isoformat(),
            "updated": seconds_text(self.updated),
            "alerts": [alert_dict(a) for a in self.alerts],
            "resolved_today": [alert_dict(a) for a in self.resolved_today],
            "routes": [r.as_dict(self.zone) for r in self.routes],
        }


def live_site_ids(site_ids: list[int], zones: dict[int, tzinfo], now: datetime | None = None) -> set[int]:
    """The sites among ``site_ids`` with published routes today (each at its own date)."""
    now = now or clock.now()
    today = {sid: now.astimezone(zones[sid]).date() for sid in site_ids}
    if not today:
        return set()
    rows = db.session.execute(sa.select(Plan.site_id, Plan.service_date).where(
        Plan.site_id.in_(site_ids), Plan.service_date.in_(set(today.values())),
        Plan.status.in_(BOARD_PLAN_STATUSES)).distinct())
    return {sid for sid, day in rows if today[sid] == day}


def _current_plans(site_id: int, day: date) -> list[Plan]:
    """The newest non-draft version per window of the site's plans that day."""
    plans = db.session.scalars(
        sa.select(Plan).where(Plan.site_id == site_id, Plan.service_date == day,
                              Plan.status.in_(BOARD_PLAN_STATUSES))
    )
    newest: dict[tuple, Plan] = {}
    for plan in plans:
        if (plan.summary or {}).get("superseded_by"):
            continue  # closed when the site's day plan went live: its stops are on the day plan's routes
        key = (plan.kind, plan.meal)
        if key not in newest or plan.version_number > newest[key].version_number:
            newest[key] = plan
    return sorted(newest.values(), key=lambda p: (p.kind.value, p.meal.value if p.meal else ""))


def _alerts_for_site(site: MealSite) -> sa.Select:
    """Alerts on this site's board: the stop's site, else (no site recorded) the senior's home site."""
    return sa.select(WelfareAlert).where(sa.or_(
        WelfareAlert.site_id == site.id,
        sa.and_(WelfareAlert.site_id.is_(None),
                WelfareAlert.senior_id.in_(sa.select(Senior.id).where(Senior.home_site_id == site.id))),
    ))


def build_board(site: MealSite, day: date, *, now: Clock = clock.now) -> Board:
    """The board for ``site`` on ``day``: unresolved alerts (any day) on top, then the routes."""
    moment = now()
    zone = clock.zone_of(site)
    alert_options = (joinedload(WelfareAlert.senior), selectinload(WelfareAlert.actions))
    unresolved = list(db.session.scalars(
        _alerts_for_site(site).where(WelfareAlert.status != AlertStatus.RESOLVED).options(*alert_options)
    ).unique())
    unresolved.sort(key=lambda a: (STATUS_ORDER[a.status], SEVERITY_ORDER[a.severity], a.raised_dt))

    day_start = datetime.combine(day, datetime.min.time(), zone)
    resolved = list(db.session.scalars(
        _alerts_for_site(site).where(
            WelfareAlert.status == AlertStatus.RESOLVED,
            WelfareAlert.resolved_dt >= day_start, WelfareAlert.resolved_dt < day_start + timedelta(days=1),
        ).options(*alert_options).order_by(WelfareAlert.resolved_dt.desc())
    ).unique())

    board = Board(site=site, day=day, zone=zone, now=moment, alerts=unresolved, resolved_today=resolved,
                  reraised=reraise_counts([a.id for a in unresolved]))
    plans = _current_plans(site.id, day)
    if not plans:
        return board
    plan_by_id = {p.id: p for p in plans}
    routes = db.session.scalars(
        sa.select(Route).where(Route.plan_id.in_(plan_by_id)).order_by(Route.plan_id, Route.position)
        .options(joinedload(Route.worker), selectinload(Route.stops).joinedload(Stop.senior))
    ).unique()
    for route in routes:
        stops = sorted(route.stops, key=lambda s: s.position)
        done = [s for s in stops if s.outcome is not None]
        last = max(done, key=lambda s: (s.outcome_dt or s.window_start_dt, s.position), default=None)
        board.routes.append(RouteStatus(
            route=route, plan=plan_by_id[route.plan_id], total=len(stops), done=len(done),
            late=[s for s in stops if s.is_late(moment)], last=last,
        ))
    return board


# Who looked at the board --------------------------------------------------------

# A board left open polls every few seconds: a poll showing the same seniors as this
# user's last recorded look at that board and day, this recently, is not recorded again.
BOARD_READ_REPEAT = timedelta(minutes=10)


def board_senior_ids(board: Board) -> set[int]:
    """Every senior whose name the board shows: its alerts and the stops of its routes."""
    ids = {a.senior_id for a in (*board.alerts, *board.resolved_today)}
    ids.update(stop.senior_id for r in board.routes for stop in r.route.stops)
    return ids


def record_board_read(board: Board, *, by, poll: bool = False) -> None:
    """Audit ``board.read`` (the seniors shown, by id); a poll that shows nothing new is skipped."""
    audit.record_list("board.read", user=by, entity_type="meal_site", entity_id=board.site.id,
                      senior_ids=board_senior_ids(board), detail={"date": board.day.isoformat()},
                      unless_repeated_within=BOARD_READ_REPEAT if poll else None)


# Following up an alert ----------------------------------------------------------

def get_alert_or_404(alert_id: int, for_user) -> WelfareAlert:
    """An alert whose site ``for_user`` may see (through ``access.get_site_or_404``), else 404."""
    alert = db.session.get(WelfareAlert, alert_id) if is_id(alert_id) else None
    if alert is None or alert.answering_site_id is None:
        raise NotFound()
    get_site_or_404(alert.answering_site_id, for_user)
    return alert


def follow_up(
    alert: WelfareAlert, *, version: int | None, intent: str, kind: str | None, note: str, by,
    now: Clock = clock.now,
) -> WelfareAlert:
    """Acknowledge, record a step, or resolve ``alert``; one transaction, audited.

    ``intent``: ``acknowledge`` (no step needed), ``step`` (a kind is needed;
    a note is optional except for a plain note) or ``resolve`` (a note is
    needed; the kind, if given, is recorded as the final step). Raises
    ``FieldError`` for bad input and ``StaleRecord`` when ``version`` is not
    the alert's current version (someone else acted meanwhile).
    """
    note = (note or "").strip()
    if intent not in ("acknowledge", "step", "resolve"):
        raise FieldError("intent", _l("Choose what to do with the alert."))
    if len(note) > MAX_NOTE:
        raise FieldError("note", _l("Keep the note under %(n)s characters.", n=MAX_NOTE))
    if any(ord(c) < 32 and c not in "\n\r\t" for c in note):
        raise FieldError("note", _l("The note contains control characters."))
    action_kind: AlertActionKind | None = None
    if kind:
        try:
            action_kind = AlertActionKind(kind)
        except ValueError:
            raise FieldError("kind", _l("Choose a step from the list.")) from None
    if intent == "step" and action_kind is None:
        raise FieldError("kind", _l("Choose which step you took."))
    if intent == "step" and action_kind == AlertActionKind.NOTE and not note:
        raise FieldError("note", _l("Write the note."))
    if intent == "resolve" and not note:
        raise FieldError("note", _l("Say how the alert was resolved."))
    if version is None or version != alert.version:
        raise StaleRecord()
    if alert.status == AlertStatus.RESOLVED:
        raise StaleRecord()

    moment = now()
    user_id = getattr(by, "id", None)
    if intent in ("step", "resolve") and action_kind is not None:
        alert.actions.append(AlertAction(kind=action_kind, note=note, by_id=user_id, dt=moment))
    elif intent == "acknowledge" and note:
        alert.actions.append(AlertAction(kind=AlertActionKind.NOTE, note=note, by_id=user_id, dt=moment))
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_dt = moment
        alert.acknowledged_by_id = user_id
    if intent == "resolve":
        alert.status = AlertStatus.RESOLVED
        alert.resolved_dt = moment
        alert.resolved_by_id = user_id
        alert.resolution = note
    try:
        db.session.flush()
    except StaleDataError:
        transaction.doom()
        raise StaleRecord() from None
    audit.record(
        f"alert.{intent}", user=by, entity_type="welfare_alert", entity_id=alert.id, senior_id=alert.senior_id,
        detail={"kind": action_kind.value if action_kind else None, "status": alert.status.value},
    )
    db.session.flush()
    return alert
