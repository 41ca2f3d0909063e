"""Electronic visit verification: what a visit's check-in and check-out prove, and what staff must look at.

A phone's clock is a claim, not proof: it may be wrong (a flat battery resets it to 1999), or
set on purpose. So every tap is timed by the server's receipt (``StopEvent.received_dt``), which
is what a check-in, a check-out and an outcome record; the phone's time is kept beside it
(``claimed_dt``) and flagged when it lies more than ``CLAIM_TOLERANCE`` from the receipt.
A plausible claim (on the stop's day, not after the receipt) only orders the taps of one stop
(``StopEvent.recorded_dt``), so a tap sent late from an offline phone does not undo a newer one.

Against the plan, a visit is flagged for staff (the board, the senior's statement) when it
started early or late for its window, was much shorter than planned, or one of its taps
carried a phone time far from its receipt (``check_routes`` for the board, ``month_visits`` for
the senior's statement). The rules read stored times only, so the same
visit gets the same flags on every page and in every test, whatever the hour.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from dispatch.extensions import db
from dispatch.models.outcome import StopEvent
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanStatus, Route, Stop, StopKind, StopOutcome

# A phone time this far from the receipt is flagged for staff.
CLAIM_TOLERANCE = timedelta(minutes=10)
# A phone clock slightly ahead of ours: the claim counts as the receipt, unflagged.
CLOCK_SKEW = timedelta(minutes=5)
# Checking in this long before the window opens or after it closes is early or late.
EARLY_GRACE = timedelta(minutes=15)
LATE_GRACE = timedelta(minutes=15)
# A completed visit shorter than this share of its planned minutes is short.
SHORT_SHARE = 0.75


class VisitFlag(enum.StrEnum):
    EARLY = "early"
    LATE = "late"
    SHORT = "short"
    PHONE_CLOCK = "phone_clock"


FLAG_LABELS = {
    VisitFlag.EARLY: _l("Early check-in"),
    VisitFlag.LATE: _l("Late check-in"),
    VisitFlag.SHORT: _l("Short visit"),
    VisitFlag.PHONE_CLOCK: _l("Phone time far off"),
}


def order_time(claimed: datetime | None, received: datetime, earliest: datetime | None = None) -> datetime:
    """The time a tap orders the stop's history by (which outcome is the latest), never proof.

    The phone's claim when it is plausible: not after the receipt (a clock a little ahead counts
    as the receipt) and not before ``earliest`` (the start of the stop's service day), so a
    phone that was offline all morning still orders its taps right. Else the receipt.
    """
    if claimed is None or claimed > received + CLOCK_SKEW or (earliest is not None and claimed < earliest):
        return received
    return min(claimed, received)


def is_far_off(claimed: datetime | None, received: datetime) -> bool:
    """A claim earlier than the receipt by more than the tolerance, or ahead of it by more than the skew."""
    if claimed is None:
        return False
    return claimed < received - CLAIM_TOLERANCE or claimed > received + CLOCK_SKEW


@dataclass(frozen=True)
class VisitCheck:
    """One visit's verified times and the flags staff see; times are the server's (UTC)."""

    check_in: datetime | None
    check_out: datetime | None
    planned_minutes: int | None
    flags: tuple[VisitFlag, ...]
    clock_off_minutes: int = 0  # the largest gap between a tap's phone time and its receipt

    @property
    def minutes(self) -> int | None:
        """How long the visit lasted, check-in to check-out, in whole minutes."""
        if self.check_in is None or self.check_out is None:
            return None
        return int((self.check_out - self.check_in).total_seconds() // 60)

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)

    def flag_texts(self) -> list[str]:
        """The flags in words, with the figures that make them (for staff)."""
        texts = []
        for flag in self.flags:
            if flag == VisitFlag.SHORT:
                texts.append(str(_l("Short visit: %(done)s of %(planned)s min",
                                    done=self.minutes, planned=self.planned_minutes)))
            elif flag == VisitFlag.PHONE_CLOCK:
                texts.append(str(_l("Phone time %(n)s min off the receipt", n=self.clock_off_minutes)))
            else:
                texts.append(str(FLAG_LABELS[flag]))
        return texts


def check_visit(stop: Stop, events: list[StopEvent] | None = None) -> VisitCheck | None:
    """The verification of one visit stop (None for a meal); ``events`` saves a query when given."""
    if stop.kind != StopKind.VISIT:
        return None
    if events is None:
        events = list(db.session.scalars(sa.select(StopEvent).where(StopEvent.stop_id == stop.id)))
    planned = stop.service_request.duration_minutes if stop.service_request is not None else None
    flags: list[VisitFlag] = []
    check_in, check_out = stop.arrival_dt, stop.departure_dt
    if check_in is not None:
        if check_in < stop.window_start_dt - EARLY_GRACE:
            flags.append(VisitFlag.EARLY)
        elif check_in > stop.window_end_dt + LATE_GRACE:
            flags.append(VisitFlag.LATE)
    if (stop.outcome == StopOutcome.COMPLETED and planned and check_in is not None and check_out is not None
            and (check_out - check_in) < timedelta(minutes=planned * SHORT_SHARE)):
        flags.append(VisitFlag.SHORT)
    off = [abs(e.claimed_dt - e.received_dt) for e in events
           if e.claimed_dt is not None and is_far_off(e.claimed_dt, e.received_dt)]
    if off:
        flags.append(VisitFlag.PHONE_CLOCK)
    return VisitCheck(check_in=check_in, check_out=check_out, planned_minutes=planned, flags=tuple(flags),
                      clock_off_minutes=int(max(off).total_seconds() // 60) if off else 0)


def check_visits(stops: list[Stop]) -> dict[int, VisitCheck]:
    """``check_visit`` for many stops in one query (the board, a statement)."""
    visits = [s for s in stops if s.kind == StopKind.VISIT]
    if not visits:
        return {}
    by_stop: dict[int, list[StopEvent]] = defaultdict(list)
    for event in db.session.scalars(sa.select(StopEvent).where(StopEvent.stop_id.in_([s.id for s in visits]))):
        by_stop[event.stop_id].append(event)
    return {s.id: check_visit(s, by_stop[s.id]) for s in visits}


def check_routes(routes) -> dict[int, VisitCheck]:
    """The flagged visits on ``routes`` (their stops loaded), by stop id: what the board shows staff."""
    checks = check_visits([s for route in routes for s in route.stops])
    return {stop_id: c for stop_id, c in checks.items() if c is not None and c.is_flagged}


@dataclass(frozen=True)
class VisitLine:
    """One visit done (or tried) in a month, with its verification: a row of the senior's statement."""

    stop: Stop
    check: VisitCheck


def month_visits(site_id: int, senior_id: int, first: date, last: date) -> list[VisitLine]:
    """The senior's visits with an outcome on the site's plans from ``first`` to ``last``, oldest first.

    One per service request: a re-planned day repeats its stops, and only the newest version counts.
    """
    stops = list(db.session.scalars(
        sa.select(Stop).join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(Plan.site_id == site_id, Plan.service_date.between(first, last), Stop.senior_id == senior_id,
               Stop.kind == StopKind.VISIT, Stop.outcome.is_not(None),
               Plan.status.in_((*LIVE_STATUSES, PlanStatus.CLOSED)))
        .options(joinedload(Stop.route).joinedload(Route.plan), joinedload(Stop.service_request))
        .order_by(Plan.version_number.desc())
    ).unique())
    newest: dict[int | None, Stop] = {}
    for stop in stops:
        newest.setdefault(stop.service_request_id or -stop.id, stop)
    chosen = sorted(newest.values(), key=lambda s: (s.arrival_dt or s.window_start_dt, s.id))
    checks = check_visits(chosen)
    return [VisitLine(stop=s, check=checks[s.id]) for s in chosen]
