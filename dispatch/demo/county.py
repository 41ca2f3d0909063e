"""The generated rural county in the app: one township kitchen, its village points, 300 seniors, cars and walkers.

The county itself comes from the routing core's generator (``routing.benchmarks.county``, the one the
benchmarks plan); this stores it as rows: the kitchen (lunch 10:45-11:45 is when the batches reach the
points, insulated boxes hold 120 minutes), its village points, the seniors with their point and whether
they dine there, the cars (drivers with a car) and each point's walking volunteers, with shifts every day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealMode
from dispatch.models.senior import GeocodeStatus, Senior
from dispatch.models.site import MealSite, MealType, MealWindow, SiteKind, TravelMode
from dispatch.models.user import StaffSite, User
from dispatch.models.village import VillagePoint, VillagePointKind
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerShift, WorkerSkill
from dispatch.routing.benchmarks.county import INSULATED_HOLD, generate_county
from dispatch.services.meals import orders as order_service

KITCHEN_NAME = "Shanzhuang Township Central Kitchen"
KITCHEN_NAME_ZH = "山庄镇中心厨房"
KINDS = (VillagePointKind.HAPPINESS_HOME, VillagePointKind.VILLAGE_COMMITTEE, VillagePointKind.SHOP)
SURNAMES = (("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"),
            ("Zhao", "赵"), ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"))
GIVEN = (("Guifang", "桂芳"), ("Shulan", "淑兰"), ("Jianguo", "建国"), ("Xiuying", "秀英"), ("Deming", "德明"),
         ("Yulan", "玉兰"), ("Fuqiang", "富强"), ("Cuihua", "翠花"), ("Baoshan", "宝山"), ("Fengying", "凤英"))


@dataclass(frozen=True)
class SeededCounty:
    site: MealSite
    points: int
    seniors: int
    cars: int
    volunteers: int
    orders: int

    def summary(self) -> str:
        return (f"County: {self.site.name}, {self.points} village points, {self.seniors} seniors, {self.cars} cars, "
                f"{self.volunteers} walking volunteers; {self.orders} lunch orders today")


def county_site() -> MealSite | None:
    return db.session.scalar(sa.select(MealSite).where(MealSite.name == KITCHEN_NAME))


def _name(k: int) -> tuple[str, str]:
    (sur, sur_zh), (given, given_zh) = SURNAMES[k % len(SURNAMES)], GIVEN[(k // len(SURNAMES)) % len(GIVEN)]
    return f"{sur} {given}", f"{sur_zh}{given_zh}"


def seed_county(today: date, *, seed: int = 0, seniors: int = 300, points: int | None = None,
                staff: User | None = None) -> SeededCounty:
    """Store the generated county (once: an existing county kitchen is returned as it is) and today's orders."""
    county = generate_county(seed, seniors=seniors, points=points)
    network = county.network
    kitchen = network.kitchens[0]
    site = MealSite(name=KITCHEN_NAME, name_zh=KITCHEN_NAME_ZH, kind=SiteKind.CENTRAL_KITCHEN,
                    address="1 Township Road, Shanzhuang", address_zh="山庄镇镇府路1号", lat=kitchen.location.lat,
                    lon=kitchen.location.lon, daily_capacity=max(400, seniors + 50), hold_limit_minutes=45,
                    insulated_hold_minutes=INSULATED_HOLD // 60, circle_minutes=15, circle_mode=TravelMode.WALK,
                    timezone="Asia/Shanghai")
    db.session.add(site)
    db.session.flush()
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(10, 45), end_time=time(11, 45)))
    rows: dict[str, VillagePoint] = {}
    for j, p in enumerate(network.points):
        row = VillagePoint(site_id=site.id, name=p.names["en"], name_zh=p.names["zh"], kind=KINDS[j % len(KINDS)],
                           address=f"{p.names['en']}, Shanzhuang", address_zh=f"山庄镇{p.names['zh']}",
                           lat=p.location.lat, lon=p.location.lon, dine_in=bool(p.seats), seats=p.seats,
                           unload_minutes=p.unload // 60)
        db.session.add(row)
        rows[p.id] = row
    db.session.flush()
    start = date(today.year, 1, 1)
    for k, s in enumerate(county.seniors):
        name, name_zh = _name(k)
        point = rows[s.point_id]
        senior = Senior(full_name=name, full_name_zh=name_zh, date_of_birth=date(1938 + k % 15, 1 + k % 12, 1 + k % 28),
                        address=f"{point.name}, house {k + 1}", address_zh=f"{point.name_zh}{k + 1}号",
                        lat=s.location.lat, lon=s.location.lon, geocode_status=GeocodeStatus.MANUAL,
                        home_site_id=site.id, village_point_id=point.id, lives_alone=k % 3 == 0)
        db.session.add(senior)
        db.session.flush()
        db.session.add(MealEnrollment(senior_id=senior.id, site_id=site.id, meal=MealType.LUNCH,
                                      mode=MealMode.DINE_IN if s.dines_in else MealMode.DELIVERY, start_date=start))
    people = []
    for w in network.trunk_workers:
        n = int(w.id.removeprefix("van"))
        people.append((Worker(full_name=f"Driver {n} (county car)", full_name_zh=f"送餐车司机{n}", kind=WorkerKind.DRIVER,
                              travel_mode=TravelMode.CAR, capacity_meals=w.capacity[0], home_site_id=site.id), w))
    for w in network.volunteers:
        point = rows[w.depot]
        n = w.id.rsplit("-v", 1)[1]
        people.append((Worker(full_name=f"{point.name} volunteer {n}", full_name_zh=f"{point.name_zh}志愿者{n}",
                              kind=WorkerKind.VOLUNTEER, travel_mode=TravelMode.WALK, capacity_meals=w.capacity[0],
                              home_site_id=site.id, village_point_id=point.id), w))
    for worker, w in people:
        db.session.add(worker)
        db.session.flush()
        db.session.add(WorkerSkill(worker_id=worker.id, skill=Skill.MEAL_DELIVERY))
        for weekday in range(7):
            db.session.add(WorkerShift(worker_id=worker.id, site_id=site.id, weekday=weekday,
                                       start_time=_clock(w.shift.start), end_time=_clock(w.shift.end)))
    if staff is not None:
        db.session.add(StaffSite(user_id=staff.id, site_id=site.id))
    db.session.flush()
    made = order_service.generate_orders(site, today)
    return SeededCounty(site, len(rows), len(county.seniors), len(network.trunk_workers), len(network.volunteers),
                        made.created)


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60)
