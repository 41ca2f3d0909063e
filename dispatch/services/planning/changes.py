"""What a new plan version changed against the one before it, in the terms staff act on.

Seniors and workers were told who comes when, so staff must see at a glance what a re-plan or a re-run
would change before they publish it: which stops are new, which left every route, which changed worker
(somebody must be told) and whose time moved by more than a few minutes. "No stop changed" is the
proof that a re-run with nothing new gave the same routes (``planning.search``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.plan import Plan, Stop
from dispatch.services.planning.store import stop_key

# An ETA that moves less than this is the same visit to the people told of it.
RETIMED_MINUTES = 10


@dataclass(frozen=True)
class Moved:
    """One stop in both versions: where and when it was, and is."""

    before: Stop
    after: Stop

    @property
    def minutes(self) -> int | None:
        a, b = self.before.eta_dt, self.after.eta_dt
        return None if a is None or b is None else round((b - a).total_seconds() / 60)


@dataclass(frozen=True)
class Changes:
    basis: Plan
    added: list[Stop] = field(default_factory=list)
    dropped: list[Stop] = field(default_factory=list)
    new_worker: list[Moved] = field(default_factory=list)
    retimed: list[Moved] = field(default_factory=list)
    reordered: int = 0  # same worker and about the same time, another place in the route
    kept: int = 0

    @property
    def none(self) -> bool:
        return not (self.added or self.dropped or self.new_worker or self.retimed or self.reordered)


def _by_key(plan: Plan) -> dict[str, Stop]:
    return {stop_key(s): s for r in plan.routes for s in r.stops}


def compare(basis: Plan, plan: Plan) -> Changes:
    """``plan`` against ``basis`` stop by stop (a stop is its meal order or request, whichever version holds it)."""
    before, after = _by_key(basis), _by_key(plan)
    added = [s for k, s in after.items() if k not in before]
    dropped = [s for k, s in before.items() if k not in after]
    new_worker, retimed, reordered, kept = [], [], 0, 0
    for key in before.keys() & after.keys():
        moved = Moved(before[key], after[key])
        if moved.before.route.worker_id != moved.after.route.worker_id:
            new_worker.append(moved)
        elif moved.minutes is not None and abs(moved.minutes) >= RETIMED_MINUTES:
            retimed.append(moved)
        elif _rank(moved.before) != _rank(moved.after):
            reordered += 1
        else:
            kept += 1
    return Changes(basis, sorted(added, key=_by_time), sorted(dropped, key=_by_time),
                   sorted(new_worker, key=lambda m: _by_time(m.after)),
                   sorted(retimed, key=lambda m: _by_time(m.after)), reordered, kept)


def _by_time(stop: Stop) -> tuple[bool, float, int]:
    return stop.eta_dt is None, stop.eta_dt.timestamp() if stop.eta_dt else 0.0, stop.id


def _rank(stop: Stop) -> int:
    """The stop's place among its route's stops (positions may have gaps after edits)."""
    return sorted(s.position for s in stop.route.stops).index(stop.position)


def basis_of(plan: Plan) -> Plan | None:
    """The version ``plan`` is read against: the one it was made from, else the version just before it."""
    made_from = ((plan.summary or {}).get("job") or {}).get("basis")
    if made_from:
        return db.session.get(Plan, made_from)
    if plan.version_number <= 1:
        return None
    return db.session.scalar(sa.select(Plan).where(
        Plan.site_id == plan.site_id, Plan.service_date == plan.service_date, Plan.kind == plan.kind,
        Plan.meal.is_(None) if plan.meal is None else Plan.meal == plan.meal,
        Plan.version_number < plan.version_number).order_by(Plan.version_number.desc()).limit(1))


def changes_for(plan: Plan) -> Changes | None:
    """What ``plan`` changed against its basis; None for a first version or an unfinished one."""
    basis = basis_of(plan)
    if basis is None or ((basis.summary or {}).get("job") or {}).get("state") not in (None, "done"):
        return None
    return compare(basis, plan)
