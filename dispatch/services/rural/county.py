"""From the database to a county network (``routing.network``): a kitchen, its village points, both legs' people.

Ids follow planning's: the kitchen is ``site<id>``, a village point ``vp<id>``, a door meal ``m<order id>``,
a worker ``w<worker id>``. The trunk's cars are the kitchen's meal workers on shift whose travel mode is car
and who belong to no village point; a point's volunteers are the workers on shift whose village point it is.
A senior's village point and meal mode say how they are fed: a dine-in order is eaten at the point, a
delivery order is walked from it. The meal window is when the batches may reach the points.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from dispatch import routing
from dispatch.models.meals import MealMode, MealOrder
from dispatch.models.plan import PlanKind
from dispatch.models.site import MealSite, MealType, TravelMode
from dispatch.models.village import VillagePoint
from dispatch.models.worker import Worker
from dispatch.platform import clock
from dispatch.platform.datefmt import date_text
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label, shown_name
from dispatch.routing.location import InvalidProblem
from dispatch.routing.network import NetworkProblem
from dispatch.routing.network import VillagePoint as NetworkPoint
from dispatch.services.meals import orders as order_service
from dispatch.services.planning.problem import (
    MEAL_SERVICE_SECONDS,
    DayFrame,
    depot_key,
    meal_key,
    shift_workers,
    window_of,
    worker_key,
)
from dispatch.services.rural.points import check_reach, hold_minutes, points_of
from dispatch.services.rural.travel import county_travel

NO_POINT = "NO_POINT"  # a delivered meal of a senior with no village point of this kitchen
NO_VOLUNTEER = "NO_VOLUNTEER"  # a point's door meal when no volunteer of the point is on shift
NO_TABLE = "NO_TABLE"  # a dine-in meal at a point where nobody dines
NO_LOCATION = "NO_LOCATION"


def point_key(point_id: int) -> str:
    return f"vp{point_id}"


def point_id_of(key: str) -> int:
    return int(key[2:])


@dataclass
class CountyBuilt:
    """The network of one kitchen's meal and what its ids stand for."""

    network: NetworkProblem
    frame: DayFrame
    site: MealSite
    window: tuple[int, int]
    points: dict[str, VillagePoint] = field(default_factory=dict)
    orders: dict[str, MealOrder] = field(default_factory=dict)
    dine_in: dict[str, list[MealOrder]] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def senior_id(self, key: str) -> int:
        return self.orders[key].senior_id


def check_site(site: MealSite) -> None:
    """The kitchen settings a county plan relies on (the site form refuses them too; rows from elsewhere may not)."""
    if site.packing_rate is not None and site.packing_rate < 1:
        raise FieldError("packing_rate", _("The kitchen's packing rate must be at least one meal per 10 minutes."))
    if site.trunk_trip_meals is not None and site.trunk_trip_meals < 1:
        raise FieldError("trunk_trip_meals", _("A trunk trip must carry at least one meal."))
    if site.insulated_hold_minutes is not None and site.insulated_hold_minutes <= site.hold_limit_minutes:
        raise FieldError("insulated_hold_minutes", _("The insulated-box limit must be longer than the hot hold limit "
                                                     "(%(n)s min).", n=site.hold_limit_minutes))


def is_county(site: MealSite) -> bool:
    """Whether the kitchen supplies village points (its meals are then planned as a county network)."""
    return bool(points_of(site))


def build_county(site: MealSite, day: date, meal: MealType) -> CountyBuilt:
    """The county network of ``site``'s ``meal`` on ``day``; FieldError on input no plan can be made from."""
    check_site(site)
    window = window_of(site, PlanKind.MEALS, meal)
    if window is None:
        raise FieldError("meal", _("This site serves no such meal; set its meal window first."))
    points = points_of(site)
    if not points:
        raise FieldError("site", _("This kitchen has no village points."))
    frame = DayFrame(day, clock.zone_of(site))
    by_id = {p.id: p for p in points}
    built = CountyBuilt(network=None, frame=frame, site=site, window=window)  # type: ignore[arg-type]
    built.points = {point_key(p.id): p for p in points}

    on_shift = shift_workers(site, day, PlanKind.MEALS, window)
    cars, volunteers = [], []
    for worker, shift in on_shift:
        span = routing.TimeWindow(DayFrame.clock(shift.start_time), DayFrame.clock(shift.end_time))
        key = worker_key(worker.id)
        if worker.village_point_id in by_id:
            built.workers[key] = worker
            volunteers.append(routing.Worker(key, span, depot=point_key(worker.village_point_id),
                                             capacity=(worker.capacity_meals,), mode=worker.travel_mode.value,
                                             max_work=worker.max_minutes_per_day * 60))
        elif worker.village_point_id is None and worker.travel_mode == TravelMode.CAR:
            trip = site.trunk_trip_meals or worker.capacity_meals
            if trip < 1:
                raise FieldError("trunk_trip_meals", _("A trunk trip must carry at least one meal."))
            built.workers[key] = worker
            cars.append(routing.Worker(key, span, depot=depot_key(site), capacity=(trip,), mode="car",
                                       max_work=worker.max_minutes_per_day * 60))
    if not cars:
        raise FieldError("site", _("Nobody with a car is on shift to take the batches out on %(day)s.",
                                   day=date_text(day)))
    staffed = {v.depot for v in volunteers}

    door: list[routing.Stop] = []
    dine: dict[str, int] = {}
    for order in order_service.open_orders(site, day, meal, mode=None):
        senior = order.senior
        point = by_id.get(senior.village_point_id)
        key = meal_key(order.id)
        if point is None:
            if order.mode == MealMode.DELIVERY:
                built.skipped.append({"stop": key, "reason": NO_POINT, "senior_id": senior.id,
                                      "message": "the senior has no village point of this kitchen"})
            continue
        pkey = point_key(point.id)
        if order.mode == MealMode.DINE_IN:
            if not point.dine_in:
                built.skipped.append({"stop": key, "reason": NO_TABLE, "senior_id": senior.id,
                                      "message": "nobody dines at the senior's village point"})
                continue
            built.dine_in.setdefault(pkey, []).append(order)
            dine[pkey] = dine.get(pkey, 0) + 1
            continue
        if senior.lat is None or senior.lon is None:
            built.skipped.append({"stop": key, "reason": NO_LOCATION, "senior_id": senior.id,
                                  "message": "the senior's address has no coordinates"})
            continue
        if pkey not in staffed:
            built.skipped.append({"stop": key, "reason": NO_VOLUNTEER, "senior_id": senior.id,
                                  "message": "no volunteer of the village point is on shift"})
            continue
        built.orders[key] = order
        door.append(routing.Stop(key, routing.Location(senior.lat, senior.lon), demand=(1,),
                                 service=MEAL_SERVICE_SECONDS, hot_meal=True, depot=pkey, senior_id=str(senior.id)))
    served = {s.depot for s in door} | set(dine)
    if not served:
        raise FieldError("meal", _("%(meal)s: no orders through village points on %(day)s; generate the day's "
                                   "orders first.", meal=label(meal), day=date_text(day)))
    network_points = []
    for pkey in sorted(served, key=point_id_of):
        p = built.points[pkey]
        check_reach(site, shown_name(p), p.lat, p.lon, p.unload_minutes, field="village_point")
        if p.dine_in and p.seats is not None and dine.get(pkey, 0) > p.seats:
            raise FieldError("seats", _("%(point)s seats %(seats)s but %(n)s seniors dine there on %(day)s.",
                                        point=shown_name(p), seats=p.seats, n=dine[pkey], day=date_text(day)))
        network_points.append(NetworkPoint(pkey, routing.Location(p.lat, p.lon), depot_key(site),
                                           routing.TimeWindow(*window), dine_in=dine.get(pkey, 0),
                                           seats=p.seats if p.dine_in else None, unload=p.unload_minutes * 60,
                                           names={"en": p.name, "zh": p.name_zh or p.name}))
    kitchen = routing.Depot(depot_key(site), routing.Location(site.lat, site.lon))
    try:
        built.network = NetworkProblem((kitchen,), tuple(network_points), tuple(door), tuple(cars),
                                       tuple(v for v in volunteers if v.depot in served), hold_minutes(site) * 60,
                                       county_travel(), name=site.name)
        built.network.trunk_problem()  # a point no car can reach in time is refused here, naming the rule
    except InvalidProblem as error:
        raise FieldError("village_point", _("The county cannot be planned: %(why)s", why=str(error))) from None
    return built
