"""Meal enrollments and holds: who gets which meal from which site, and the pauses.

Same contract as the senior service: validate (including the user's right to
the senior and the site), audit, commit once; ``FieldError`` names the field.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealHold, MealMode, weekdays_to_mask
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite, MealType
from dispatch.platform import audit, clock
from dispatch.platform.access import (
    enrollments_visible_to,
    get_senior_or_404,
    sites_editable_by,
)
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import parse_id


@dataclass(frozen=True)
class EnrollmentFilters:
    site_id: int | None = None
    meal: MealType | None = None
    mode: MealMode | None = None
    active: bool | None = True


def search_enrollments(user, filters: EnrollmentFilters | None = None) -> sa.Select:
    """Enrollments ``user`` may see, filtered, by senior name."""
    f = filters or EnrollmentFilters()
    query = enrollments_visible_to(user).join(MealEnrollment.senior)
    if f.site_id is not None:
        query = query.where(MealEnrollment.site_id == f.site_id)
    if f.meal is not None:
        query = query.where(MealEnrollment.meal == f.meal)
    if f.mode is not None:
        query = query.where(MealEnrollment.mode == f.mode)
    if f.active is not None:
        query = query.where(MealEnrollment.is_active.is_(f.active))
    return query.order_by(Senior.full_name, MealEnrollment.start_date, MealEnrollment.id)


# Enrollments ----------------------------------------------------------------

@dataclass(frozen=True)
class EnrollmentData:
    """A checked enrollment: the period is ordered and the weekdays are a valid mask."""

    senior_id: int
    site_id: int
    meal: MealType
    weekdays: int
    mode: MealMode
    start_date: date
    end_date: date | None
    is_active: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EnrollmentData:
        ids = {}
        for name in ("senior_id", "site_id"):
            ids[name] = parse_id(data.get(name), name)
        try:
            meal, mode = MealType(data.get("meal")), MealMode(data.get("mode"))
        except ValueError:
            raise FieldError("meal" if data.get("meal") not in set(MealType) else "mode", _("Not a valid choice.")) from None
        try:
            mask = weekdays_to_mask([int(d) for d in data.get("weekdays") or ()])
        except (TypeError, ValueError):
            raise FieldError("weekdays", _("Not a valid choice.")) from None
        if not mask:
            raise FieldError("weekdays", _("Choose at least one weekday."))
        start, end = data.get("start_date"), data.get("end_date")
        if not isinstance(start, date) or isinstance(start, datetime):
            raise FieldError("start_date", _("Enter a date as YYYY-MM-DD."))
        if end is not None and (not isinstance(end, date) or isinstance(end, datetime)):
            raise FieldError("end_date", _("Enter a date as YYYY-MM-DD."))
        if end is not None and end < start:
            raise FieldError("end_date", _("The last day cannot be before the first day."))
        return cls(senior_id=ids["senior_id"], site_id=ids["site_id"], meal=meal, weekdays=mask, mode=mode,
                   start_date=start, end_date=end, is_active=bool(data.get("is_active", True)))


def _check(values: EnrollmentData, *, by, exclude_id: int | None = None) -> None:
    """The senior and site are the user's, the site serves the meal, no overlapping twin."""
    try:
        get_senior_or_404(values.senior_id, by, for_edit=True, audit_refusal=False)
    except NotFound:
        raise FieldError("senior_id", _("No senior with this number among yours.")) from None
    site = db.session.scalar(sites_editable_by(by).where(MealSite.id == values.site_id))
    if site is None:
        raise FieldError("site_id", _("You may not enroll seniors at this site."))
    if site.window_for(values.meal) is None:
        raise FieldError("meal", _("This site does not serve this meal; choose another meal or site."))
    if not values.is_active:
        return
    overlap = sa.select(MealEnrollment.id).where(
        MealEnrollment.senior_id == values.senior_id,
        MealEnrollment.meal == values.meal,
        MealEnrollment.is_active.is_(True),
        sa.or_(MealEnrollment.end_date.is_(None), MealEnrollment.end_date >= values.start_date),
    )
    if values.end_date is not None:
        overlap = overlap.where(MealEnrollment.start_date <= values.end_date)
    if exclude_id is not None:
        overlap = overlap.where(MealEnrollment.id != exclude_id)
    if db.session.scalar(overlap.limit(1)) is not None:
        raise FieldError(None, _("This senior already has an active enrollment for this meal in these dates."))


_FIELDS = ("senior_id", "site_id", "meal", "weekdays", "mode", "start_date", "end_date", "is_active")


def create_enrollment(data: Mapping[str, Any] | EnrollmentData, *, by) -> MealEnrollment:
    """Enroll a senior; audit ``enrollment.create``; one unit."""
    values = data if isinstance(data, EnrollmentData) else EnrollmentData.from_mapping(data)
    _check(values, by=by)
    enrollment = MealEnrollment(**{name: getattr(values, name) for name in _FIELDS})
    db.session.add(enrollment)
    db.session.flush()
    audit.record("enrollment.create", user=by, entity_type="meal_enrollment", entity_id=enrollment.id,
                 senior_id=enrollment.senior_id, detail={"fields": sorted(_FIELDS)})
    db.session.flush()
    return enrollment


def update_enrollment(enrollment: MealEnrollment, data: Mapping[str, Any] | EnrollmentData, *, by) -> list[str]:
    """Change an enrollment the user may edit; returns (and audits) the changed field names."""
    values = data if isinstance(data, EnrollmentData) else EnrollmentData.from_mapping(data)
    _check(values, by=by, exclude_id=enrollment.id)
    changed = [name for name in _FIELDS if getattr(enrollment, name) != getattr(values, name)]
    for name in changed:
        setattr(enrollment, name, getattr(values, name))
    if changed:
        db.session.flush()
        audit.record("enrollment.update", user=by, entity_type="meal_enrollment", entity_id=enrollment.id,
                     senior_id=enrollment.senior_id, detail={"fields": changed})
    db.session.flush()
    return changed


# Holds ----------------------------------------------------------------------

def add_hold(senior: Senior, data: Mapping[str, Any], *, by) -> MealHold:
    """Pause the senior's meals from ``start_date`` to ``end_date`` (both included).

    ``away`` (true): the senior is not at home then, so planning leaves their visits out too.
    """
    start, end = data.get("start_date"), data.get("end_date")
    for name, value in (("start_date", start), ("end_date", end)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise FieldError(name, _("Enter a date as YYYY-MM-DD."))
    if end < start:
        raise FieldError("end_date", _("The hold cannot end before it starts."))
    reason = str(data.get("reason") or "").strip()
    if not reason:
        raise FieldError("reason", _("This field is required."))
    if "\x00" in reason:
        raise FieldError("reason", _("Contains characters that are not allowed."))
    if len(reason) > 255:
        raise FieldError("reason", _("At most %(n)s characters.", n=255))
    hold = MealHold(senior_id=senior.id, start_date=start, end_date=end, reason=reason,
                    away=bool(data.get("away")), created_by_id=getattr(by, "id", None))
    db.session.add(hold)
    db.session.flush()
    audit.record("hold.create", user=by, entity_type="meal_hold", entity_id=hold.id, senior_id=senior.id)
    db.session.flush()
    return hold


def end_hold(hold: MealHold, *, by, today: date | None = None) -> MealHold | None:
    """End a hold early: meals resume tomorrow; a hold not yet started is removed.

    Returns the shortened hold, or None when it was removed.
    """
    today = today or clock.local_today()
    if hold.end_date <= today:
        raise FieldError(None, _("This hold has already ended."))
    if hold.start_date > today:
        db.session.delete(hold)
        action, result = "hold.cancel", None
    else:
        hold.end_date = today
        action, result = "hold.end", hold
    db.session.flush()
    audit.record(action, user=by, entity_type="meal_hold", entity_id=hold.id, senior_id=hold.senior_id)
    db.session.flush()
    return result
