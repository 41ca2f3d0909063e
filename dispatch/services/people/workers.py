"""Workers: list and filter what a user may see, create and change a worker with skills and weekly shifts.

``WorkerData`` and ``ShiftTimes`` check themselves where they are built (an end
before its start, two shifts overlapping on one weekday). Which sites a worker
may be based at or work a shift at depends on who is asking, so the service
checks that against ``sites_editable_by(by)``; problems come back as
``FieldError`` naming the form field to blame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.site import MealSite, TravelMode
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerShift, WorkerSkill
from dispatch.platform import audit
from dispatch.platform.access import sites_editable_by, sites_visible_to, workers_visible_to
from dispatch.platform.errors import FieldError
from dispatch.services.people.sites import like_pattern

CAPACITY_MEALS_RANGE = (0, 200)
MAX_MINUTES_RANGE = (30, 720)
# Three blocks a day, every day: a driver on lunch and dinner runs all week has 14 (the demo seeds such drivers,
# and the edit form of one failed when this was 10).
MAX_SHIFTS = 21


@dataclass(frozen=True)
class ShiftTimes:
    """One weekly shift at a site, in the site's local time; weekday 0 is Monday."""

    weekday: int
    site_id: int
    start: time
    end: time
    break_minutes: int = 0
    row: int = 0  # the form row it came from, to blame the right one

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise FieldError(f"shifts-{self.row}-weekday", _l("Not a valid choice."))
        if self.end <= self.start:
            raise FieldError(f"shifts-{self.row}-end", _l("The end must be after the start."))
        if not 0 <= self.break_minutes < self.minutes:
            raise FieldError(f"shifts-{self.row}-break_minutes", _l("The break must be shorter than the shift."))

    @property
    def minutes(self) -> int:
        return (datetime.combine(datetime.min, self.end) - datetime.combine(datetime.min, self.start)).seconds // 60

    def overlaps(self, other: ShiftTimes) -> bool:
        return self.weekday == other.weekday and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WorkerData:
    """Everything staff can set on a worker."""

    full_name: str
    kind: WorkerKind
    home_site_id: int
    full_name_zh: str | None = None
    phone: str | None = None
    travel_mode: TravelMode = TravelMode.E_BIKE
    capacity_meals: int = 0
    max_minutes_per_day: int = 480
    is_active: bool = True
    skills: frozenset[Skill] = frozenset()
    shifts: tuple[ShiftTimes, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.full_name.strip():
            raise FieldError("full_name", _l("This field is required."))
        for name, (low, high) in (("capacity_meals", CAPACITY_MEALS_RANGE), ("max_minutes_per_day", MAX_MINUTES_RANGE)):
            if not low <= getattr(self, name) <= high:
                raise FieldError(name, _l("Must be between %(low)s and %(high)s.", low=low, high=high))
        if len(self.shifts) > MAX_SHIFTS:
            raise FieldError("shifts", _l("At most %(n)s shifts.", n=MAX_SHIFTS))
        for i, shift in enumerate(self.shifts):
            for other in self.shifts[i + 1:]:
                if shift.overlaps(other):
                    raise FieldError(f"shifts-{other.row}-start", _l("Overlaps another shift on the same day."))

    @property
    def site_ids(self) -> set[int]:
        return {self.home_site_id} | {s.site_id for s in self.shifts}


_SCALARS = ("full_name", "full_name_zh", "phone", "kind", "travel_mode", "capacity_meals", "home_site_id",
            "max_minutes_per_day", "is_active")


# Listing ------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerFilters:
    """What the worker list may be narrowed by; ``None`` means any."""

    q: str = ""
    site_id: int | None = None
    kind: WorkerKind | None = None
    skill: Skill | None = None
    travel_mode: TravelMode | None = None
    is_active: bool | None = None


def list_workers(user, filters: WorkerFilters = WorkerFilters(), *, page: int = 1, per_page: int = 25):
    """One page (a Flask-SQLAlchemy ``Pagination``) of the workers ``user`` may see, by name."""
    query = workers_visible_to(user).options(
        selectinload(Worker.skills), selectinload(Worker.shifts), selectinload(Worker.home_site)
    ).order_by(Worker.full_name, Worker.id)
    q = filters.q.strip()
    if q:
        matches = [Worker.full_name.ilike(like_pattern(q), escape="\\"),
                   Worker.full_name_zh.ilike(like_pattern(q), escape="\\")]
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3 and len(digits) == len(q.replace(" ", "").replace("-", "")):
            # The phone's last digits, however it was typed when stored.
            bare = sa.func.replace(sa.func.replace(Worker.phone, " ", ""), "-", "")
            matches.append(bare.like("%" + digits))
        query = query.where(sa.or_(*matches))
    if filters.site_id is not None:
        query = query.where(Worker.home_site_id == filters.site_id)
    if filters.kind is not None:
        query = query.where(Worker.kind == filters.kind)
    if filters.travel_mode is not None:
        query = query.where(Worker.travel_mode == filters.travel_mode)
    if filters.is_active is not None:
        query = query.where(Worker.is_active.is_(filters.is_active))
    if filters.skill is not None:
        query = query.where(Worker.id.in_(sa.select(WorkerSkill.worker_id).where(WorkerSkill.skill == filters.skill)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def visible_sites(user) -> list[MealSite]:
    """Sites ``user`` may see, by name (the list's site filter)."""
    return list(db.session.scalars(sites_visible_to(user).order_by(MealSite.name)))


def editable_sites(user) -> list[MealSite]:
    """Sites ``user`` may base a worker at or give a shift at, by name."""
    return list(db.session.scalars(sites_editable_by(user).order_by(MealSite.name)))


def shift_site_names(worker: Worker) -> dict[int, str]:
    """Names of the sites ``worker`` has shifts at, by id."""
    ids = {shift.site_id for shift in worker.shifts}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(MealSite.id, MealSite.name).where(MealSite.id.in_(ids))).all())


def can_edit(user, worker: Worker) -> bool:
    return worker.home_site_id in {site.id for site in editable_sites(user)}


# Changing -----------------------------------------------------------------

def create_worker(data: WorkerData, *, by) -> Worker:
    """Store a new worker with skills and shifts and an audit event; one unit."""
    _check_sites(data, by)
    worker = Worker()
    apply_data(worker, data)
    db.session.add(worker)
    return _commit(worker, "worker.create", by, None)


def update_worker(worker: Worker, data: WorkerData, *, by) -> Worker:
    """Change ``worker`` to ``data`` (skills and shifts replaced) and record which fields changed; one unit."""
    _check_sites(data, by)
    before = _snapshot(worker)
    apply_data(worker, data)
    after = _snapshot(worker)
    return _commit(worker, "worker.update", by, {"changed": sorted(k for k in after if after[k] != before[k])})


def _check_sites(data: WorkerData, by) -> None:
    allowed = {site.id for site in editable_sites(by)}
    if data.home_site_id not in allowed:
        raise FieldError("home_site_id", _l("Not a valid choice."))
    for shift in data.shifts:
        if shift.site_id not in allowed:
            raise FieldError(f"shifts-{shift.row}-site_id", _l("Not a valid choice."))


def _snapshot(worker: Worker) -> dict[str, Any]:
    values = {name: getattr(worker, name) for name in _SCALARS}
    values["skills"] = sorted(s.skill.value for s in worker.skills)
    values["shifts"] = sorted((s.weekday, s.site_id, s.start_time, s.end_time, s.break_minutes) for s in worker.shifts)
    return values


def apply_data(worker: Worker, data: WorkerData) -> None:
    for name in _SCALARS:
        setattr(worker, name, getattr(data, name))
    current = {s.skill: s for s in worker.skills}
    for skill, link in current.items():
        if skill not in data.skills:
            worker.skills.remove(link)
    for skill in sorted(data.skills - current.keys()):
        worker.skills.append(WorkerSkill(skill=skill))
    # Shifts have no identity worth keeping: replace them all.
    worker.shifts.clear()
    for shift in sorted(data.shifts, key=lambda s: (s.weekday, s.start)):
        worker.shifts.append(WorkerShift(site_id=shift.site_id, weekday=shift.weekday, start_time=shift.start,
                                         end_time=shift.end, break_minutes=shift.break_minutes))


def _commit(worker: Worker, action: str, by, detail: dict[str, Any] | None) -> Worker:
    db.session.flush()
    audit.record(action, user=by, entity_type="worker", entity_id=worker.id, detail=detail)
    db.session.flush()
    return worker
