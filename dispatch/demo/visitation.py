"""The demo district's home visitation (探访关爱): a past of contacts and visit records, then today's list.

Why: a programme that starts empty shows nothing on first login (no tiers to read, nothing due,
no findings), so a visitor to the demo could not tell what it does. ``visitation_history`` writes
what the last weeks would have left (face-to-face meal checks on the delivered meals of the
simulated history, calls, home visits with their checklists, findings with follow-ups, some
closed, some open, two tiers set by staff with a reason, the visitation skill on the sites'
volunteers and caregivers) directly, as ``demo.history`` does for meals: nobody did these things, so
no audit rows. Some tier-1 seniors were left unvisited on purpose: they are overdue today.
The caller commits.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.meals import MealOrder, MealOrderStatus
from dispatch.models.plan import Stop, StopKind, StopOutcome
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.site import MealSite
from dispatch.models.user import StaffSite
from dispatch.models.visitation import (
    CheckItem,
    CheckStatus,
    Contact,
    ContactKind,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    VisitationTierOverride,
    VisitRecord,
)
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerSkill
from dispatch.platform import clock
from dispatch.services.visitation import tiers

MEAL_CHECK_SHARE = 0.6  # of delivered meals, the drops where the worker saw the senior and says so
LEFT_OVERDUE = 4  # tier-1 seniors at the demo staff's first site whose last visit is too long ago


@dataclass
class VisitationPast:
    contacts: int = 0
    records: int = 0
    follow_ups_open: int = 0
    follow_ups_closed: int = 0
    visitors: int = 0

    def summary(self) -> str:
        return (f"{self.contacts} contacts, {self.records} visit records, {self.follow_ups_open} open and "
                f"{self.follow_ups_closed} closed follow-ups, {self.visitors} visitors")


def _at(site: MealSite, day: date, hour: int, minute: int = 0) -> datetime:
    return clock.at_local(day, time(hour, minute), clock.zone_of(site))


def _visitors(sites: list[MealSite]) -> list[Worker]:
    """The visitation skill for the volunteers and caregivers (the visiting kinds) of each site."""
    made = []
    for site in sites:
        workers = db.session.scalars(sa.select(Worker).where(
            Worker.home_site_id == site.id, Worker.is_active.is_(True),
            Worker.kind.in_((WorkerKind.VOLUNTEER, WorkerKind.CAREGIVER, WorkerKind.NURSE))).order_by(Worker.id)).all()
        for worker in workers:
            if all(s.skill != Skill.VISITATION for s in worker.skills):
                db.session.add(WorkerSkill(worker_id=worker.id, skill=Skill.VISITATION))
                made.append(worker)
    db.session.flush()
    return made


def _fine(rng: random.Random) -> dict:
    return {item.value: {"status": CheckStatus.FINE.value, "note": "", "confidential": False} for item in CheckItem}


FINDINGS = (
    (CheckItem.FOOD, FollowUpKind.MEAL_ENROLLMENT, _l("Fridge nearly empty; she skips dinner."),
     _l("Enrolled in the site's dinner, five days a week."), False),
    (CheckItem.FALLS, FollowUpKind.SERVICE_REQUEST, _l("Loose rug in the hallway; no grab rail in the bathroom."),
     _l("Rug removed with her consent; home adaptation requested."), False),
    (CheckItem.FAMILY_SUPPORT, FollowUpKind.FAMILY_REFERRAL, _l("Son has not called for a month."),
     "", True),
    (CheckItem.HYGIENE, FollowUpKind.SERVICE_REQUEST, _l("Kitchen not cleaned for some time."), "", False),
    (CheckItem.MEDICINES, FollowUpKind.OTHER, _l("Blood-pressure tablets run out on Friday."),
     _l("Family doctor called; prescription renewed."), False),
)


def visitation_history(*, today: date, seed: int = 1) -> VisitationPast:
    """Write the programme's recent past for every active site (flushes; the caller commits)."""
    rng = random.Random(seed * 7919)
    past = VisitationPast()
    sites = list(db.session.scalars(sa.select(MealSite).where(MealSite.is_active.is_(True)).order_by(MealSite.id)))
    if not sites:
        return past
    past.visitors = len(_visitors(sites))
    seniors = list(db.session.scalars(sa.select(Senior).where(Senior.is_active.is_(True),
                                                              Senior.home_site_id.isnot(None)).order_by(Senior.id)))
    views = tiers.tiers_for(seniors, today=today)
    site_of = {s.id: s for s in sites}
    staff_site_ids = list(db.session.scalars(sa.select(StaffSite.site_id).order_by(StaffSite.id)))
    first_site = staff_site_ids[0] if staff_site_ids else sites[0].id
    family_seniors = set(db.session.scalars(sa.select(FamilyLink.senior_id)))
    rows: list[dict] = []

    # Face-to-face checks on the meals the history delivered.
    delivered = db.session.execute(
        sa.select(Stop.id, Stop.senior_id, Stop.departure_dt, Stop.outcome_by_id, MealOrder.site_id)
        .join(MealOrder, Stop.meal_order_id == MealOrder.id)
        .where(Stop.kind == StopKind.MEAL, Stop.outcome == StopOutcome.DELIVERED,
               MealOrder.status == MealOrderStatus.DELIVERED, Stop.departure_dt.isnot(None))).all()
    for stop_id, senior_id, left, by_id, site_id in delivered:
        if rng.random() < MEAL_CHECK_SHARE:
            rows.append({"senior_id": senior_id, "site_id": site_id, "kind": ContactKind.MEAL_CHECK,
                         "contact_dt": left, "stop_id": stop_id, "note": "", "by_id": by_id})

    # Tier 1 at the first site: most visited within the week, a few left overdue on purpose.
    tier1_first = [s for s in seniors if views[s.id].tier == 1 and s.home_site_id == first_site]
    overdue = {s.id for s in tier1_first if s.id not in family_seniors}
    overdue = set(sorted(overdue)[:LEFT_OVERDUE])
    records: list[tuple[Senior, datetime, int | None]] = []
    for senior in seniors:
        site = site_of.get(senior.home_site_id)
        if site is None:
            continue
        tier = views[senior.id].tier
        if tier == 1:
            ago = rng.randint(9, 12) if senior.id in overdue else rng.randint(1, 5)
        elif tier == 2:
            ago = rng.randint(2, 20)
        else:
            ago = None
        if senior.id in family_seniors:
            ago = 3  # the family login sees a recent visit's summary
        if ago is not None:
            records.append((senior, _at(site, today - timedelta(days=ago), rng.choice((9, 10, 14, 15)),
                                        rng.choice((0, 15, 30, 45))), tier))
        # Calls: the daily and weekly contacts of tiers 1 and 2, the monthly one of tier 3.
        for back in range(1, 31):
            wanted = (tier == 1 and rng.random() < 0.8) or (tier == 2 and back % 6 == 0 and rng.random() < 0.8) or (
                tier == 3 and back == rng.randint(4, 40))
            if wanted and senior.id not in overdue:
                rows.append({"senior_id": senior.id, "site_id": site.id, "kind": ContactKind.CALL,
                             "contact_dt": _at(site, today - timedelta(days=back), 16, rng.randint(0, 59)),
                             "stop_id": None, "note": "", "by_id": None})
    if rows:
        db.session.execute(sa.insert(Contact), rows)
    past.contacts += len(rows)

    staff_of = dict(db.session.execute(sa.select(StaffSite.site_id, StaffSite.user_id).order_by(StaffSite.id.desc())).all())
    findings = list(FINDINGS)
    rng.shuffle(findings)
    for k, (senior, at, tier) in enumerate(sorted(records, key=lambda r: (r[1], r[0].id))):
        site = site_of[senior.home_site_id]
        items = _fine(rng)
        follow = None
        if findings and (senior.id in family_seniors or rng.random() < 0.08):
            follow = findings.pop()
            item, _kind, finding, _action, confidential = follow
            items[item.value] = {"status": CheckStatus.CONCERN.value, "note": str(finding), "confidential": confidential}
        record = VisitRecord(senior_id=senior.id, site_id=site.id, contact_kind=ContactKind.HOME_VISIT, seen=True,
                             items=items, notes=_("Chatted over tea; in good spirits."),
                             client_id=f"demo-visit-{senior.id}-{k}", received_dt=at)
        contact = Contact(senior_id=senior.id, site_id=site.id, kind=ContactKind.HOME_VISIT, contact_dt=at)
        db.session.add_all([record, contact])
        past.records += 1
        past.contacts += 1
        if follow is None:
            continue
        db.session.flush()
        item, kind, finding, action, confidential = follow
        days = 1 if tier == 1 else 3
        closed = bool(action) and (at.date() < today - timedelta(days=1))
        follow_up = FollowUp(senior_id=senior.id, site_id=site.id, visit_record_id=record.id, item=item, kind=kind,
                             finding=str(finding), confidential=confidential, owner_id=staff_of.get(site.id),
                             deadline=at.date() + timedelta(days=days), created_dt=at)
        if closed:
            follow_up.status, follow_up.action = FollowUpStatus.CLOSED, str(kind)
            follow_up.close_note, follow_up.closed_dt = str(action), at + timedelta(days=1)
            past.follow_ups_closed += 1
        else:
            past.follow_ups_open += 1
        db.session.add(follow_up)

    # Two staff judgements, with their reasons.
    judged = [s for s in seniors if s.home_site_id == first_site and s.id not in family_seniors]
    if len(judged) >= 2:
        calm = next((s for s in judged if views[s.id].tier == 3), judged[0])
        worry = next((s for s in judged if views[s.id].tier == 2), judged[1])
        db.session.add_all([
            VisitationTierOverride(senior_id=worry.id, tier=1, set_by_id=staff_of.get(first_site),
                                   reason=_("Early signs of dementia; her daughter lives abroad.")),
            VisitationTierOverride(senior_id=calm.id, tier=2, set_by_id=staff_of.get(first_site),
                                   reason=_("Widowed last month; neighbours worried about him.")),
        ])
    db.session.flush()
    return past
