"""Builders for plans, routes, stops, meal orders, visit requests and alerts, without the planner.

Times are given as site-local ``"HH:MM"`` strings on ``DAY`` and stored in UTC,
as the planner would store them.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, Stop, StopKind
from dispatch.models.service_request import RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite, MealType, MealWindow
from tests import testclock

DAY = date(2024, 5, 31)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hhmm: str, day: date = DAY, zone=SHANGHAI) -> datetime:
    """A site-local wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, time.fromisoformat(hhmm), zone).astimezone(timezone.utc)


def add_lunch_window(site: MealSite) -> MealSite:
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    db.session.commit()
    return site


def meal_order(senior, site, *, day: date = DAY, meal: MealType = MealType.LUNCH, diet=None,
               mode: MealMode = MealMode.DELIVERY, status: MealOrderStatus = MealOrderStatus.ORDERED) -> MealOrder:
    order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=day, meal=meal, mode=mode,
                      diet=diet or senior.diet, status=status)
    db.session.add(order)
    db.session.commit()
    return order


def visit_request(senior, site, *, day: date = DAY, service: ServiceType = ServiceType.BATHING,
                  start: str = "14:00", end: str = "16:00", minutes: int = 45, notes: str = "") -> ServiceRequest:
    request = ServiceRequest(senior_id=senior.id, site_id=site.id, service_type=service, requested_date=day,
                             window_start=time.fromisoformat(start), window_end=time.fromisoformat(end),
                             duration_minutes=minutes, status=RequestStatus.SCHEDULED, notes=notes)
    db.session.add(request)
    db.session.commit()
    return request


def plan(site, *, day: date = DAY, meal: MealType | None = MealType.LUNCH,
         status: PlanStatus = PlanStatus.PUBLISHED, version_number: int = 1) -> Plan:
    record = Plan(site_id=site.id, service_date=day, kind=PlanKind.MEALS if meal else PlanKind.VISITS, meal=meal,
                  status=status, version_number=version_number)
    db.session.add(record)
    db.session.commit()
    return record


def route(plan_record: Plan, worker, *, position: int = 0, start: str | None = "10:45",
          end: str | None = "12:40", distance_m: int = 5400, travel_seconds: int = 1800) -> Route:
    day = plan_record.service_date
    record = Route(plan_id=plan_record.id, worker_id=worker.id, position=position,
                   start_dt=local(start, day) if start else None, end_dt=local(end, day) if end else None,
                   distance_m=distance_m, travel_seconds=travel_seconds)
    db.session.add(record)
    db.session.commit()
    return record


def stop(route_record: Route, position: int, senior, *, order: MealOrder | None = None,
         request: ServiceRequest | None = None, window: tuple[str, str] = ("11:00", "12:30"),
         eta: str | None = None, day: date = DAY) -> Stop:
    record = Stop(
        route_id=route_record.id, position=position, kind=StopKind.VISIT if request else StopKind.MEAL,
        senior_id=senior.id, meal_order_id=order.id if order else None,
        service_request_id=request.id if request else None,
        window_start_dt=local(window[0], day), window_end_dt=local(window[1], day),
        eta_dt=local(eta, day) if eta else None,
    )
    db.session.add(record)
    db.session.commit()
    return record


def alert(senior, site, *, stop_record: Stop | None = None, kind: AlertKind = AlertKind.NOT_HOME_LIVES_ALONE,
          severity: AlertSeverity = AlertSeverity.HIGH, raised: datetime | None = None) -> WelfareAlert:
    record = WelfareAlert(senior_id=senior.id, site_id=site.id, stop_id=stop_record.id if stop_record else None,
                          kind=kind, severity=severity, status=AlertStatus.OPEN,
                          raised_dt=raised or testclock.now() - timedelta(minutes=2))
    db.session.add(record)
    db.session.commit()
    return record
