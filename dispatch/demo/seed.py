"""Persist a generated demo district (``services.demo_district``) in one transaction.

Seeding refuses a database that already holds data unless asked to reset it,
so a mistyped command cannot mix demo seniors into real ones. Rows are added
in bulk and committed once; only the four demo logins pay for argon2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_security import hash_password

from dispatch.demo.district import DemoDistrict
from dispatch.extensions import db, security
from dispatch.models import (
    EmergencyContact,
    FamilyLink,
    GeocodeStatus,
    MealEnrollment,
    MealHold,
    MealSite,
    MealWindow,
    RoleName,
    Senior,
    SeniorCategory,
    ServiceRequest,
    StaffSite,
    SubsidyRule,
    User,
    Worker,
    WorkerShift,
    WorkerSkill,
    weekdays_to_mask,
)
from dispatch.models.audit import AuditEvent

DEMO_PASSWORD = "doorstep-demo-2026"
DEMO_EMAILS: dict[str, str] = {
    RoleName.ADMIN.value: "admin@doorstep.demo",
    RoleName.STAFF.value: "staff@doorstep.demo",
    RoleName.WORKER.value: "worker@doorstep.demo",
    RoleName.FAMILY.value: "family@doorstep.demo",
}
DEMO_DISTRICT_NAME = "Doorstep demo district"
# The volunteer visitor's login (a worker), made with today's visits round (``demo.visitation``).
VISITOR_EMAIL = "visitor@doorstep.demo"
_REQUESTER = {"family": "家属申请 / asked by family", "staff": "工作人员录入 / entered by staff",
              "senior": "老人本人申请 / asked by the senior", "hotline": "24 小时热线 / via the 24h hotline"}


class SeedRefused(RuntimeError):
    """The database already holds data and no reset was asked for."""


@dataclass
class DemoLogin:
    role: str
    email: str
    password: str
    scope: str


@dataclass
class SeedResult:
    counts: dict[str, int]
    logins: list[DemoLogin] = field(default_factory=list)


# Tables whose rows mean "somebody already uses this database".
_OCCUPANCY = (MealSite, Senior, Worker, User)


def existing_counts() -> dict[str, int]:
    """Rows in the tables that tell a used database from an empty one."""
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in _OCCUPANCY}


def database_is_empty() -> bool:
    return not any(existing_counts().values())


def has_demo_logins() -> bool:
    """Whether this database was seeded with the demo accounts."""
    admin = db.session.scalar(sa.select(User.id).where(User.email == DEMO_EMAILS["admin"]))
    return admin is not None


def schema_is_ready() -> bool:
    """Whether the migrations have created the tables seeding needs."""
    inspector = sa.inspect(db.engine)
    return all(inspector.has_table(m.__tablename__) for m in (*_OCCUPANCY, ServiceRequest, SubsidyRule))


def _clear_all() -> None:
    """Delete every row of every model table, children first (inside the caller's transaction).

    Except the audit trail: it is append-only (the database refuses DELETE) and outlives the
    records it describes. ``demo --reset`` on the demo's own file removes the file instead.
    """
    for table in reversed(db.metadata.sorted_tables):
        if table is not AuditEvent.__table__:
            db.session.execute(table.delete())


def seed_district(district: DemoDistrict, *, reset: bool = False, with_logins: bool = True) -> SeedResult:
    """Write ``district`` (and the demo logins) in one commit; refuse a used database unless ``reset``."""
    counts = existing_counts()
    if any(counts.values()) and not reset:
        held = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        raise SeedRefused(f"the database already holds data ({held}); pass --reset to replace it")
    if reset:
        _clear_all()
    result = _write(district, with_logins=with_logins)
    db.session.flush()
    return result


def _write(d: DemoDistrict, *, with_logins: bool) -> SeedResult:
    session = db.session
    sites: dict[str, MealSite] = {}
    for s in d.sites:
        site = MealSite(
            name=s.name, name_zh=s.name_zh, kind=s.kind, address=s.address, address_zh=s.address_zh, district=DEMO_DISTRICT_NAME,
            neighbourhood=s.neighbourhood, lat=s.lat, lon=s.lon, phone=s.phone, daily_capacity=s.daily_capacity,
            hold_limit_minutes=s.hold_limit_minutes, circle_minutes=s.circle_minutes, circle_mode=s.circle_mode,
            timezone=d.timezone,
            windows=[MealWindow(meal=w.meal, start_time=w.start, end_time=w.end) for w in s.windows],
            # The staff login's second site lets its riders go back to the kitchen for a second or third
            # load (reload trips): planning its lunch shows them on the plan page, the sheets and the phone.
            reload_trips=3 if len(d.sites) > 1 and s is d.sites[1] else 1,
        )
        sites[s.key] = site
    session.add_all(sites.values())
    session.flush()  # worker shifts refer to site ids

    compounds = {c.key: c for c in d.compounds}
    seniors: dict[str, Senior] = {}
    for p in d.seniors:
        seniors[p.key] = Senior(
            full_name=p.full_name, full_name_zh=p.full_name_zh, gender=p.gender, date_of_birth=p.date_of_birth,
            phone=p.phone, address=p.address, address_zh=p.address_zh, neighbourhood=compounds[p.compound].name, lat=p.lat, lon=p.lon,
            geocode_status=GeocodeStatus.OK, lives_alone=p.lives_alone, mobility=p.mobility, diet=p.diet,
            allergies=p.allergies, access_notes=p.access_notes, home_site=sites[p.home_site],
            categories=[SeniorCategory(category=c) for c in p.categories],
            contacts=[EmergencyContact(name=f"{c.name_zh} {c.name}", relation=c.relation, phone=c.phone,
                                       priority=c.priority) for c in p.contacts],
        )
    session.add_all(seniors.values())

    workers: dict[str, Worker] = {}
    for w in d.workers:
        site = sites[w.home_site]
        workers[w.key] = Worker(
            full_name=w.full_name, full_name_zh=w.full_name_zh, phone=w.phone, kind=w.kind, travel_mode=w.travel_mode,
            capacity_meals=w.capacity_meals, home_site=site, max_minutes_per_day=w.max_minutes_per_day,
            skills=[WorkerSkill(skill=k) for k in w.skills],
            shifts=[WorkerShift(site_id=site.id, weekday=sh.weekday, start_time=sh.start, end_time=sh.end,
                                break_minutes=sh.break_minutes) for sh in w.shifts],
        )
    session.add_all(workers.values())

    session.add_all(
        MealEnrollment(senior=seniors[e.senior], site=sites[e.site], meal=e.meal,
                       weekdays=weekdays_to_mask(e.weekdays), mode=e.mode, start_date=e.start_date)
        for e in d.enrollments
    )
    session.add_all(
        MealHold(senior=seniors[h.senior], start_date=h.start_date, end_date=h.end_date, reason=h.reason)
        for h in d.holds
    )
    requests = {
        r.key: ServiceRequest(
            senior=seniors[r.senior], site=sites[r.site], service_type=r.service_type, requested_date=r.day,
            window_start=r.window_start, window_end=r.window_end, duration_minutes=r.duration_minutes,
            required_skill=r.required_skill, priority=r.priority, recurrence=r.recurrence,
            notes=f"{r.notes} ({_REQUESTER.get(r.requested_by, r.requested_by)})", status=r.status,
            status_reason=r.status_reason or None,
        )
        for r in d.service_requests
    }
    session.add_all(requests.values())
    session.add_all(
        SubsidyRule(name=r.name, category=r.category, min_age=r.min_age, max_age=r.max_age, valid_from=date(d.today.year, 1, 1),
                    meal_price_cents=r.meal_price_cents, subsidy_cents=r.subsidy_cents,
                    delivery_subsidy_cents=r.delivery_subsidy_cents, precedence=r.precedence)
        for r in d.subsidy_rules
    )
    session.flush()

    logins = _demo_logins(d, sites, seniors, workers, requests) if with_logins else []
    counts = {
        "meal sites": len(sites), "seniors": len(seniors), "workers": len(workers),
        "enrollments": len(d.enrollments), "holds": len(d.holds), "service requests": len(requests),
        "subsidy rules": len(d.subsidy_rules), "logins": len(logins),
    }
    return SeedResult(counts=counts, logins=logins)


def pick_demo_people(d: DemoDistrict) -> dict[str, object]:
    """Who the demo logins see: staff get the first two sites, the worker and the
    family member belong to the first site so the staff login sees them too."""
    staff_sites = [s.key for s in d.sites[:2]]
    first = d.sites[0].key
    weekday = d.today.weekday()
    candidates = [w for w in d.workers if w.home_site in staff_sites and "meal_delivery" in w.skills]
    on_today = [w for w in candidates if any(sh.weekday == weekday for sh in w.shifts)]
    worker = (on_today or candidates or list(d.workers))[0]
    # The family member's parent has a request today, so the family pages have a status to show.
    asked = [r.senior for r in d.service_requests if r.site in staff_sites]
    in_scope = [p for p in d.seniors if p.home_site in staff_sites] or list(d.seniors)
    parent = next((p for p in in_scope if p.key in asked), in_scope[0])
    other = next((p for p in in_scope if p.key != parent.key and p.compound == parent.compound),
                 next((p for p in in_scope if p.key != parent.key), None))
    family = [parent.key] + ([other.key] if other else [])
    return {"staff_sites": staff_sites, "worker": worker.key, "family": family, "first_site": first}


def _demo_logins(d, sites, seniors, workers, requests) -> list[DemoLogin]:
    datastore = security.datastore
    picks = pick_demo_people(d)
    password = hash_password(DEMO_PASSWORD)  # one hash serves the four demo accounts

    def user(role: str, name: str) -> User:
        u = datastore.create_user(email=DEMO_EMAILS[role], password=password, display_name=name,
                                  roles=[datastore.find_or_create_role(role)], active=True)
        return u

    admin = user("admin", "赵卫国 (Zhao Weiguo)")
    staff = user("staff", "王敏 (Wang Min)")
    staff.staff_sites = [StaffSite(site=sites[k]) for k in picks["staff_sites"]]
    worker = workers[picks["worker"]]
    worker_user = user("worker", worker.full_name)
    worker.user = worker_user
    # A person, not "<senior>'s family": the account follows two seniors and the header shows this name.
    family = user("family", "冯丽 (Feng Li)")
    for i, key in enumerate(picks["family"]):
        db.session.add(FamilyLink(user=family, senior=seniors[key], relation="daughter" if i == 0 else "niece"))
    for r in d.service_requests:
        if r.senior in picks["family"] and r.requested_by == "family":
            requests[r.key].requested_by = family
    db.session.flush()

    staff_names = ", ".join(sites[k].name for k in picks["staff_sites"])
    family_names = ", ".join(seniors[k].full_name for k in picks["family"])
    return [
        DemoLogin("admin", admin.email, DEMO_PASSWORD, "everything"),
        DemoLogin("staff", staff.email, DEMO_PASSWORD, staff_names),
        DemoLogin("worker", worker_user.email, DEMO_PASSWORD, f"{worker.full_name} ({worker.kind})"),
        DemoLogin("family", family.email, DEMO_PASSWORD, family_names),
    ]


def demo_logins_in_db() -> list[DemoLogin]:
    """The demo accounts of an already seeded database (the password may have been changed since)."""
    found = set(db.session.scalars(sa.select(User.email).where(User.email.in_(DEMO_EMAILS.values()))))
    logins = [DemoLogin(role, email, DEMO_PASSWORD, "") for role, email in DEMO_EMAILS.items() if email in found]
    if db.session.scalar(sa.select(User.id).where(User.email == VISITOR_EMAIL)) is not None:
        at = next((i + 1 for i, x in enumerate(logins) if x.role == "worker"), len(logins))
        logins.insert(at, DemoLogin("worker", VISITOR_EMAIL, DEMO_PASSWORD, "welfare visits"))
    return logins
