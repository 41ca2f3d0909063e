"""A small site ready to plan, shared by the planning tests (in-process, RQ and browser)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealMode
from dispatch.models.service_request import RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite, MealType, MealWindow
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerShift, WorkerSkill
from tests.factories import create_senior, create_site, create_worker

DAY = date(2030, 3, 4)  # a Monday


@dataclass
class SmallSite:
    site: MealSite
    drivers: list[Worker]
    caregiver: Worker
    seniors: list = field(default_factory=list)


def add_worker(site, *, skills=(Skill.MEAL_DELIVERY,), start=time(10), end=time(14), day=DAY, **kw) -> Worker:
    worker = create_worker(site, **{"capacity_meals": 10, "kind": WorkerKind.DRIVER, **kw})
    for skill in skills:
        db.session.add(WorkerSkill(worker_id=worker.id, skill=skill))
    db.session.add(WorkerShift(worker_id=worker.id, site_id=site.id, weekday=day.weekday(), start_time=start,
                               end_time=end))
    db.session.commit()
    return worker


def small_site(*, seniors: int = 6, drivers: int = 2, day: date = DAY, origin: tuple[float, float] = (31.2300, 121.4700),
               **site_kw) -> SmallSite:
    """A canteen with lunch 11:00-12:30, two drivers, a caregiver, and seniors enrolled for delivered lunch
    (at ``origin``, central Shanghai unless told, the seniors a few hundred metres around it)."""
    lat, lon = origin
    site = create_site(lat=lat, lon=lon, hold_limit_minutes=45, **site_kw)
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    db.session.commit()
    out = SmallSite(site, [add_worker(site, day=day) for _ in range(drivers)],
                    add_worker(site, skills=(Skill.BATHING, Skill.EMERGENCY_ASSISTANCE), start=time(8),
                               end=time(17), day=day, kind=WorkerKind.CAREGIVER))
    for i in range(seniors):
        senior = create_senior(site, lat=lat + 0.002 * (i % 3), lon=lon + 0.002 * (i // 3))
        db.session.add(MealEnrollment(senior_id=senior.id, site_id=site.id, meal=MealType.LUNCH,
                                      mode=MealMode.DELIVERY, start_date=date(2030, 1, 1)))
        out.seniors.append(senior)
    db.session.commit()
    return out


def add_request(site, senior, *, status=RequestStatus.APPROVED, service=ServiceType.BATHING, day=DAY,
                start=time(9), end=time(12), duration=45, priority=3) -> ServiceRequest:
    req = ServiceRequest(senior_id=senior.id, site_id=site.id, service_type=service, requested_date=day,
                         window_start=start, window_end=end, duration_minutes=duration, priority=priority,
                         status=status)
    db.session.add(req)
    db.session.commit()
    return req


def reloaded_plan(plan_id):
    """The plan as stored now (what another request would read)."""
    from dispatch.services import planning

    db.session.expire_all()
    return planning.load_plan(plan_id)


def plan_lunch(client, site, day: date = DAY):
    """Plan ``site``'s lunch through the staff page, as the signed-in ``client``; the finished plan."""
    r = client.post("/staff/today/plan", data={"site": site.id, "date": day.isoformat(), "kind": "meals",
                                               "meal": "lunch"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    plan = reloaded_plan(int(r.headers["Location"].rstrip("/").split("/")[-1]))
    assert plan.summary["job"]["state"] == "done", plan.summary
    return plan


def published_county(*, seniors: int = 20, points: int = 3):
    """The demo's generated county, small, with its lunch planned by the county planner and published."""
    from dispatch.demo.county import seed_county
    from dispatch.services.rural import plans as rural_plans

    seeded = seed_county(DAY, seniors=seniors, points=points)
    db.session.commit()
    plan = rural_plans.plan_county(seeded.site, DAY, "lunch", by=None)
    db.session.commit()
    rural_plans.publish_county(plan, version=plan.version, by=None)
    db.session.commit()
    return reloaded_plan(plan.id)

