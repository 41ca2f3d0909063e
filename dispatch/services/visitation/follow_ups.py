"""What a visitor found, turned into work: an owner, a deadline, and a close that names what was done.

``open_for_record`` is called by ``records.record_visit`` inside its transaction: each *concern* opens
one follow-up of the kind the item suggests; each *emergency* raises a high-severity welfare alert at
once (``safety.alerts.raise_alert``) and opens an *urgent alert* follow-up linked to it, due the same
day. Staff then ``assign`` it, may ``open_service_request`` from it, and ``close`` it, which needs
both an action and a note (the database's check backs that). Opening and closing are audited.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.plan import Stop
from dispatch.models.service_request import ServiceRequest, ServiceType
from dispatch.models.user import RoleName, StaffSite, User
from dispatch.models.visitation import CheckItem, CheckStatus, FollowUp, FollowUpKind, FollowUpStatus, VisitRecord
from dispatch.platform import audit, clock
from dispatch.platform.access import is_admin, staff_site_ids
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import id_or_none
from dispatch.services.care import requests as care_requests
from dispatch.services.safety import alerts
from dispatch.services.visitation import tiers

MAX_NOTE = 2000

# What a concern about each item most likely needs; staff may change it by closing with another action.
SUGGESTED_KIND: dict[CheckItem, FollowUpKind] = {
    CheckItem.FOOD: FollowUpKind.MEAL_ENROLLMENT,
    CheckItem.HYGIENE: FollowUpKind.SERVICE_REQUEST,
    CheckItem.HEALTH_MOOD: FollowUpKind.SERVICE_REQUEST,
    CheckItem.MEDICINES: FollowUpKind.SERVICE_REQUEST,
    CheckItem.FAMILY_SUPPORT: FollowUpKind.FAMILY_REFERRAL,
}
KIND_LABELS: dict[FollowUpKind, Any] = {
    FollowUpKind.SERVICE_REQUEST: _l("Arrange a home service"),
    FollowUpKind.FAMILY_REFERRAL: _l("Refer to the family"),
    FollowUpKind.TIER_CHANGE: _l("Change the visiting tier"),
    FollowUpKind.MEAL_ENROLLMENT: _l("Enrol in meals"),
    FollowUpKind.URGENT_ALERT: _l("Urgent alert"),
    FollowUpKind.OTHER: _l("Other follow-up"),
}
# What staff did, as they choose it when closing.
ACTIONS: dict[str, Any] = {
    "service_arranged": _l("A home service was arranged"),
    "meals_enrolled": _l("Enrolled in meals"),
    "family_contacted": _l("The family was contacted"),
    "tier_changed": _l("The visiting tier was changed"),
    "referred": _l("Referred to another agency"),
    "emergency_handled": _l("The emergency was handled"),
    "resolved_on_visit": _l("Resolved on a visit or call"),
    "no_action_needed": _l("No action needed after checking"),
}
STATUS_LABELS: dict[FollowUpStatus, Any] = {FollowUpStatus.OPEN: _l("Open"), FollowUpStatus.CLOSED: _l("Closed")}


def kind_label(value: Any) -> str:
    try:
        return str(KIND_LABELS[FollowUpKind(value)])
    except ValueError:
        return str(value)


def action_label(value: Any) -> str:
    return str(ACTIONS.get(value, value or ""))


def site_owner(site_id: int | None) -> User | None:
    """The site's first active staff member (by when they were given the site); None = the site's queue."""
    if site_id is None:
        return None
    return db.session.scalar(
        sa.select(User).join(StaffSite, StaffSite.user_id == User.id)
        .where(StaffSite.site_id == site_id, User.active.is_(True),
               User.roles.any(name=RoleName.STAFF.value))
        .order_by(StaffSite.id).limit(1)
    )


def deadline_for(status: CheckStatus, tier: int, today: date) -> date:
    """Emergencies the same day; tier 1 the next day; everyone else within three days."""
    if status == CheckStatus.EMERGENCY:
        return today
    return today + timedelta(days=1 if tier == 1 else 3)


def _unresolved_emergency(senior_id: int, stop_id: int | None) -> WelfareAlert | None:
    query = sa.select(WelfareAlert).where(WelfareAlert.kind == AlertKind.VISIT_EMERGENCY,
                                          WelfareAlert.senior_id == senior_id,
                                          WelfareAlert.status != AlertStatus.RESOLVED)
    if stop_id is not None:
        query = query.where(WelfareAlert.stop_id == stop_id)
    return db.session.scalars(query.order_by(WelfareAlert.id.desc()).limit(1)).first()


def open_for_record(record: VisitRecord, *, stop: Stop | None, by, now: datetime) -> list[FollowUp]:
    """One follow-up per concern or emergency in ``record`` (flush only); emergencies raise an alert now."""
    from dispatch.models.notification import NotificationEvent
    from dispatch.services.family import notifications

    senior = record.senior
    items = [(CheckItem(k), v) for k, v in (record.items or {}).items()
             if v.get("status") in (CheckStatus.CONCERN.value, CheckStatus.EMERGENCY.value)]
    if not items:
        return []
    site = stop.route.plan.site if stop is not None else senior.home_site
    today = clock.local_today(site, now)
    tier = tiers.tier_of(senior, today=today).tier
    owner = site_owner(record.site_id)
    opened: list[FollowUp] = []
    notify = []
    for item, value in sorted(items, key=lambda kv: list(CheckItem).index(kv[0])):
        status = CheckStatus(value["status"])
        alert_id = None
        kind = SUGGESTED_KIND.get(item, FollowUpKind.OTHER)
        if status == CheckStatus.EMERGENCY:
            kind = FollowUpKind.URGENT_ALERT
            alert = alerts.raise_alert(AlertKind.VISIT_EMERGENCY, senior=senior, severity=AlertSeverity.HIGH,
                                       stop=stop, now=now, by=by,
                                       detail={"item": item.value, "visit_record_id": record.id})
            if alert is not None:
                if not value.get("confidential"):
                    notify.append(alert)
            else:  # a second emergency on the same visit: the alert already raised covers it
                alert = _unresolved_emergency(senior.id, stop.id if stop is not None else None)
            alert_id = alert.id if alert is not None else None
        follow_up = FollowUp(
            senior_id=senior.id, site_id=record.site_id, visit_record_id=record.id, item=item, kind=kind,
            finding=value.get("note") or "", confidential=bool(value.get("confidential")),
            owner_id=owner.id if owner is not None else None, deadline=deadline_for(status, tier, today),
            status=FollowUpStatus.OPEN, alert_id=alert_id, created_dt=now, created_by_id=getattr(by, "id", None),
        )
        db.session.add(follow_up)
        db.session.flush()
        audit.record("follow_up.open", user=by, entity_type="follow_up", entity_id=follow_up.id,
                     senior_id=senior.id,
                     detail={"item": item.value, "kind": kind.value, "status": status.value,
                             "deadline": follow_up.deadline.isoformat(), "owner_id": follow_up.owner_id,
                             "alert_id": alert_id, "visit_record_id": record.id})
        opened.append(follow_up)
    emitted = []
    for alert in notify:
        emitted += notifications.emit(NotificationEvent.WELFARE_ALERT, senior_id=senior.id,
                                      payload={"alert_id": alert.id, "kind": alert.kind.value})
    if emitted:
        notifications.deliver_after_commit()
    return opened


def close(follow_up: FollowUp, action: Any, note: Any, *, by, now: datetime | None = None) -> FollowUp:
    """Close with what was done and a note, both required (``FieldError`` naming the field); flushes."""
    if follow_up.status == FollowUpStatus.CLOSED:
        raise FieldError("action", _l("This follow-up is already closed."))
    action = (action or "").strip() if isinstance(action, str) else ""
    if not action:
        raise FieldError("action", _l("Choose what was done."))
    if action not in ACTIONS:
        raise FieldError("action", _l("Choose one of the actions listed."))
    note = note.strip() if isinstance(note, str) else ""
    if not note:
        raise FieldError("close_note", _l("Write a note on what was done."))
    if len(note) > MAX_NOTE:
        raise FieldError("close_note", _l("Keep the note under %(n)s characters.", n=MAX_NOTE))
    if "\x00" in note:
        raise FieldError("close_note", _l("Contains characters that are not allowed."))
    follow_up.status = FollowUpStatus.CLOSED
    follow_up.action, follow_up.close_note = action, note
    follow_up.closed_dt = now or clock.now()
    follow_up.closed_by_id = getattr(by, "id", None)
    db.session.flush()
    audit.record("follow_up.close", user=by, entity_type="follow_up", entity_id=follow_up.id,
                 senior_id=follow_up.senior_id, detail={"action": action})
    return follow_up


def assign(follow_up: FollowUp, owner: User | None, *, by) -> FollowUp:
    """Give the follow-up to a staff member of its site (None: back to the site's queue); flushes."""
    if owner is not None:
        manages = db.session.scalar(sa.select(StaffSite.id).where(StaffSite.user_id == owner.id,
                                                                  StaffSite.site_id == follow_up.site_id))
        if manages is None or not owner.active:
            raise FieldError("owner_id", _l("Choose a staff member of this site."))
    follow_up.owner_id = owner.id if owner is not None else None
    db.session.flush()
    audit.record("follow_up.assign", user=by, entity_type="follow_up", entity_id=follow_up.id,
                 senior_id=follow_up.senior_id, detail={"owner_id": follow_up.owner_id})
    return follow_up


def site_staff(site_id: int | None) -> list[User]:
    """Who a follow-up of ``site_id`` may be given to."""
    if site_id is None:
        return []
    return list(db.session.scalars(
        sa.select(User).join(StaffSite, StaffSite.user_id == User.id)
        .where(StaffSite.site_id == site_id, User.active.is_(True)).order_by(User.display_name, User.id)
    ))


def open_service_request(follow_up: FollowUp, service_type: Any, *, day: date, start: time = time(9),
                         end: time = time(12), duration: int = 60, notes: str = "", by,
                         today: date | None = None) -> ServiceRequest:
    """Ask a home service for the follow-up's senior through the care service, and link it; flushes."""
    try:
        service_type = ServiceType(service_type)
    except ValueError:
        raise FieldError("service_type", _l("Choose a service.")) from None
    if service_type == ServiceType.HOME_VISITATION:
        raise FieldError("service_type", _l("Choose a service."))
    if follow_up.status == FollowUpStatus.CLOSED:
        raise FieldError("service_type", _l("This follow-up is already closed."))
    request = care_requests.create_request(follow_up.senior, service_type=service_type, day=day, start=start,
                                           end=end, duration=duration, notes=notes, by=by, today=today)
    follow_up.service_request_id = request.id
    db.session.flush()
    audit.record("follow_up.service_request", user=by, entity_type="follow_up", entity_id=follow_up.id,
                 senior_id=follow_up.senior_id, detail={"service_request_id": request.id})
    return request


# Reading, for the staff pages ----------------------------------------------------------

def for_sites(site_ids: sa.Select | list[int] | None, *, include_closed: bool = True,
              limit: int = 300) -> list[FollowUp]:
    """Follow-ups of the given sites (None: every site), open first, then by deadline."""
    query = sa.select(FollowUp)
    if site_ids is not None:
        query = query.where(FollowUp.site_id.in_(site_ids))
    if not include_closed:
        query = query.where(FollowUp.status == FollowUpStatus.OPEN)
    query = query.order_by(sa.case((FollowUp.status == FollowUpStatus.OPEN, 0), else_=1),
                           FollowUp.deadline, FollowUp.id).limit(limit)
    return list(db.session.scalars(query))


def is_overdue(follow_up: FollowUp, today: date) -> bool:
    return follow_up.status == FollowUpStatus.OPEN and follow_up.deadline < today


def _of_my_sites_or_404(model, row_id: Any, user):
    found_id = id_or_none(row_id)
    if found_id is None:
        raise NotFound()
    query = sa.select(model).where(model.id == found_id)
    if not is_admin(user):
        query = query.where(model.site_id.in_(staff_site_ids(user)))
    row = db.session.scalar(query)
    if row is None:
        raise NotFound()
    return row


def get_follow_up_or_404(follow_up_id: Any, user) -> FollowUp:
    """A follow-up of a site ``user`` manages (admins: any), else 404 (staff of another site included)."""
    return _of_my_sites_or_404(FollowUp, follow_up_id, user)


def get_record_or_404(record_id: Any, user) -> VisitRecord:
    """A visit record of a site ``user`` manages (admins: any), else 404."""
    return _of_my_sites_or_404(VisitRecord, record_id, user)
