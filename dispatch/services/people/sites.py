"""Meal sites: list and search what a user may see, create and change a site in one transaction.

Views hand in a ``SiteData`` (already checked by the form); it checks itself
again where it is built, so no caller can store a window that ends before it
starts or overlaps another. Errors a form cannot know about (a name already
taken) come back as ``FieldError`` naming the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite, MealType, MealWindow, SiteKind, TravelMode
from dispatch.models.worker import Worker
from dispatch.platform import audit, transaction
from dispatch.platform.access import sites_editable_by, sites_visible_to
from dispatch.platform.errors import FieldError

DAILY_CAPACITY_MAX = 5000
HOLD_LIMIT_RANGE = (1, 240)
RELOAD_TRIPS_RANGE = (1, 6)  # loads a rider may take at the kitchen for one meal
LOAD_MINUTES_RANGE = (0, 60)
PACKING_RATE_RANGE = (1, 1000)  # meals the kitchen hands out per 10 minutes
READY_LEAD_RANGE = (0, 180)
INSULATED_HOLD_RANGE = (2, 480)  # minutes in a village point's insulated boxes; above the hot hold limit
TRUNK_TRIP_RANGE = (1, 2000)  # meals a car's insulated boxes hold per trunk trip
# Hours before a volunteer shift after which a cancellation is late (its place is offered to others).
SHIFT_CUTOFF_RANGE = (0, 168)
CIRCLE_MINUTES_RANGE = (1, 60)


@cache
def known_timezones() -> frozenset[str]:
    """IANA timezone names this system knows (what ``ZoneInfo`` will accept)."""
    return frozenset(available_timezones())


@dataclass(frozen=True)
class WindowTimes:
    """One meal's serving window in the site's local time."""

    meal: MealType
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise FieldError(f"{self.meal.value}-end", _l("The end must be after the start."))

    def overlaps(self, other: WindowTimes) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class SiteData:
    """Everything a staff member can set on a meal site."""

    name: str
    address: str
    lat: float
    lon: float
    kind: SiteKind = SiteKind.CANTEEN
    name_zh: str | None = None
    address_zh: str | None = None
    district: str | None = None
    neighbourhood: str | None = None
    phone: str | None = None
    daily_capacity: int = 0
    hold_limit_minutes: int = 45
    reload_trips: int = 1
    load_minutes: int = 5
    packing_rate: int | None = None
    insulated_hold_minutes: int | None = None
    trunk_trip_meals: int | None = None
    ready_lead_minutes: int = 30
    circle_minutes: int = 15
    circle_mode: TravelMode = TravelMode.WALK
    timezone: str = "Asia/Shanghai"
    is_active: bool = True
    windows: tuple[WindowTimes, ...] = field(default_factory=tuple)
    shift_cancel_cutoff_hours: int = 24

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise FieldError("name", _l("This field is required."))
        if not self.address.strip():
            raise FieldError("address", _l("This field is required."))
        for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
            value = getattr(self, name)
            if not (math.isfinite(value) and low <= value <= high):
                raise FieldError(name, _l("Must be between %(low)s and %(high)s.", low=low, high=high))
        for name, (low, high) in (
            ("daily_capacity", (0, DAILY_CAPACITY_MAX)),
            ("hold_limit_minutes", HOLD_LIMIT_RANGE),
            ("reload_trips", RELOAD_TRIPS_RANGE),
            ("load_minutes", LOAD_MINUTES_RANGE),
            ("ready_lead_minutes", READY_LEAD_RANGE),
            ("circle_minutes", CIRCLE_MINUTES_RANGE),
            ("shift_cancel_cutoff_hours", SHIFT_CUTOFF_RANGE),
        ):
            if not low <= getattr(self, name) <= high:
                raise FieldError(name, _l("Must be between %(low)s and %(high)s.", low=low, high=high))
        if self.packing_rate is not None and not PACKING_RATE_RANGE[0] <= self.packing_rate <= PACKING_RATE_RANGE[1]:
            raise FieldError("packing_rate", _l("Must be between %(low)s and %(high)s.", low=PACKING_RATE_RANGE[0],
                                                high=PACKING_RATE_RANGE[1]))
        if self.insulated_hold_minutes is not None and not (
                self.hold_limit_minutes < self.insulated_hold_minutes <= INSULATED_HOLD_RANGE[1]):
            raise FieldError("insulated_hold_minutes", _l("Must be longer than the hot-meal hold limit (%(n)s min) and "
                                                          "at most %(high)s.", n=self.hold_limit_minutes,
                                                          high=INSULATED_HOLD_RANGE[1]))
        if self.trunk_trip_meals is not None and self.trunk_trip_meals < 1:
            raise FieldError("trunk_trip_meals", _l("A trip must carry at least one meal."))
        if self.trunk_trip_meals is not None and self.trunk_trip_meals > TRUNK_TRIP_RANGE[1]:
            raise FieldError("trunk_trip_meals", _l("Must be between %(low)s and %(high)s.", low=TRUNK_TRIP_RANGE[0],
                                                    high=TRUNK_TRIP_RANGE[1]))
        if self.timezone not in known_timezones():
            raise FieldError("timezone", _l("Unknown timezone; use a name like Asia/Shanghai."))
        meals = [w.meal for w in self.windows]
        if len(meals) != len(set(meals)):
            raise FieldError("windows", _l("Each meal may have one window."))
        ordered = sorted(self.windows, key=lambda w: w.start)
        for earlier, later in zip(ordered, ordered[1:]):
            if earlier.overlaps(later):
                raise FieldError(f"{later.meal.value}-start", _l("Overlaps another meal window."))


_SCALARS = (
    "name", "name_zh", "kind", "address", "address_zh", "district", "neighbourhood", "lat", "lon", "phone",
    "daily_capacity", "hold_limit_minutes", "reload_trips", "load_minutes", "packing_rate", "insulated_hold_minutes", "trunk_trip_meals", "ready_lead_minutes", "circle_minutes", "circle_mode", "timezone", "is_active",
    "shift_cancel_cutoff_hours",
)


def data_from_site(site: MealSite) -> dict[str, Any]:
    """The site's editable values, keyed as ``SiteData`` fields (for filling a form)."""
    values = {name: getattr(site, name) for name in _SCALARS}
    values["windows"] = tuple(WindowTimes(w.meal, w.start_time, w.end_time) for w in site.windows)
    return values


# Listing ------------------------------------------------------------------

@dataclass
class SiteListing:
    """One page of sites, with how many seniors and active workers each has."""

    page: Any  # flask_sqlalchemy.pagination.Pagination of MealSite
    seniors: dict[int, int]
    workers: dict[int, int]


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped (escape character ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_sites(user, *, q: str = "", page: int = 1, per_page: int = 25) -> SiteListing:
    """The sites ``user`` may see, matching ``q`` in names, addresses or neighbourhood, by name."""
    query = sites_visible_to(user).options(selectinload(MealSite.windows)).order_by(MealSite.name, MealSite.id)
    q = q.strip()
    if q:
        pattern = like_pattern(q)
        query = query.where(sa.or_(*(
            column.ilike(pattern, escape="\\")
            for column in (MealSite.name, MealSite.name_zh, MealSite.address, MealSite.address_zh,
                           MealSite.neighbourhood)
        )))
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    ids = [site.id for site in result.items]
    return SiteListing(result, _count_by_site(Senior.home_site_id, ids, Senior.is_active),
                       _count_by_site(Worker.home_site_id, ids, Worker.is_active))


def _count_by_site(site_column, site_ids: list[int], active_column) -> dict[int, int]:
    if not site_ids:
        return {}
    rows = db.session.execute(
        sa.select(site_column, sa.func.count())
        .where(site_column.in_(site_ids), active_column.is_(True))
        .group_by(site_column)
    )
    return {site_id: count for site_id, count in rows}


def site_counts(site: MealSite) -> tuple[int, int]:
    """(active seniors homed at ``site``, active workers based there)."""
    return (_count_by_site(Senior.home_site_id, [site.id], Senior.is_active).get(site.id, 0),
            _count_by_site(Worker.home_site_id, [site.id], Worker.is_active).get(site.id, 0))


def can_edit(user, site: MealSite) -> bool:
    """Whether ``user`` may change ``site`` (to show or hide the edit link)."""
    return db.session.scalar(sites_editable_by(user).where(MealSite.id == site.id).limit(1)) is not None


# Changing -----------------------------------------------------------------

def create_site(data: SiteData, *, by) -> MealSite:
    """Store a new site with its meal windows and an audit event; one unit."""
    site = MealSite()
    _apply(site, data)
    db.session.add(site)
    return _commit(site, "site.create", by, None)


def update_site(site: MealSite, data: SiteData, *, by) -> MealSite:
    """Change ``site`` to ``data`` (windows included) and record what changed; one unit."""
    before = data_from_site(site)
    _apply(site, data)
    after = {name: getattr(data, name) for name in _SCALARS} | {"windows": data.windows}
    changed = sorted(name for name in after if _plain(after[name]) != _plain(before[name]))
    return _commit(site, "site.update", by, {"changed": changed})


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return sorted((w.meal.value, w.start.isoformat(), w.end.isoformat()) for w in value)
    return value


def _apply(site: MealSite, data: SiteData) -> None:
    for name in _SCALARS:
        setattr(site, name, getattr(data, name))
    wanted = {w.meal: w for w in data.windows}
    for window in list(site.windows):
        if window.meal not in wanted:
            site.windows.remove(window)
    for meal, times in wanted.items():
        window = site.window_for(meal)
        if window is None:
            site.windows.append(MealWindow(meal=meal, start_time=times.start, end_time=times.end))
        else:
            window.start_time, window.end_time = times.start, times.end


def _name_taken(site: MealSite) -> bool:
    query = sa.select(MealSite.id).where(sa.func.lower(MealSite.name) == site.name.lower())
    if site.id is not None:
        query = query.where(MealSite.id != site.id)
    return db.session.scalar(query.limit(1)) is not None


def _commit(site: MealSite, action: str, by, detail: dict[str, Any] | None) -> MealSite:
    try:
        with db.session.no_autoflush:
            taken = _name_taken(site)
        if taken:
            raise FieldError("name", _l("Another site already has this name."))
        db.session.flush()
        audit.record(action, user=by, entity_type="meal_site", entity_id=site.id, detail=detail)
        db.session.flush()
    except IntegrityError:
        transaction.doom()
        raise FieldError("name", _l("Another site already has this name.")) from None
    return site
