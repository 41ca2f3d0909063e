"""The demo district's home visitation (探访关爱): a past of contacts and visit records, then today's list.

Why: a programme that starts empty shows nothing on first login (no tiers to read, nothing due,
no findings), so a visitor to the demo could not tell what it does. ``visitation_history`` writes
what the last weeks would have left (face-to-face meal checks on the delivered meals of the
simulated history, calls, home visits with their checklists, findings with follow-ups, some
closed, some open, two tiers set by staff with a reason, the visitation skill on the sites'
volunteers) directly, as ``demo.history`` does for meals: nobody did these things, so
no audit rows. Some tier-1 seniors were left unvisited on purpose: they are overdue today.
The caller commits.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dispatch.demo.seed import VISITOR_EMAIL
from dispatch.extensions import db, security
from dispatch.models.meals import MealOrder, MealOrderStatus
from dispatch.models.plan import Route, Stop, StopKind, StopOutcome
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.service_request import ServiceType
from dispatch.models.site import MealSite
from dispatch.models.user import StaffSite, User
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
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerShift, WorkerSkill
from dispatch.platform import clock
from dispatch.services.visitation import due, tiers

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
    """The visitation skill for each site's volunteers: in the demo the welfare visits are the volunteers'
    rounds (结对帮扶, pairing with volunteers), the caregivers and nurses keep to the booked care visits."""
    made = []
    for site in sites:
        workers = db.session.scalars(sa.select(Worker).where(
            Worker.home_site_id == site.id, Worker.is_active.is_(True),
            Worker.kind == WorkerKind.VOLUNTEER).order_by(Worker.id)).all()
        for worker in workers:
            if all(s.skill != Skill.VISITATION for s in worker.skills):
                db.session.add(WorkerSkill(worker_id=worker.id, skill=Skill.VISITATION))
                made.append(worker)
    db.session.flush()
    return made


def _fine(rng: random.Random) -> dict:
    return {item.value: {"status": CheckStatus.FINE.value, "note": "", "confidential": False} for item in CheckItem}


# (item, follow-up kind, finding, how it was closed, its action key in follow_ups.ACTIONS, confidential)
FINDINGS = (
    (CheckItem.FOOD, FollowUpKind.MEAL_ENROLLMENT, _l("Fridge nearly empty; she skips dinner."),
     _l("Enrolled in the site's dinner, five days a week."), "meals_enrolled", False),
    (CheckItem.FALLS, FollowUpKind.SERVICE_REQUEST, _l("Loose rug in the hallway; no grab rail in the bathroom."),
     _l("Rug removed with her consent; home adaptation requested."), "service_arranged", False),
    (CheckItem.FAMILY_SUPPORT, FollowUpKind.FAMILY_REFERRAL, _l("Son has not called for a month."),
     "", "", True),
    (CheckItem.HYGIENE, FollowUpKind.SERVICE_REQUEST, _l("Kitchen not cleaned for some time."), "", "", False),
    (CheckItem.MEDICINES, FollowUpKind.OTHER, _l("Blood-pressure tablets run out on Friday."),
     _l("Family doctor called; prescription renewed."), "resolved_on_visit", False),
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
        sa.select(Stop.id, Stop.senior_id, Stop.outcome_dt, Stop.outcome_by_id, MealOrder.site_id)
        .join(MealOrder, Stop.meal_order_id == MealOrder.id)
        .where(Stop.kind == StopKind.MEAL, Stop.outcome == StopOutcome.DELIVERED,
               MealOrder.status == MealOrderStatus.DELIVERED, Stop.outcome_dt.isnot(None))).all()
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
            ago = rng.randint(2, 11)
        else:
            ago = None
        if senior.id in family_seniors:
            ago = 3  # the family login sees a recent visit's summary
        if ago is not None:
            records.append((senior, _at(site, today - timedelta(days=ago), rng.choice((9, 10, 14, 15)),
                                        rng.choice((0, 15, 30, 45))), tier))
        # Calls: tier 1 daily, tier 2 every five days, tier 3 once in the last month or so (a few of
        # them just over it: the call list has something overdue).
        if tier == 1:
            backs = list(range(1, 31))
        elif tier == 2:
            backs = list(range(rng.randint(1, 5), 31, 5))
        else:
            backs = [rng.randint(3, 33 if senior.home_site_id == first_site else 27)]
        for back in backs:
            rows.append({"senior_id": senior.id, "site_id": site.id, "kind": ContactKind.CALL,
                         "contact_dt": _at(site, today - timedelta(days=back), 16, rng.randint(0, 59)),
                         "stop_id": None, "note": "", "by_id": None})
    if rows:
        db.session.execute(sa.insert(Contact), rows)
    past.contacts += len(rows)

    staff_of = dict(db.session.execute(sa.select(StaffSite.site_id, StaffSite.user_id).order_by(StaffSite.id.desc())).all())
    # The findings go to visits at the demo staff's sites (the family login's senior among them), so the
    # staff login finds follow-ups both still open and closed.
    records.sort(key=lambda r: (r[1], r[0].id))
    at_staff = [k for k, (senior, _at_dt, _tier) in enumerate(records) if senior.home_site_id in staff_site_ids]
    family_first = [k for k in at_staff if records[k][0].id in family_seniors][:1]
    others = [k for k in at_staff if k not in family_first]
    chosen = family_first + rng.sample(others, min(len(others), len(FINDINGS) - len(family_first)))
    finding_for = dict(zip(chosen, FINDINGS))
    for k, (senior, at, tier) in enumerate(records):
        site = site_of[senior.home_site_id]
        items = _fine(rng)
        follow = finding_for.get(k)
        if follow is not None:
            item, _kind, finding, _closing, _action, confidential = follow
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
        item, kind, finding, closing, action, confidential = follow
        days = 1 if tier == 1 else 3
        closed = bool(action) and (at.date() < today - timedelta(days=1))
        follow_up = FollowUp(senior_id=senior.id, site_id=site.id, visit_record_id=record.id, item=item, kind=kind,
                             finding=str(finding), confidential=confidential, owner_id=staff_of.get(site.id),
                             deadline=at.date() + timedelta(days=days), created_dt=at)
        if closed:
            follow_up.status, follow_up.action = FollowUpStatus.CLOSED, action
            follow_up.close_note, follow_up.closed_dt = str(closing), at + timedelta(days=1)
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


VISITOR_SHIFT = (time(13, 30), time(17, 0))  # the afternoon a volunteer visitor gives


@dataclass(frozen=True)
class VisitationToday:
    dues_made: int
    overdue_alerts: int
    district_escalations: int
    visits_planned: int = 0
    visitor: str | None = None  # the worker the visitor login belongs to
    visitor_visits: int = 0  # the welfare visits on their route
    note: str = ""


def _visitor_for(site: MealSite, day: date) -> Worker | None:
    """The site's first volunteer visitor, with an afternoon shift on ``day`` if they had none."""
    visitor = db.session.scalar(sa.select(Worker).join(WorkerSkill, WorkerSkill.worker_id == Worker.id).where(
        Worker.home_site_id == site.id, Worker.is_active.is_(True), Worker.user_id.is_(None),
        Worker.kind == WorkerKind.VOLUNTEER, WorkerSkill.skill == Skill.VISITATION).order_by(Worker.id))
    if visitor is None:
        return None
    if not any(s.weekday == day.weekday() for s in visitor.shifts):
        db.session.add(WorkerShift(worker_id=visitor.id, site_id=site.id, weekday=day.weekday(),
                                   start_time=VISITOR_SHIFT[0], end_time=VISITOR_SHIFT[1]))
        db.session.flush()
    return visitor


def _visitor_login(worker: Worker, password_hash: str) -> None:
    user = db.session.scalar(sa.select(User).where(User.email == VISITOR_EMAIL))
    if user is None:
        user = security.datastore.create_user(
            email=VISITOR_EMAIL, password=password_hash, display_name=worker.full_name, active=True,
            roles=[security.datastore.find_or_create_role("worker")])
        db.session.flush()
    for other in db.session.scalars(sa.select(Worker).where(Worker.user_id == user.id)):
        other.user_id = None
    db.session.flush()
    worker.user_id = user.id
    user.display_name = worker.full_name
    db.session.flush()


def prepare_visitation_today(today: date, *, staff, password_hash: str, plan_visits) -> VisitationToday:
    """Today's list (dues made, the overdue escalated) and, at the staff's first site, the afternoon's
    visits round planned and published for a volunteer visitor, who gets the visitor login.

    ``plan_visits(site, day)`` plans and publishes the site's visits (the demo's own planning edge);
    it returns the published plan or ``(None, why)``."""
    site = staff.staff_sites[0].site if staff is not None and staff.staff_sites else None
    now = clock.now()
    if clock.local_today(site, now) != today:  # a day prepared ahead (tests, ``--today``): its late morning
        now = clock.at_local(today, time(10, 45), clock.zone_of(site))
    made_dues = due.generate(today, now=now)
    escalated = due.escalate(now)
    made = VisitationToday(len(made_dues), len(escalated.alerts), len(escalated.district))
    if site is None:
        return made
    visitor = _visitor_for(site, today)
    if visitor is None:
        return replace(made, note="no volunteer visitor at the site")
    plan, why = plan_visits(site, today)
    if plan is None:
        return replace(made, note=why)
    routes = db.session.scalars(sa.select(Route).where(Route.plan_id == plan.id)).all()
    welfare = {r.id: sum(1 for s in r.stops if s.service_request is not None
                         and s.service_request.service_type == ServiceType.HOME_VISITATION) for r in routes}
    kinds = {w.id: w.kind for w in db.session.scalars(sa.select(Worker).where(
        Worker.id.in_([r.worker_id for r in routes])))} if routes else {}
    # A volunteer's round if the plan gave one welfare visits, else whoever has the most.
    best = max(routes, key=lambda r: (welfare[r.id] > 0, kinds.get(r.worker_id) == WorkerKind.VOLUNTEER,
                                      welfare[r.id], -r.worker_id), default=None)
    if best is not None and welfare[best.id]:
        visitor = db.session.get(Worker, best.worker_id)
    _visitor_login(visitor, password_hash)
    return replace(made, visits_planned=sum(welfare.values()), visitor=f"{visitor.full_name} ({visitor.kind})",
                   visitor_visits=welfare[best.id] if best is not None else 0)
