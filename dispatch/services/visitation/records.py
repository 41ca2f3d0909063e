"""The visitor's record from the phone: seen or not, the checklist, their own words; and what it sets off.

``record_visit(stop, payload, by=..., now=...)`` is the one use case behind the record form of a
home-visitation stop. Like the one-tap outcomes (``services.rounds.outcomes``) it is built for phones
that lose signal and retry:

* **Idempotent.** The phone sends a ``client_id``; the first request stores a ``VisitRecord`` with its
  answer in ``result``, a replay gets that answer back and changes nothing (the UNIQUE constraint
  decides a race, the loser reads the winner's row).
* **The server's clock is the proof.** The record, the contact and the stop's outcome are timed by
  the receipt; the phone's time is kept as a claim only.
* **Through the existing paths.** Seen: the stop's outcome is *completed* and a home-visit contact is
  recorded (closing the due visit it satisfies). Not seen: the stop's outcome is *not home*, recorded
  through ``outcomes.record`` so the welfare ladder that exists for meals runs (an alert for a senior
  who lives alone). Each concern opens a follow-up, each emergency raises an urgent alert at once
  (``services.visitation.follow_ups``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models.outcome import StopEventKind
from dispatch.models.plan import Stop, StopKind, StopOutcome
from dispatch.models.service_request import ServiceType
from dispatch.models.visitation import CheckItem, CheckStatus, ContactKind, DueStatus, DueVisit, VisitRecord
from dispatch.platform import audit, clock, transaction
from dispatch.platform.errors import FieldError
from dispatch.services.rounds import outcomes
from dispatch.services.visitation import contacts, follow_ups

Clock = Callable[[], datetime]
MAX_ITEM_NOTE = 500
MAX_NOTES = 2000

ITEM_LABELS: dict[CheckItem, Any] = {
    CheckItem.HEALTH_MOOD: _l("Health and mood"),
    CheckItem.FOOD: _l("Food in the house"),
    CheckItem.MEDICINES: _l("Medicines"),
    CheckItem.FALLS: _l("Falls and trip hazards"),
    CheckItem.GAS_FIRE: _l("Gas and fire safety"),
    CheckItem.HEATING_COOLING: _l("Heating and cooling"),
    CheckItem.HYGIENE: _l("Hygiene"),
    CheckItem.ABUSE_NEGLECT: _l("Signs of abuse or neglect"),
    CheckItem.FAMILY_SUPPORT: _l("Family support"),
    CheckItem.NEEDS: _l("Other needs"),
}
STATUS_LABELS: dict[CheckStatus, Any] = {
    CheckStatus.FINE: _l("Fine"),
    CheckStatus.CONCERN: _l("Concern"),
    CheckStatus.EMERGENCY: _l("Emergency"),
}


def item_label(value: Any) -> str:
    try:
        return str(ITEM_LABELS[CheckItem(value)])
    except ValueError:
        return str(value)


def status_label(value: Any) -> str:
    try:
        return str(STATUS_LABELS[CheckStatus(value)])
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class Finding:
    item: CheckItem
    status: CheckStatus
    note: str
    confidential: bool

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "note": self.note, "confidential": self.confidential}


@dataclass(frozen=True)
class VisitPayload:
    """One record from the phone, validated: build it with ``VisitPayload.parse``."""

    client_id: str
    seen: bool
    findings: tuple[Finding, ...]
    notes: str
    recorded_dt: datetime | None
    device: str

    @classmethod
    def parse(cls, data: Any) -> VisitPayload:
        """Check a JSON body's fields; raises ``FieldError`` naming the first bad one."""
        if not isinstance(data, dict):
            raise FieldError(None, _l("Send a JSON object."))
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not outcomes.CLIENT_ID.match(client_id):
            raise FieldError("client_id", _l("A record needs an id of 8 to 64 letters, digits or dashes."))
        seen = data.get("seen")
        if not isinstance(seen, bool):
            raise FieldError("seen", _l("Say whether you saw the senior."))
        raw_items = data.get("items") or {}
        if not isinstance(raw_items, dict):
            raise FieldError("items", _l("The checklist must map each item to what you found."))
        findings = []
        for key, value in raw_items.items():
            try:
                item = CheckItem(key)
            except ValueError:
                raise FieldError("items", _l("Unknown checklist item: %(item)s", item=str(key)[:40])) from None
            field = f"items.{item.value}"
            if isinstance(value, str):
                value = {"status": value}
            if not isinstance(value, dict):
                raise FieldError(field, _l("Say fine, concern or emergency."))
            try:
                status = CheckStatus(value.get("status"))
            except ValueError:
                raise FieldError(f"{field}.status", _l("Say fine, concern or emergency.")) from None
            note = _text(value.get("note"), f"{field}.note", MAX_ITEM_NOTE)
            confidential = value.get("confidential", False)
            if not isinstance(confidential, bool):
                raise FieldError(f"{field}.confidential", _l("Confidential is yes or no."))
            findings.append(Finding(item, status, note, confidential))
        order = list(CheckItem)
        findings.sort(key=lambda f: order.index(f.item))
        notes = _text(data.get("notes"), "notes", MAX_NOTES)
        # The phone's clock, checked as taps check it (kept as a claim only).
        claim = outcomes.parse_claimed_time(data.get("recorded_dt"))
        device = data.get("device") or ""
        device = device[:200] if isinstance(device, str) else ""
        return cls(client_id=client_id, seen=seen, findings=tuple(findings), notes=notes, recorded_dt=claim,
                   device=device)


def _text(value: Any, field: str, limit: int) -> str:
    value = value or ""
    if not isinstance(value, str):
        raise FieldError(field, _l("This must be text."))
    value = value.strip()
    if len(value) > limit:
        raise FieldError(field, _l("Keep it under %(n)s characters.", n=limit))
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise FieldError(field, _l("The text contains control characters."))
    return value


@dataclass
class RecordedVisit:
    record: VisitRecord
    replay: bool
    result: dict[str, Any]


def is_home_visitation(stop: Stop) -> bool:
    request = stop.service_request
    return (stop.kind == StopKind.VISIT and request is not None
            and request.service_type == ServiceType.HOME_VISITATION)


def find_replay(client_id: str) -> VisitRecord | None:
    return db.session.scalar(sa.select(VisitRecord).where(VisitRecord.client_id == client_id))


def _replay(previous: VisitRecord, stop_id: int) -> RecordedVisit:
    if previous.stop_id != stop_id:
        raise FieldError("client_id", _l("This record id was already used for another stop."))
    return RecordedVisit(record=previous, replay=True, result=dict(previous.result or {}))


def _outcome_client_id(client_id: str) -> str:
    """The stop event's own id, derived from the record's so a replay of either finds the other."""
    return "vr-" + hashlib.sha256(client_id.encode()).hexdigest()[:40]


def record_visit(stop: Stop, payload: VisitPayload | dict[str, Any], *, by, now: Clock = clock.now
                 ) -> RecordedVisit:
    """Store the visitor's record for ``stop`` (already authorised for ``by``) and apply it; flushes only.

    Raises ``FieldError`` for a stop that is not a home-visitation visit, a stop that already has a
    record, or a payload that does not parse; nothing is stored then.
    """
    if not isinstance(payload, VisitPayload):
        payload = VisitPayload.parse(payload)
    stop_id = stop.id
    previous = find_replay(payload.client_id)
    if previous is not None:
        return _replay(previous, stop_id)
    if not is_home_visitation(stop):
        raise FieldError("stop_id", _l("This stop is not a home visit; record its outcome instead."))
    if db.session.scalar(sa.select(VisitRecord.id).where(VisitRecord.stop_id == stop_id)) is not None:
        raise FieldError("stop_id", _l("This visit already has a record."))
    try:
        return _record_once(stop, payload, by=by, now=now)
    except IntegrityError:
        transaction.start_over()
        previous = find_replay(payload.client_id)
        if previous is None:
            raise FieldError("stop_id", _l("This visit already has a record.")) from None
        return _replay(previous, stop_id)


def _record_once(stop: Stop, payload: VisitPayload, *, by, now: Clock) -> RecordedVisit:
    received = now()
    outcome = StopOutcome.COMPLETED if payload.seen else StopOutcome.NOT_HOME
    tap = outcomes.Tap(client_id=_outcome_client_id(payload.client_id), kind=StopEventKind.OUTCOME,
                       outcome=outcome, concern=None, note="", tasks_done=None,
                       recorded_dt=payload.recorded_dt, device=payload.device)
    stop_id = stop.id
    tapped = outcomes.record(stop, tap, by=by, now=lambda: received)
    stop = db.session.get(Stop, stop_id)  # the tap may have started over on fresh rows
    senior = stop.senior
    site_id = stop.route.plan.site_id
    record = VisitRecord(
        senior_id=senior.id, site_id=site_id, stop_id=stop.id, contact_kind=ContactKind.HOME_VISIT,
        seen=payload.seen, items={f.item.value: f.as_dict() for f in payload.findings}, notes=payload.notes,
        client_id=payload.client_id, received_dt=received, claimed_dt=payload.recorded_dt,
        by_id=getattr(by, "id", None),
    )
    db.session.add(record)
    db.session.flush()  # a duplicate client_id or a second record for the stop fails here
    contact = None
    if payload.seen:
        contact = contacts.record_contact(senior, ContactKind.HOME_VISIT, by=by, at=received, site_id=site_id,
                                          stop_id=stop.id)
        record.due_visit_id = contact.due_visit_id
    if record.due_visit_id is None and stop.service_request_id is not None:
        # The due visit this stop was planned for (its service request), whether or not it was fulfilled.
        record.due_visit_id = db.session.scalar(sa.select(DueVisit.id).where(
            DueVisit.service_request_id == stop.service_request_id).order_by(DueVisit.id.desc()).limit(1))
    if not payload.seen and record.due_visit_id is not None:
        # Nobody seen: the visit is still owed. Open again, it is carried to the next day's visits plan and
        # escalates like any due once its latest date passes (the welfare alert above covers today).
        due = db.session.get(DueVisit, record.due_visit_id)
        if due is not None and due.status == DueStatus.PLANNED:
            due.status = DueStatus.OPEN
    opened = follow_ups.open_for_record(record, stop=stop, by=by, now=received)
    record.result = {
        "record_id": record.id, "client_id": record.client_id, "stop_id": stop.id, "seen": record.seen,
        "stop_outcome": stop.outcome.value if stop.outcome else None,
        "outcome_event_id": tapped.result.get("event_id"),
        "alerts": list(tapped.result.get("alerts") or []) + [f.alert_id for f in opened if f.alert_id],
        "follow_ups": [f.id for f in opened],
        "contact_id": contact.id if contact is not None else None,
        "due_visit_id": record.due_visit_id,
        "received_dt": received.isoformat(),
        "claimed_dt": payload.recorded_dt.isoformat() if payload.recorded_dt else None,
    }
    audit.record("visit_record.create", user=by, entity_type="visit_record", entity_id=record.id,
                 senior_id=senior.id,
                 detail={"stop_id": stop.id, "seen": record.seen,
                         "concerns": [f.item.value for f in payload.findings if f.status != CheckStatus.FINE]})
    result = dict(record.result)
    db.session.flush()
    return RecordedVisit(record=record, replay=False, result=result)


def record_for_stop(stop_id: int) -> VisitRecord | None:
    return db.session.scalar(sa.select(VisitRecord).where(VisitRecord.stop_id == stop_id))


def concerns(record: VisitRecord) -> list[tuple[CheckItem, dict[str, Any]]]:
    """The record's items in checklist order, as (item, {"status", "note", "confidential"})."""
    out = []
    for item in CheckItem:
        value = (record.items or {}).get(item.value)
        if value is not None:
            out.append((item, value))
    return out
