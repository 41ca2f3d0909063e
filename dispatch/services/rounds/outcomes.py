"""Recording what happened at a stop, from phones that lose signal and retry.

``record(...)`` is the one use case behind every tap: an outcome, a visit's
check-in or check-out, "on my way", or a concern. It is built for phones:

* **Idempotent.** Each tap carries the phone's ``client_id``; the first request
  stores a ``StopEvent`` and its result, any replay gets that same result back
  (``replay=True``) and changes nothing, even when two copies race
  (the UNIQUE constraint decides, the loser reads the winner's row).
* **Append-only.** Events are never overwritten. The stop's current outcome,
  arrival and departure are recomputed from the whole history (latest outcome
  by tap time), so two devices reporting on one stop both stay in its history
  and a tap sent a little late does not undo a newer one. Phones
  therefore never see a 409: concurrent writers on one stop are serialised by
  a row lock (PostgreSQL) and retried on a lost optimistic-lock race.
* **The server's clock is the proof.** A tap is timed by its receipt; the
  phone's time is kept as a claim and flagged when far off (``services.rounds.evv``).
* **One transaction.** The event, the stop, the meal order or service request,
  the alerts the rules raise (``services.alerts``) and the family's outbox rows
  commit together; delivery of notifications is handed off after the commit.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from dispatch.extensions import db
from dispatch.models.meals import MealOrderStatus
from dispatch.models.outcome import ConcernKind, StopEvent, StopEventKind
from dispatch.models.plan import PlanStatus, Route, Stop, StopKind, StopOutcome
from dispatch.models.service_request import TRANSITIONS, RequestStatus
from dispatch.platform import audit, clock, transaction
from dispatch.platform.errors import FieldError
from dispatch.services.rounds import evv
from dispatch.services.rounds.worker_day import outcomes_for, tasks_for
from dispatch.services.safety import alerts

Clock = Callable[[], datetime]
MAX_NOTE = 2000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ATTEMPTS = 4
PHONE_CLOCK_FLOOR = date(1970, 1, 1)  # a phone whose clock was reset shows 1970 or later


def _latest_claim() -> date:
    """A phone clock a year ahead is wrong but still a clock; later is not."""
    return (clock.now() + timedelta(days=366)).date()

# What a final outcome means for the meal order (statements count delivered meals only).
MEAL_STATUS = {
    StopOutcome.DELIVERED: MealOrderStatus.DELIVERED,
    StopOutcome.NOT_HOME: MealOrderStatus.MISSED,
    StopOutcome.REFUSED: MealOrderStatus.MISSED,
    StopOutcome.HOSPITALISED: MealOrderStatus.MISSED,
    StopOutcome.COULD_NOT_ACCESS: MealOrderStatus.MISSED,
}
FAMILY_EVENTS = {  # outcome → notification event for the family
    StopOutcome.DELIVERED: "meal_delivered",
    StopOutcome.NOT_HOME: "not_home",
    StopOutcome.COMPLETED: "visit_completed",
}


@dataclass
class Recorded:
    """The stored event and what it did; ``replay`` when the phone had sent it before."""

    event: StopEvent
    replay: bool
    result: dict[str, Any] = field(default_factory=dict)


def parse_claimed_time(recorded: Any) -> datetime | None:
    """A phone's claimed time (``recorded_dt``) as an aware moment, None when not sent; ``FieldError`` when it
    is not a time, has no zone, or is a date no phone's clock could show."""
    if recorded in (None, ""):
        return None
    try:
        recorded_dt = datetime.fromisoformat(str(recorded).replace("Z", "+00:00"))
    except ValueError:
        raise FieldError("recorded_dt", _l("The tap time is not a valid date and time.")) from None
    if recorded_dt.tzinfo is None:
        raise FieldError("recorded_dt", _l("The tap time needs a timezone."))
    # The date as written, not converted: year 1 or 9999 moved by an offset would overflow.
    if not PHONE_CLOCK_FLOOR <= recorded_dt.date() <= _latest_claim():
        # Not a phone's clock at all (year 1, year 9999): refused. A phone that is merely wrong
        # (reset to 1999, a day behind) is kept as a flagged claim; the receipt times the tap.
        raise FieldError("recorded_dt", _l("The tap time is not a date a phone's clock could show."))
    return recorded_dt


@dataclass(frozen=True)
class Tap:
    """One request from the phone, validated: build it with ``Tap.parse``."""

    client_id: str
    kind: StopEventKind
    outcome: StopOutcome | None
    concern: ConcernKind | None
    note: str
    tasks_done: list[str] | None
    recorded_dt: datetime | None
    device: str
    # A meal delivered face to face: the worker saw the senior and they looked well (a visitation contact).
    seen_well: bool = False

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Tap:
        """Check a JSON body's fields; raises ``FieldError`` naming the first bad one."""
        if not isinstance(data, dict):
            raise FieldError(None, _l("Send a JSON object."))
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise FieldError("client_id", _l("A tap needs an id of 8 to 64 letters, digits or dashes."))
        try:
            kind = StopEventKind(data.get("kind") or "outcome")
        except ValueError:
            raise FieldError("kind", _l("Unknown kind of tap.")) from None
        outcome = concern = None
        if data.get("outcome") not in (None, ""):
            try:
                outcome = StopOutcome(data["outcome"])
            except ValueError:
                raise FieldError("outcome", _l("Unknown outcome.")) from None
        if kind == StopEventKind.OUTCOME and outcome is None:
            raise FieldError("outcome", _l("Choose an outcome."))
        if kind not in (StopEventKind.OUTCOME, StopEventKind.CHECK_OUT) and outcome is not None:
            raise FieldError("outcome", _l("Only an outcome or a check-out carries an outcome."))
        if kind == StopEventKind.CHECK_OUT and outcome is None:
            outcome = StopOutcome.COMPLETED
        if kind == StopEventKind.CONCERN:
            try:
                concern = ConcernKind(data.get("concern"))
            except ValueError:
                raise FieldError("concern", _l("Choose what worries you.")) from None
        note = data.get("note") or ""
        if not isinstance(note, str):
            raise FieldError("note", _l("The note must be text."))
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise FieldError("note", _l("Keep the note under %(n)s characters.", n=MAX_NOTE))
        if any(ord(c) < 32 and c not in "\n\r\t" for c in note):
            raise FieldError("note", _l("The note contains control characters."))
        tasks = data.get("tasks_done")
        if tasks is not None and (not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks)):
            raise FieldError("tasks_done", _l("Tasks must be a list of task names."))
        recorded_dt = parse_claimed_time(data.get("recorded_dt"))
        device = data.get("device") or ""
        device = device[:200] if isinstance(device, str) else ""
        seen_well = data.get("seen_well", False)
        if seen_well is None:
            seen_well = False
        if not isinstance(seen_well, bool):
            raise FieldError("seen_well", _l("Seen and well is yes or no."))
        if seen_well and (kind != StopEventKind.OUTCOME or outcome != StopOutcome.DELIVERED):
            raise FieldError("seen_well", _l("Only a delivered meal can say the senior was seen and well."))
        return cls(client_id=client_id, kind=kind, outcome=outcome, concern=concern, note=note,
                   tasks_done=tasks, recorded_dt=recorded_dt, device=device, seen_well=seen_well)


def find_replay(client_id: str) -> StopEvent | None:
    return db.session.scalar(sa.select(StopEvent).where(StopEvent.client_id == client_id))


def _check_against_stop(tap: Tap, stop: Stop) -> None:
    # A claim dated before the stop's day is not refused: ``evv.order_time`` times it by its receipt
    # and ``evv.is_far_off`` flags it, so the arrival never moves before the route existed.
    if tap.outcome is not None and tap.outcome not in outcomes_for(stop):
        raise FieldError("outcome", _l("This outcome does not fit this kind of stop."))
    if tap.seen_well and stop.kind != StopKind.MEAL:
        raise FieldError("seen_well", _l("Only a delivered meal can say the senior was seen and well."))
    if stop.kind != StopKind.VISIT and tap.kind in (StopEventKind.CHECK_IN, StopEventKind.CHECK_OUT,
                                                    StopEventKind.ON_THE_WAY):
        raise FieldError("kind", _l("Check-in and check-out are for visits."))
    if tap.tasks_done:
        known = {key for key, _label in tasks_for(stop)}
        unknown = [t for t in tap.tasks_done if t not in known]
        if unknown:
            raise FieldError("tasks_done", _l("Unknown task: %(task)s", task=unknown[0][:40]))
    if stop.kind == StopKind.VISIT:
        _check_visit_state(tap, stop)


def _check_visit_state(tap: Tap, stop: Stop) -> None:
    """A visit moves forward only: no check-in after it ended, no check-out before a check-in."""
    if stop.outcome is not None and tap.kind in (StopEventKind.ON_THE_WAY, StopEventKind.CHECK_IN,
                                                  StopEventKind.CHECK_OUT):
        raise FieldError("kind", _l("This visit is already finished."))
    if stop.arrival_dt is not None and tap.kind in (StopEventKind.ON_THE_WAY, StopEventKind.CHECK_IN):
        raise FieldError("kind", _l("You are already checked in."))
    if stop.arrival_dt is None and tap.kind == StopEventKind.CHECK_OUT:
        raise FieldError("kind", _l("Check in before checking out."))


def record(stop: Stop, tap: Tap, *, by, now: Clock = clock.now) -> Recorded:
    """Store one tap for ``stop`` (already authorised for ``by``) and apply it (one unit).

    Raises ``FieldError`` when the tap does not fit the stop, or when its
    ``client_id`` was already used for another stop.
    """
    stop_id = stop.id
    previous = find_replay(tap.client_id)
    if previous is not None:
        return _replay(previous, stop_id)
    _check_against_stop(tap, stop)
    for attempt in range(ATTEMPTS):
        try:
            return _record_once(stop_id, tap, by=by, now=now)
        except IntegrityError:
            transaction.start_over()
            previous = find_replay(tap.client_id)
            if previous is None:
                raise
            return _replay(previous, stop_id)
        except (StaleDataError, OperationalError):
            # Someone changed the stop, plan or request meanwhile (or a deadlock): apply again on fresh rows.
            transaction.start_over()
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _replay(previous: StopEvent, stop_id: int) -> Recorded:
    if previous.stop_id != stop_id:
        raise FieldError("client_id", _l("This tap id was already used for another stop."))
    return Recorded(event=previous, replay=True, result=dict(previous.result or {}))


def _record_once(stop_id: int, tap: Tap, *, by, now: Clock) -> Recorded:
    from dispatch.models.notification import NotificationEvent
    from dispatch.services.family import notifications

    received = now()
    # Serialise writers on this stop (PostgreSQL; SQLite serialises all writes anyway).
    stop = db.session.scalars(
        sa.select(Stop).where(Stop.id == stop_id)
        # What the tap carries its state to comes in the same query; only the stop's row is locked.
        .options(joinedload(Stop.route).joinedload(Route.plan), joinedload(Stop.meal_order), joinedload(Stop.senior),
                 joinedload(Stop.service_request))
        .with_for_update(of=Stop).execution_options(populate_existing=True)
    ).one()
    plan = stop.route.plan
    day_start = clock.day_bounds(plan.service_date, clock.zone_of(plan.site))[0]
    recorded = evv.order_time(tap.recorded_dt, received, earliest=day_start)
    event = StopEvent(
        stop_id=stop.id, kind=tap.kind, outcome=tap.outcome, concern=tap.concern, tasks_done=tap.tasks_done,
        note=tap.note, client_id=tap.client_id, device=tap.device, recorded_dt=recorded, received_dt=received,
        claimed_dt=tap.recorded_dt, by_id=getattr(by, "id", None),
    )
    db.session.add(event)
    db.session.flush()  # a duplicate client_id fails here

    _recompute(stop)
    _follow_through(stop, event)
    raised = alerts.on_stop_event(event, stop, now=received, by=by)

    emitted = []
    current = event.outcome is not None and event.outcome == stop.outcome
    family_event = FAMILY_EVENTS.get(event.outcome) if current else None
    if family_event == "meal_delivered" and stop.kind != StopKind.MEAL:
        family_event = None
    if event.kind == StopEventKind.ON_THE_WAY:
        family_event = "on_the_way"
    if family_event:
        emitted += notifications.emit(NotificationEvent(family_event), senior_id=stop.senior_id,
                                      payload={"stop_id": stop.id, "time": received.isoformat()},
                                      exclude_user_id=getattr(by, "id", None))
    for alert in raised:
        emitted += notifications.emit(NotificationEvent.WELFARE_ALERT, senior_id=stop.senior_id,
                                      payload={"alert_id": alert.id, "kind": alert.kind.value})

    event.result = {
        "event_id": event.id, "client_id": event.client_id, "stop_id": stop.id, "kind": event.kind.value,
        "stop_outcome": stop.outcome.value if stop.outcome else None,
        "alerts": [a.id for a in raised], "recorded_dt": recorded.isoformat(),
        "received_dt": received.isoformat(),
        "claimed_dt": tap.recorded_dt.isoformat() if tap.recorded_dt else None,
        "clock_flagged": evv.is_far_off(tap.recorded_dt, received),
    }
    audit.record(f"stop.{event.kind.value}", user=by, entity_type="stop", entity_id=stop.id,
                 senior_id=stop.senior_id,
                 detail={"event_id": event.id, "outcome": event.outcome.value if event.outcome else None,
                         "concern": event.concern.value if event.concern else None})
    result = dict(event.result)  # read before the commit expires it: no reload to answer the phone
    if emitted:
        notifications.deliver_after_commit()
    db.session.flush()
    return Recorded(event=event, replay=False, result=result)


def history(stop: Stop) -> list[StopEvent]:
    """Every tap on the stop, oldest first by the phone's time."""
    return list(db.session.scalars(
        sa.select(StopEvent).where(StopEvent.stop_id == stop.id)
        .order_by(StopEvent.recorded_dt, StopEvent.id)
    ))


def _recompute(stop: Stop) -> None:
    """Derive the stop's outcome, arrival and departure from its whole history.

    Latest outcome by tap time wins (ties: the later stored); arrival is the
    first check-in (for a meal, the first outcome), departure the last check-out,
    each at the time the server received it (the phone's clock proves nothing).
    """
    events = history(stop)
    finals = [e for e in events if e.outcome is not None]
    if finals:
        last = finals[-1]
        stop.outcome, stop.outcome_note = last.outcome, last.note or None
        stop.outcome_dt, stop.outcome_by_id = last.received_dt, last.by_id
    check_ins = [e.received_dt for e in events if e.kind == StopEventKind.CHECK_IN]
    arrival = min(check_ins) if check_ins else (min(e.received_dt for e in finals)
                                                if finals and stop.kind == StopKind.MEAL else stop.arrival_dt)
    check_outs = [e.received_dt for e in events if e.kind == StopEventKind.CHECK_OUT]
    departure = max(check_outs) if check_outs else stop.departure_dt
    if departure is not None and arrival is not None and departure < arrival:
        departure = arrival  # two phones' taps crossing must not break the stop's own rule
    stop.arrival_dt, stop.departure_dt = arrival, departure


def _advance(request, target: RequestStatus, reason: str | None = None) -> None:
    """Walk a service request forward to ``target`` along the allowed transitions, if it can go there."""
    path = {
        RequestStatus.EN_ROUTE: (RequestStatus.EN_ROUTE,),
        RequestStatus.IN_PROGRESS: (RequestStatus.EN_ROUTE, RequestStatus.IN_PROGRESS),
        RequestStatus.COMPLETED: (RequestStatus.EN_ROUTE, RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED),
        RequestStatus.MISSED: (RequestStatus.MISSED,),
    }[target]
    for step in path:
        if request.status == step:
            continue
        if step not in TRANSITIONS.get(request.status, frozenset()):
            continue
        request.status = step
        if step == RequestStatus.MISSED:
            request.status_reason = reason


def _follow_through(stop: Stop, event: StopEvent) -> None:
    """Carry the stop's state to its meal order, service request and plan."""
    plan = stop.route.plan
    if plan.status == PlanStatus.PUBLISHED:
        plan.status = PlanStatus.IN_PROGRESS
    order = stop.meal_order
    if order is not None and stop.outcome in MEAL_STATUS and order.status in (
            MealOrderStatus.ORDERED, MealOrderStatus.DELIVERED, MealOrderStatus.MISSED):
        order.status = MEAL_STATUS[stop.outcome]
    request = stop.service_request
    if request is None:
        return
    if event.kind == StopEventKind.ON_THE_WAY:
        _advance(request, RequestStatus.EN_ROUTE)
    elif event.kind == StopEventKind.CHECK_IN:
        _advance(request, RequestStatus.IN_PROGRESS)
    if stop.outcome == StopOutcome.COMPLETED:
        _advance(request, RequestStatus.COMPLETED)
    elif stop.outcome is not None:
        _advance(request, RequestStatus.MISSED, reason=str(_l("Visit not done: %(why)s",
                                                              why=stop.outcome.value.replace("_", " ")))[:255])
