"""Seniors on staff pages: search, read (audited), create, update, deactivate.

Each use case validates its input and the user's right to the chosen home
site, writes one audit event naming the changed fields (never their values)
and commits once; on any error nothing is written. Views map ``FieldError``
to a field's message and ``StaleRecord`` to HTTP 409.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealHold, MealOrder
from dispatch.models.senior import (
    Diet,
    EmergencyContact,
    Gender,
    Mobility,
    Senior,
    SeniorCategory,
    SeniorCategoryType,
)
from dispatch.models.service_request import ServiceRequest
from dispatch.models.site import MealSite
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import is_admin, seniors_visible_to, sites_editable_by
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.fields import clean_phone, clean_text
from dispatch.platform.validation import is_id
from dispatch.services.coverage.homes import nearest_site_with_room

MAX_CONTACTS = 3
MIN_AGE, MAX_AGE = 50, 120


def age_on(born: date, day: date) -> int:
    return day.year - born.year - (0 if (day.month, day.day) >= (born.month, born.day) else 1)


def _enum(enum_cls, value: Any, name: str, *, required: bool = True):
    if value in (None, "") and not required:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        raise FieldError(name, _("Not a valid choice.")) from None


@dataclass(frozen=True)
class ContactData:
    name: str
    relation: str
    phone: str


@dataclass(frozen=True)
class SeniorData:
    """A senior's editable facts, checked where they are built (see ``from_mapping``)."""

    full_name: str
    date_of_birth: date
    address: str
    full_name_zh: str | None = None
    gender: Gender | None = None
    phone: str | None = None
    address_zh: str | None = None
    neighbourhood: str | None = None
    lat: float | None = None
    lon: float | None = None
    lives_alone: bool = False
    mobility: Mobility = Mobility.INDEPENDENT
    diet: Diet = Diet.REGULAR
    allergies: str | None = None
    access_notes: str = ""
    home_site_id: int | None = None
    categories: frozenset[SeniorCategoryType] = frozenset()
    contacts: tuple[ContactData, ...] = field(default_factory=tuple)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, today: date) -> SeniorData:
        """Build from form-like data; raise ``FieldError`` for the first bad field."""
        born = data.get("date_of_birth")
        if not isinstance(born, date) or isinstance(born, datetime):
            raise FieldError("date_of_birth", _("Enter a date as YYYY-MM-DD."))
        if born >= today:
            raise FieldError("date_of_birth", _("The date of birth must be in the past."))
        if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
            raise FieldError("date_of_birth", _("Age must be between %(lo)s and %(hi)s.", lo=MIN_AGE, hi=MAX_AGE))
        lat, lon = data.get("lat"), data.get("lon")
        for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if value is None:
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value) or not -limit <= value <= limit:
                raise FieldError(name, _("Must be a number between %(lo)s and %(hi)s.", lo=-limit, hi=limit))
        if (lat is None) != (lon is None):
            raise FieldError("lon" if lon is None else "lat", _("Give both latitude and longitude, or neither."))
        site_id = data.get("home_site_id")
        if site_id in ("", 0):
            site_id = None
        if site_id is not None:
            try:
                site_id = int(site_id)
            except (TypeError, ValueError):
                raise FieldError("home_site_id", _("Not a valid choice.")) from None
        try:
            categories = frozenset(SeniorCategoryType(c) for c in data.get("categories") or ())
        except ValueError:
            raise FieldError("categories", _("Not a valid choice.")) from None
        contacts = []
        for i, raw in enumerate(list(data.get("contacts") or ())[:MAX_CONTACTS]):
            raw = raw or {}
            if i > 0 and not any(str(raw.get(k) or "").strip() for k in ("name", "relation", "phone")):
                continue  # an empty optional contact row
            prefix = f"contacts-{i}-"
            contacts.append(ContactData(
                name=clean_text(raw.get("name"), prefix + "name", required=True, limit=120),
                relation=clean_text(raw.get("relation"), prefix + "relation", required=True, limit=60),
                phone=clean_phone(raw.get("phone"), prefix + "phone", required=True),
            ))
        if not contacts:
            raise FieldError("contacts-0-name", _("At least one emergency contact is required."))
        return cls(
            full_name=clean_text(data.get("full_name"), "full_name", required=True),
            full_name_zh=clean_text(data.get("full_name_zh"), "full_name_zh"),
            gender=_enum(Gender, data.get("gender"), "gender", required=False),
            date_of_birth=born,
            phone=clean_phone(data.get("phone"), "phone"),
            address=clean_text(data.get("address"), "address", required=True),
            address_zh=clean_text(data.get("address_zh"), "address_zh"),
            neighbourhood=clean_text(data.get("neighbourhood"), "neighbourhood"),
            lat=None if lat is None else float(lat),
            lon=None if lon is None else float(lon),
            lives_alone=bool(data.get("lives_alone")),
            mobility=_enum(Mobility, data.get("mobility") or Mobility.INDEPENDENT, "mobility"),
            diet=_enum(Diet, data.get("diet") or Diet.REGULAR, "diet"),
            allergies=clean_text(data.get("allergies"), "allergies"),
            access_notes=clean_text(data.get("access_notes"), "access_notes") or "",
            home_site_id=site_id,
            categories=categories,
            contacts=tuple(contacts),
        )


_SCALARS = ("full_name", "full_name_zh", "gender", "date_of_birth", "phone", "address", "address_zh",
            "neighbourhood", "lat", "lon", "lives_alone", "mobility", "diet", "allergies", "access_notes",
            "home_site_id")


def _check_site(site_id: int | None, by) -> None:
    """The chosen home site must be one ``by`` may edit; staff must choose one."""
    if site_id is None:
        if not is_admin(by):
            raise FieldError("home_site_id", _("Choose one of your sites."))
        return
    allowed = is_id(site_id) and db.session.scalar(
        sites_editable_by(by).with_only_columns(MealSite.id).where(MealSite.id == site_id))
    if not allowed:
        raise FieldError("home_site_id", _("You may not assign seniors to this site."))


def apply_data(senior: Senior, values: SeniorData) -> list[str]:
    """Copy ``values`` onto ``senior``; return the names of the fields that changed."""
    changed = []
    for name in _SCALARS:
        new = getattr(values, name)
        if getattr(senior, name) != new:
            setattr(senior, name, new)
            changed.append(name)
    if senior.category_values != set(values.categories):
        keep = [c for c in senior.categories if c.category in values.categories]
        have = {c.category for c in keep}
        senior.categories = keep + [SeniorCategory(category=c) for c in sorted(values.categories - have)]
        changed.append("categories")
    old = [(c.name, c.relation, c.phone) for c in senior.contacts]
    new = [(c.name, c.relation, c.phone) for c in values.contacts]
    if old != new:
        senior.contacts = [EmergencyContact(name=n, relation=r, phone=p, priority=i)
                           for i, (n, r, p) in enumerate(new, start=1)]
        changed.append("contacts")
    return changed


def _data(data: Mapping[str, Any] | SeniorData) -> SeniorData:
    return data if isinstance(data, SeniorData) else SeniorData.from_mapping(data, today=clock.local_today())


def default_home_site(values: SeniorData, *, by) -> MealSite | None:
    """The nearest active site ``by`` may edit that still has room for one more senior (None: all full)."""
    sites = db.session.scalars(sites_editable_by(by).where(MealSite.is_active.is_(True)).order_by(MealSite.id))
    return nearest_site_with_room(sites, values.lat, values.lon)


def create_senior(data: Mapping[str, Any] | SeniorData, *, by) -> Senior:
    """Create a senior at a site ``by`` may edit; audit ``senior.create``; one unit.

    No home site chosen means "the nearest site with room" (``default_home_site``),
    stored as the assignment's choice, not as a staff override, so the district's
    next assignment may move them; a site chosen by hand is an override. When every
    site is full an administrator's senior waits without a home site; staff must choose.
    """
    values = _data(data)
    chosen = values.home_site_id is not None
    if chosen:
        _check_site(values.home_site_id, by)
    else:
        site = default_home_site(values, by=by)
        if site is None and not is_admin(by):
            raise FieldError("home_site_id", _("Every one of your sites is full; choose the home site yourself."))
        values = replace(values, home_site_id=site.id if site is not None else None)
    senior = Senior()
    changed = apply_data(senior, values)
    senior.home_site_overridden = chosen
    db.session.add(senior)
    db.session.flush()
    audit.record("senior.create", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id,
                 detail={"fields": sorted(changed)})
    db.session.flush()
    return senior


def update_senior(senior: Senior, data: Mapping[str, Any] | SeniorData, *, by, expected_version: Any) -> list[str]:
    """Change a senior ``by`` may edit, if nobody saved since ``expected_version``.

    Returns the changed field names (audited as ``senior.update``); raises
    ``StaleRecord`` on a version mismatch, ``FieldError`` on bad input.
    """
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise StaleRecord() from None
    if expected != senior.version:
        raise StaleRecord()
    values = _data(data)
    if values.home_site_id != senior.home_site_id:  # unchanged: the edit check already covered it
        _check_site(values.home_site_id, by)
    try:
        changed = apply_data(senior, values)
        if "home_site_id" in changed:
            senior.home_site_overridden = senior.home_site_id is not None
        if changed:
            db.session.flush()
            audit.record("senior.update", user=by, entity_type="senior", entity_id=senior.id,
                         senior_id=senior.id, detail={"fields": sorted(changed)})
        db.session.flush()
    except StaleDataError:
        transaction.doom()
        raise StaleRecord() from None
    return changed


def deactivate_senior(senior: Senior, *, by) -> None:
    """Retire a senior (soft delete): kept for history, left out of plans and lists."""
    if not senior.is_active:
        return
    senior.is_active = False
    db.session.flush()
    audit.record("senior.deactivate", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id)
    db.session.flush()


# Reading -----------------------------------------------------------------

@dataclass(frozen=True)
class SeniorFilters:
    """List filters; invalid values are dropped by the form before they get here."""

    site_id: int | None = None
    lives_alone: bool | None = None
    diet: Diet | None = None
    status: str = "active"  # active, inactive, all


def search_seniors(user, q: str | None, filters: SeniorFilters | None = None) -> sa.Select:
    """``select(Senior)`` among those ``user`` may see, matching ``q`` and ``filters``, by name.

    ``q`` matches either name, the address (either script) or neighbourhood,
    or, when it has 3+ digits, the end of the phone number.
    """
    filters = filters or SeniorFilters()
    query = seniors_visible_to(user)
    text = (q or "").replace("\x00", "").strip()[:100]
    if text:
        like = [getattr(Senior, col).icontains(text, autoescape=True)
                for col in ("full_name", "full_name_zh", "address", "address_zh", "neighbourhood")]
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) >= 3 and len(digits) >= len(text.replace(" ", "").replace("-", "").replace("+", "")):
            bare = sa.func.replace(sa.func.replace(sa.func.replace(Senior.phone, " ", ""), "-", ""), "+", "")
            like.append(bare.endswith(digits, autoescape=True))
        query = query.where(sa.or_(*like))
    if filters.site_id is not None:
        query = query.where(Senior.home_site_id == filters.site_id)
    if filters.lives_alone is not None:
        query = query.where(Senior.lives_alone.is_(filters.lives_alone))
    if filters.diet is not None:
        query = query.where(Senior.diet == filters.diet)
    if filters.status == "active":
        query = query.where(Senior.is_active.is_(True))
    elif filters.status == "inactive":
        query = query.where(Senior.is_active.is_(False))
    return query.order_by(Senior.full_name, Senior.id)


@dataclass(frozen=True)
class SeniorOverview:
    """What the detail page shows about one senior."""

    senior: Senior
    age: int
    timezone: str
    updated_local: datetime
    enrollments: list[MealEnrollment]
    holds: list[MealHold]
    recent_orders: list[MealOrder]
    service_requests: list[ServiceRequest]


def record_listed(seniors, *, by, source: str) -> None:
    """Audit one ``senior.list`` event for a page of seniors shown (``source``: which page); ids only."""
    audit.record_list("senior.list", user=by, entity_type="senior", entity_id=None,
                      senior_ids=[s.id for s in seniors], detail={"source": source})


def record_form_read(senior: Senior, *, by) -> None:
    """Audit that the edit form showed ``senior``'s record (``senior.read`` with ``form``)."""
    audit.record("senior.read", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id,
                 detail={"form": "edit"})


def read_senior(senior: Senior, *, by, recent: int = 20) -> SeniorOverview:
    """Everything staff see about ``senior``; records ``senior.read`` and commits it."""
    today = clock.local_today()
    tz = (senior.home_site.timezone if senior.home_site else None) or current_app.config.get("TIMEZONE", "UTC")
    overview = SeniorOverview(
        senior=senior,
        age=age_on(senior.date_of_birth, today),
        timezone=tz,
        updated_local=clock.local(senior.updated_dt, clock.zone_named(tz)),
        enrollments=list(db.session.scalars(
            sa.select(MealEnrollment).where(MealEnrollment.senior_id == senior.id)
            .order_by(MealEnrollment.is_active.desc(), MealEnrollment.start_date.desc()))),
        holds=list(db.session.scalars(
            sa.select(MealHold).where(MealHold.senior_id == senior.id).order_by(MealHold.start_date.desc())
            .limit(recent))),
        recent_orders=list(db.session.scalars(
            sa.select(MealOrder).where(MealOrder.senior_id == senior.id)
            .order_by(MealOrder.service_date.desc(), MealOrder.id.desc()).limit(recent))),
        service_requests=list(db.session.scalars(
            sa.select(ServiceRequest).where(ServiceRequest.senior_id == senior.id)
            .order_by(ServiceRequest.requested_date.desc(), ServiceRequest.id.desc()).limit(recent))),
    )
    audit.record("senior.read", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id)
    db.session.flush()
    return overview
