"""Village points: add and change a kitchen's village meal points, refusing one no car can reach in time.

A point is in reach when a car from its kitchen gets there, and the boxes are handed over, within the
kitchen's insulated hold limit (its hot hold limit when it sets none): a batch must still leave time for
the last stretch, so the check is the least a point needs, not a promise of every door.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.site import MealSite
from dispatch.models.village import VillagePoint, VillagePointKind
from dispatch.platform import audit
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import shown_name
from dispatch.services.rural.travel import county_travel

SEATS_MAX = 500
UNLOAD_RANGE = (0, 60)


def hold_minutes(site: MealSite) -> int:
    """Minutes a county meal may spend from the car leaving the kitchen to the table or the door."""
    return site.insulated_hold_minutes or site.hold_limit_minutes


def car_minutes(site: MealSite, lat: float, lon: float) -> int:
    """Minutes by car from the kitchen to a place, on the county's travel model."""
    seconds = county_travel().seconds(routing.Location(site.lat, site.lon), routing.Location(lat, lon), "car")
    return math.ceil(seconds / 60)


def check_reach(site: MealSite, name: str, lat: float, lon: float, unload_minutes: int, *, field: str = "lat") -> None:
    """FieldError when no car from ``site`` can hand a batch over at the place within the hold limit."""
    minutes = car_minutes(site, lat, lon) + unload_minutes
    limit = hold_minutes(site)
    if minutes > limit:
        raise FieldError(field, _("No kitchen in reach of %(point)s: %(minutes)s min by car from %(kitchen)s and "
                                  "unloading, beyond the hold limit of %(limit)s min.", point=name, minutes=minutes,
                                  kitchen=shown_name(site), limit=limit))


@dataclass(frozen=True)
class PointData:
    """Everything staff set on a village point (checked where it is built)."""

    name: str
    kind: VillagePointKind
    address: str
    lat: float
    lon: float
    name_zh: str | None = None
    address_zh: str | None = None
    dine_in: bool = False
    seats: int | None = None
    unload_minutes: int = 5

    def __post_init__(self) -> None:
        if not (self.name or "").strip():
            raise FieldError("name", _("This field is required."))
        if not (self.address or "").strip():
            raise FieldError("address", _("This field is required."))
        try:
            VillagePointKind(self.kind)
        except ValueError:
            raise FieldError("kind", _("Choose a happiness home, a village committee or a shop.")) from None
        for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
                raise FieldError(name, _("Must be between %(low)s and %(high)s.", low=low, high=high))
        if self.dine_in:
            if self.seats is None or not 1 <= self.seats <= SEATS_MAX:
                raise FieldError("seats", _("A point where seniors dine needs its seats (1 to %(max)s).", max=SEATS_MAX))
        elif self.seats is not None:
            raise FieldError("seats", _("Seats are for a point where seniors dine."))
        if not UNLOAD_RANGE[0] <= self.unload_minutes <= UNLOAD_RANGE[1]:
            raise FieldError("unload_minutes", _("Must be between %(low)s and %(high)s.", low=UNLOAD_RANGE[0],
                                                 high=UNLOAD_RANGE[1]))


def points_of(site: MealSite, *, active_only: bool = True) -> list[VillagePoint]:
    query = sa.select(VillagePoint).where(VillagePoint.site_id == site.id)
    if active_only:
        query = query.where(VillagePoint.is_active.is_(True))
    return list(db.session.scalars(query.order_by(VillagePoint.name)))


def save_point(site: MealSite, data: PointData, *, by, point: VillagePoint | None = None) -> VillagePoint:
    """Add (or change) a village point of ``site``; refuses a taken name and a point out of every car's reach."""
    check_reach(site, data.name, data.lat, data.lon, data.unload_minutes)
    taken = db.session.scalar(sa.select(VillagePoint.id).where(
        VillagePoint.site_id == site.id, VillagePoint.name == data.name.strip()))
    if taken is not None and (point is None or taken != point.id):
        raise FieldError("name", _("This kitchen already has a village point of that name."))
    if point is None:
        point = VillagePoint(site_id=site.id)
        db.session.add(point)
    point.name, point.name_zh = data.name.strip(), (data.name_zh or None)
    point.kind, point.address, point.address_zh = VillagePointKind(data.kind), data.address.strip(), data.address_zh
    point.lat, point.lon, point.dine_in, point.seats = data.lat, data.lon, data.dine_in, data.seats
    point.unload_minutes = data.unload_minutes
    db.session.flush()
    audit.record("village_point.save", user=by, entity_type="village_point", entity_id=point.id,
                 detail={"site": site.id})
    return point


def count_points(site: MealSite) -> int:
    """Active village points of ``site`` (the site page's link)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(VillagePoint).where(
        VillagePoint.site_id == site.id, VillagePoint.is_active.is_(True))) or 0


def set_active(point: VillagePoint, active: bool, *, by) -> bool:
    """Deactivate (or bring back) a point; False when it already was. A point a car cannot reach (its
    kitchen's limit tightened since) is not brought back. Seniors and volunteers keep their point: an
    inactive point is left out of county plans, and their edit forms offer only the active ones."""
    if point.is_active == active:
        return False
    if active:
        check_reach(point.site, point.name, point.lat, point.lon, point.unload_minutes)
    point.is_active = active
    db.session.flush()
    audit.record("village_point.activate" if active else "village_point.deactivate", user=by,
                 entity_type="village_point", entity_id=point.id, detail={"site": point.site_id})
    return True


def point_choices_for(site: MealSite | None, current: VillagePoint | None = None) -> list[VillagePoint]:
    """The points a senior's or volunteer's form offers: the site's active ones, and the one on record."""
    points = points_of(site) if site is not None else []
    if current is not None and current not in points:
        points.append(current)
    return points


def _check_point_for(point_id: int | None, site_id: int | None, current_id: int | None) -> None:
    if point_id is None or point_id == current_id:
        return
    point = db.session.get(VillagePoint, point_id)
    if point is None or not point.is_active:
        raise FieldError("village_point_id", _("Choose an active village point."))
    if point.site_id != site_id:
        raise FieldError("village_point_id", _("The village point must be one of the home site's."))


def set_senior_point(senior, point_id: int | None, *, by) -> bool:
    """Set the village point a senior gets meals through (None: none); checked against their home site."""
    return _set_point(senior, point_id, by=by, entity_type="senior", senior_id=senior.id)


def set_worker_point(worker, point_id: int | None, *, by) -> bool:
    """Make a worker the walking volunteer of a village point (None: none); checked against their home site."""
    return _set_point(worker, point_id, by=by, entity_type="worker")


def _set_point(record, point_id: int | None, *, by, entity_type: str, **audit_kw) -> bool:
    """A senior's or a worker's village point, which must be an active point of their home site; audited as
    ``<entity_type>.village_point``. False when nothing changed."""
    if point_id == record.village_point_id:
        if point_id is not None and record.village_point.site_id != record.home_site_id:
            raise FieldError("village_point_id", _("The village point must be one of the home site's."))
        return False
    _check_point_for(point_id, record.home_site_id, record.village_point_id)
    record.village_point_id = point_id
    db.session.flush()
    audit.record(f"{entity_type}.village_point", user=by, entity_type=entity_type, entity_id=record.id,
                 detail={"village_point": point_id}, **audit_kw)
    return True
