"""The car driver hands a village point its batch: one tap on a trunk run's drop, from a phone that may retry.

``hand_over(...)`` follows the rules of a stop's tap (``services.rounds.outcomes``), for a ``TrunkDrop``
(which has no ``Stop`` and so no ``StopEvent``):

* **Idempotent.** The tap carries the phone's key (``handover_key``, unique): the same key again returns
  the first answer (``replay=True``) and changes nothing. A second hand-over with another key is refused
  ("already handed over at 10:47"): a batch is handed over once.
* **The server's clock is the proof.** ``handed_over_dt`` is the receipt; the phone's time is kept as
  ``handed_over_claimed_dt``, a claim, and flagged when far off (``services.rounds.evv``).
* **Concurrent taps do not overwrite each other.** The drop is written with one conditional UPDATE
  (``WHERE handed_over_dt IS NULL``): of two racing taps one wins, the other reads the winner's row
  (a replay when it carried the same key, else the refusal).
* **Only the day's run, only its driver.** The route's worker must be ``by``; the plan published or under
  way and dated today in the site's zone. The first hand-over puts a published plan under way, as the
  first stop tap does. Audited as ``trunk_drop.hand_over``. The service flushes; the request edge commits.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanStatus, RouteLeg, TrunkDrop
from dispatch.models.worker import Worker
from dispatch.platform import audit, clock, transaction
from dispatch.platform.datefmt import time_text
from dispatch.platform.errors import FieldError
from dispatch.services.rounds import evv

Clock = Callable[[], datetime]
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # as a stop tap's client_id


@dataclass
class HandedOver:
    """The drop as handed over, and the answer for the phone; ``replay`` when this key had been sent before."""

    drop: TrunkDrop
    replay: bool
    result: dict[str, Any] = field(default_factory=dict)


def _result(drop: TrunkDrop) -> dict[str, Any]:
    """The answer, drawn from the stored row only: a replay gets exactly what the first request got."""
    return {
        "drop_id": drop.id, "route_id": drop.route_id, "key": drop.handover_key,
        "handed_over_dt": drop.handed_over_dt.isoformat(), "handed_over_by_id": drop.handed_over_by_id,
        "claimed_dt": drop.handed_over_claimed_dt.isoformat() if drop.handed_over_claimed_dt else None,
        "clock_flagged": evv.is_far_off(drop.handed_over_claimed_dt, drop.handed_over_dt),
    }


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not KEY.match(key):
        raise FieldError("key", _l("A tap needs an id of 8 to 64 letters, digits or dashes."))
    return key


def _check_driver(drop: TrunkDrop, by: Any) -> None:
    route = drop.route
    if route.leg != RouteLeg.TRUNK:
        raise FieldError(None, _l("Only a trunk run's village points are handed over."))
    driver = db.session.get(Worker, route.worker_id)
    if by is None or driver is None or driver.user_id is None or driver.user_id != getattr(by, "id", None):
        raise FieldError(None, _l("Only the driver of this run can hand its meals over."))


def _check_live(plan: Plan, now: Clock) -> None:
    if plan.status not in LIVE_STATUSES:
        raise FieldError(None, _l("This plan is not published, or it is closed."))
    if plan.service_date != now().astimezone(clock.zone_of(plan.site)).date():
        raise FieldError(None, _l("This run is not today's: hand over only on the day of the run."))


def _reread(drop_id: int) -> TrunkDrop:
    return db.session.scalars(sa.select(TrunkDrop).where(TrunkDrop.id == drop_id)
                              .execution_options(populate_existing=True)).one()


def _answer_existing(drop: TrunkDrop, key: str) -> HandedOver:
    """The drop was handed over already: the same tap again is a replay, another is refused."""
    if drop.handover_key == key:
        return HandedOver(drop=drop, replay=True, result=_result(drop))
    at = time_text(drop.handed_over_dt, clock.zone_of(drop.route.plan.site))
    raise FieldError(None, _l("Already handed over at %(time)s.", time=at))


def hand_over(drop: TrunkDrop, *, by: Any, key: Any, claimed_at: datetime | None = None,
              now: Clock = clock.now) -> HandedOver:
    """Record that ``by`` (the run's driver) handed ``drop``'s batch over, timed by the server's clock.

    Raises ``FieldError`` when the key is malformed or already used for another drop, when ``by`` does not
    drive this run, when the plan is not live or not today's, or when the drop was handed over by another tap.
    """
    key = _check_key(key)
    drop_id = drop.id
    _check_driver(drop, by)
    if drop.handed_over_dt is not None:
        return _answer_existing(drop, key)
    used = db.session.scalar(sa.select(TrunkDrop.id).where(TrunkDrop.handover_key == key))
    if used is not None and used != drop_id:
        raise FieldError("key", _l("This tap id was already used for another village point."))
    plan = drop.route.plan
    _check_live(plan, now)

    received = now()
    try:
        won = db.session.execute(
            sa.update(TrunkDrop)
            .where(TrunkDrop.id == drop_id, TrunkDrop.handed_over_dt.is_(None))
            .values(handed_over_dt=received, handed_over_by_id=getattr(by, "id", None), handover_key=key,
                    handed_over_claimed_dt=claimed_at)
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        # The same key was stored meanwhile, for another drop (a phone sending one tap id twice).
        transaction.start_over()
        raise FieldError("key", _l("This tap id was already used for another village point.")) from None
    drop = _reread(drop_id)
    if not won:  # another tap got there first
        return _answer_existing(drop, key)

    if plan.status == PlanStatus.PUBLISHED:  # the day is under way, as with the first stop tap
        db.session.execute(
            sa.update(Plan).where(Plan.id == plan.id, Plan.status == PlanStatus.PUBLISHED)
            .values(status=PlanStatus.IN_PROGRESS, version=Plan.version + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(plan)
    result = _result(drop)
    audit.record("trunk_drop.hand_over", user=by, entity_type="trunk_drop", entity_id=drop_id,
                 detail={"route_id": drop.route_id, "plan_id": plan.id, "village_point_id": drop.village_point_id,
                         "meals": drop.meals, "key": key, "received_dt": result["handed_over_dt"],
                         "claimed_dt": result["claimed_dt"], "clock_flagged": result["clock_flagged"]})
    return HandedOver(drop=drop, replay=False, result=result)
