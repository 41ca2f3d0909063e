"""Who may see and change what: the one place that decides, one helper per aggregate.

Every view goes load -> authorise -> act through these helpers, e.g.::

    senior = get_senior_or_404(senior_id, current_user, for_edit=True)

Rules:

* **admin** sees and edits everything;
* **staff** see and edit the seniors, workers and sites of their own sites
  (``StaffSite``), nothing elsewhere;
* **family** see the seniors linked to them (``FamilyLink``), read-only here;
  their requests go through family services, never staff pages;
* **worker** see their own worker record and home site, and the seniors with
  a stop on their routes of a published (or started, or closed) plan today.

Anything a user may not see is a 404, not a 403, so ids do not leak whether a
record exists. The functions take the user explicitly and need no request, so
they are tested directly (``tests/test_access.py``). A user with several roles
gets the union of what each role allows.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealHold
from dispatch.models.plan import Plan, PlanStatus, Route, Stop
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.site import MealSite
from dispatch.models.user import RoleName, StaffSite
from dispatch.models.worker import Worker
from dispatch.platform import audit, clock
from dispatch.platform.validation import id_or_none

F = TypeVar("F", bound=Callable[..., Any])


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "active", True))


def has_role(user, role: RoleName | str) -> bool:
    return _signed_in(user) and user.has_role(str(role))


def is_admin(user) -> bool:
    return has_role(user, RoleName.ADMIN)


def staff_site_ids(user) -> sa.Select:
    """Subquery: the ids of the sites ``user`` manages as staff (empty for non-staff)."""
    if not has_role(user, RoleName.STAFF):
        return sa.select(StaffSite.site_id).where(sa.false())
    query = sa.select(StaffSite.site_id).where(StaffSite.user_id == user.id)
    scope = getattr(user, "site_scope", None)  # an API token limited to some of the account's sites
    if scope is not None:
        query = query.where(StaffSite.site_id.in_(scope))
    return query


def _worker_ids(user) -> sa.Select:
    return sa.select(Worker.id).where(Worker.user_id == user.id)


# Seniors ------------------------------------------------------------------

def seniors_visible_to(user, *, today: date | None = None) -> sa.Select:
    """``select(Senior)`` restricted to the seniors ``user`` may see.

    ``today`` is the service date for workers' routes (default: today in TIMEZONE).
    """
    query = sa.select(Senior)
    if is_admin(user):
        return query
    allowed = []
    if has_role(user, RoleName.STAFF):
        allowed.append(Senior.home_site_id.in_(staff_site_ids(user)))
    if has_role(user, RoleName.FAMILY):
        allowed.append(Senior.id.in_(sa.select(FamilyLink.senior_id).where(FamilyLink.user_id == user.id)))
    if has_role(user, RoleName.WORKER):
        on_my_routes = (
            sa.select(Stop.senior_id)
            .join(Route, Stop.route_id == Route.id)
            .join(Plan, Route.plan_id == Plan.id)
            .where(
                Route.worker_id.in_(_worker_ids(user)),
                Plan.service_date == (today or clock.local_today()),
                Plan.status != PlanStatus.DRAFT,  # drafts are not the worker's business yet
            )
        )
        allowed.append(Senior.id.in_(on_my_routes))
    return query.where(sa.or_(*allowed)) if allowed else query.where(sa.false())


def seniors_editable_by(user) -> sa.Select:
    """``select(Senior)`` restricted to the seniors ``user`` may change on staff pages."""
    query = sa.select(Senior)
    if is_admin(user):
        return query
    if has_role(user, RoleName.STAFF):
        return query.where(Senior.home_site_id.in_(staff_site_ids(user)))
    return query.where(sa.false())


def get_senior_or_404(senior_id: Any, for_user, *, for_edit: bool = False, today: date | None = None,
                      audit_refusal: bool = True) -> Senior:
    """Load a senior ``for_user`` may see (or change, with ``for_edit``), else 404.

    A refusal is written to the audit trail (someone tried to open a file that is not
    theirs); ``audit_refusal=False`` is for code that only asks whether a user could.
    """
    query = seniors_editable_by(for_user) if for_edit else seniors_visible_to(for_user, today=today)
    try:
        return one_or_404(query, Senior.id, senior_id)
    except NotFound:
        if audit_refusal:
            _audit_refusal(for_user, senior_id, for_edit=for_edit)
        raise


def _audit_refusal(user, raw_id: Any, *, for_edit: bool) -> None:
    audit.record_refusal(user=user, senior_id=id_or_none(raw_id), detail={"for_edit": for_edit})


# Enrollments and holds: whoever sees (or edits) the senior ----------------

def enrollments_visible_to(user) -> sa.Select:
    return sa.select(MealEnrollment).where(
        MealEnrollment.senior_id.in_(seniors_visible_to(user).with_only_columns(Senior.id)))


def get_enrollment_or_404(enrollment_id: Any, for_user, *, for_edit: bool = False) -> MealEnrollment:
    seniors = seniors_editable_by(for_user) if for_edit else seniors_visible_to(for_user)
    query = sa.select(MealEnrollment).where(MealEnrollment.senior_id.in_(seniors.with_only_columns(Senior.id)))
    return one_or_404(query, MealEnrollment.id, enrollment_id)


def get_hold_or_404(senior: Senior, hold_id: Any) -> MealHold:
    """A hold of ``senior`` (already authorised by the caller), else 404."""
    return one_or_404(sa.select(MealHold).where(MealHold.senior_id == senior.id), MealHold.id, hold_id)


# Meal sites ---------------------------------------------------------------

def sites_visible_to(user) -> sa.Select:
    """``select(MealSite)`` restricted to the sites ``user`` may see."""
    query = sa.select(MealSite)
    if is_admin(user):
        return query
    allowed = []
    if has_role(user, RoleName.STAFF):
        allowed.append(MealSite.id.in_(staff_site_ids(user)))
    if has_role(user, RoleName.WORKER):
        allowed.append(MealSite.id.in_(sa.select(Worker.home_site_id).where(Worker.user_id == user.id)))
    return query.where(sa.or_(*allowed)) if allowed else query.where(sa.false())


def sites_editable_by(user) -> sa.Select:
    """Staff edit their own sites' settings (windows, capacity); admins every site."""
    query = sa.select(MealSite)
    if is_admin(user):
        return query
    if has_role(user, RoleName.STAFF):
        return query.where(MealSite.id.in_(staff_site_ids(user)))
    return query.where(sa.false())


def get_site_or_404(site_id: Any, for_user, *, for_edit: bool = False) -> MealSite:
    query = sites_editable_by(for_user) if for_edit else sites_visible_to(for_user)
    return one_or_404(query, MealSite.id, site_id)


# Workers ------------------------------------------------------------------

def workers_visible_to(user) -> sa.Select:
    """``select(Worker)``: admins all, staff their sites' workers, a worker themself."""
    query = sa.select(Worker)
    if is_admin(user):
        return query
    allowed = []
    if has_role(user, RoleName.STAFF):
        allowed.append(Worker.home_site_id.in_(staff_site_ids(user)))
    if has_role(user, RoleName.WORKER):
        allowed.append(Worker.id.in_(_worker_ids(user)))
    return query.where(sa.or_(*allowed)) if allowed else query.where(sa.false())


def workers_editable_by(user) -> sa.Select:
    query = sa.select(Worker)
    if is_admin(user):
        return query
    if has_role(user, RoleName.STAFF):
        return query.where(Worker.home_site_id.in_(staff_site_ids(user)))
    return query.where(sa.false())


def get_worker_or_404(worker_id: Any, for_user, *, for_edit: bool = False) -> Worker:
    query = workers_editable_by(for_user) if for_edit else workers_visible_to(for_user)
    return one_or_404(query, Worker.id, worker_id)


def worker_for(user) -> Worker | None:
    """The worker record linked to ``user``'s login, if any."""
    if not _signed_in(user):
        return None
    # With the home site: "today" for the worker's day and stops is that site's date.
    return db.session.scalar(sa.select(Worker).where(Worker.user_id == user.id)
                             .options(joinedload(Worker.home_site)))


# Views --------------------------------------------------------------------

def role_required(*roles: RoleName | str, hide: bool = False) -> Callable[[F], F]:
    """Guard a view: anonymous users go to the login page, other roles get 403.

    ``hide=True`` answers 404 instead, for pages about one person's record
    (a senior's file): other roles must not learn whether that record exists.

    Admins pass every role check (they oversee all areas); name the roles a
    page serves, e.g. ``@role_required("staff")``. Record-level checks still
    go through the ``get_*_or_404`` helpers.
    """
    wanted = {str(r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not _signed_in(current_user):
                return current_app.login_manager.unauthorized()
            if not is_admin(current_user) and not any(current_user.has_role(r) for r in wanted):
                if "senior_id" in kwargs:  # a senior's page: the attempt is on the audit trail
                    _audit_refusal(current_user, kwargs["senior_id"], for_edit=request.method != "GET")
                abort(404 if hide else 403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def one_or_404(query: sa.Select, id_column, raw_id: Any):
    record_id = id_or_none(raw_id)
    if record_id is None:
        raise NotFound()  # PostgreSQL would reject an out-of-range integer with a 500
    record = db.session.scalar(query.where(id_column == record_id))
    if record is None:
        raise NotFound()
    return record
