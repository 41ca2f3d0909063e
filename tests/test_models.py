"""The data model's own rules: constraints the database enforces and helpers on the models."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dispatch.extensions import db
from dispatch.models import (
    TRANSITIONS,
    AuditEvent,
    Diet,
    MealEnrollment,
    MealMode,
    MealOrder,
    MealSite,
    MealType,
    MealWindow,
    Plan,
    PlanKind,
    RequestStatus,
    Role,
    RoleName,
    Route,
    Senior,
    SeniorCategory,
    SeniorCategoryType,
    ServiceRequest,
    ServiceType,
    StaffSite,
    Stop,
    StopKind,
    SubsidyRule,
    User,
    UTCDateTime,
    Worker,
    WorkerKind,
    WorkerShift,
    weekdays_to_mask,
)
from tests import testclock

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 3, 12)


# --- small factories (shared ones will live in tests/factories.py) ---------------------------

def add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def make_site(**kw) -> MealSite:
    fields = dict(name="Lane 5 Canteen", address="1 Canteen Rd", lat=31.23, lon=121.47)
    return add(MealSite(**{**fields, **kw}))


def make_senior(**kw) -> Senior:
    fields = dict(full_name="Wang Fang", date_of_birth=date(1940, 5, 1), address="2 Lane 3", lat=31.231, lon=121.471)
    return add(Senior(**{**fields, **kw}))


def make_worker(site: MealSite, **kw) -> Worker:
    return add(Worker(**{**dict(full_name="Li Wei", kind=WorkerKind.DRIVER, home_site_id=site.id), **kw}))


def make_order(senior: Senior, site: MealSite, **kw) -> MealOrder:
    fields = dict(senior_id=senior.id, site_id=site.id, service_date=DAY, meal=MealType.LUNCH,
                  mode=MealMode.DELIVERY, diet=Diet.REGULAR)
    return add(MealOrder(**{**fields, **kw}))


def make_request(senior: Senior, site: MealSite, **kw) -> ServiceRequest:
    fields = dict(senior_id=senior.id, site_id=site.id, service_type=ServiceType.BATHING, requested_date=DAY,
                  window_start=time(14), window_end=time(17), duration_minutes=45)
    return add(ServiceRequest(**{**fields, **kw}))


def make_route(site: MealSite, worker: Worker, **plan_kw) -> Route:
    plan = add(Plan(**{**dict(site_id=site.id, service_date=DAY, kind=PlanKind.MEALS, meal=MealType.LUNCH), **plan_kw}))
    return add(Route(plan_id=plan.id, worker_id=worker.id, position=0))


def stop_fields(route: Route, senior: Senior, **kw) -> dict:
    start = datetime(2025, 3, 12, 3, 0, tzinfo=timezone.utc)
    return {**dict(route_id=route.id, position=0, kind=StopKind.MEAL, senior_id=senior.id,
                   window_start_dt=start, window_end_dt=start + timedelta(minutes=45)), **kw}


@pytest.fixture
def site(app):
    return make_site()


@pytest.fixture
def senior(site):
    return make_senior(home_site_id=site.id)


# --- constraints -----------------------------------------------------------------------------

def test_a_second_order_for_the_same_senior_day_and_meal_is_rejected(site, senior):
    make_order(senior, site)
    with pytest.raises(IntegrityError):
        make_order(senior, site, mode=MealMode.DINE_IN)


def test_the_same_senior_may_have_lunch_and_dinner_on_one_day(site, senior):
    make_order(senior, site)
    make_order(senior, site, meal=MealType.DINNER)


def test_meal_window_must_end_after_it_starts(site):
    with pytest.raises(IntegrityError, match="end_after_start"):
        add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(12, 30), end_time=time(11)))


@pytest.mark.parametrize(
    "fields",
    [
        {"daily_capacity": -1},
        {"hold_limit_minutes": 0},
        {"hold_limit_minutes": 241},
        {"lat": 91.0},
        {"lon": -181.0},
    ],
)
def test_site_rejects_out_of_range_values(app, fields):
    with pytest.raises(IntegrityError):
        make_site(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"window_start": time(17), "window_end": time(14)},
        {"duration_minutes": 0},
        {"duration_minutes": 481},
        {"priority": 0},
        {"priority": 6},
    ],
)
def test_service_request_rejects_bad_windows_durations_and_priorities(site, senior, fields):
    with pytest.raises(IntegrityError):
        make_request(senior, site, **fields)


@pytest.mark.parametrize("fields", [{"capacity_meals": -1}, {"max_minutes_per_day": 0}])
def test_worker_rejects_negative_capacity_and_zero_hours(site, fields):
    with pytest.raises(IntegrityError):
        make_worker(site, **fields)


def test_worker_shift_needs_a_real_weekday(site):
    worker = make_worker(site)
    with pytest.raises(IntegrityError, match="weekday_range"):
        add(WorkerShift(worker_id=worker.id, site_id=site.id, weekday=7, start_time=time(9), end_time=time(17)))


@pytest.mark.parametrize("weekdays", [0, 128])
def test_enrollment_weekday_mask_must_name_at_least_one_real_day(site, senior, weekdays):
    with pytest.raises(IntegrityError):
        add(MealEnrollment(senior_id=senior.id, site_id=site.id, meal=MealType.LUNCH, weekdays=weekdays,
                           start_date=DAY))


def test_subsidy_money_cannot_be_negative(site):
    with pytest.raises(IntegrityError, match="money_nonneg"):
        add(SubsidyRule(valid_from=DAY, meal_price_cents=1200, subsidy_cents=-1))


def test_senior_category_is_held_once(senior):
    senior.categories.append(SeniorCategory(category=SeniorCategoryType.LOW_INCOME))
    db.session.flush()
    with pytest.raises(IntegrityError):
        add(SeniorCategory(senior_id=senior.id, category=SeniorCategoryType.LOW_INCOME))


def test_database_check_rejects_an_unknown_enum_value_written_behind_the_orm(site, senior):
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE senior SET diet = 'chocolate' WHERE id = :id"), {"id": senior.id}
        )


def test_orm_refuses_an_unknown_enum_string(site):
    with pytest.raises(StatementError):
        make_site(kind="food_truck")


def test_visit_plans_are_versioned_uniquely_even_without_a_meal(site):
    add(Plan(site_id=site.id, service_date=DAY, kind=PlanKind.VISITS))
    with pytest.raises(IntegrityError):
        add(Plan(site_id=site.id, service_date=DAY, kind=PlanKind.VISITS))


def test_meal_plan_must_name_its_meal(site):
    with pytest.raises(IntegrityError, match="meal_matches_kind"):
        add(Plan(site_id=site.id, service_date=DAY, kind=PlanKind.MEALS))


# --- stops: exactly one subject, matching the kind ---------------------------------------------

def test_meal_stop_with_its_order_is_accepted(site, senior):
    route = make_route(site, make_worker(site))
    order = make_order(senior, site)
    stop = add(Stop(**stop_fields(route, senior, meal_order_id=order.id)))
    assert stop.meal_order is order


@pytest.mark.parametrize("subject", ["neither", "both", "wrong_kind"])
def test_stop_rejects_missing_double_or_mismatched_subject(site, senior, subject):
    route = make_route(site, make_worker(site))
    order = make_order(senior, site)
    request = make_request(senior, site)
    fields = {
        "neither": {},
        "both": {"meal_order_id": order.id, "service_request_id": request.id},
        "wrong_kind": {"service_request_id": request.id},  # a visit's request on a meal stop
    }[subject]
    with pytest.raises(IntegrityError, match="one_subject_matching_kind"):
        add(Stop(**stop_fields(route, senior, **fields)))


def test_two_stops_cannot_share_a_position_on_a_route(site, senior):
    route = make_route(site, make_worker(site))
    add(Stop(**stop_fields(route, senior, meal_order_id=make_order(senior, site).id)))
    dinner = make_order(senior, site, meal=MealType.DINNER)
    with pytest.raises(IntegrityError):
        add(Stop(**stop_fields(route, senior, meal_order_id=dinner.id)))


# --- times -------------------------------------------------------------------------------------

def test_aware_datetimes_come_back_as_the_same_instant_in_utc(site, senior):
    route = make_route(site, make_worker(site))
    local = datetime(2025, 3, 12, 11, 20, tzinfo=SHANGHAI)
    stop = add(Stop(**stop_fields(route, senior, meal_order_id=make_order(senior, site).id, eta_dt=local)))
    db.session.commit()
    db.session.expire_all()

    eta = db.session.get(Stop, stop.id).eta_dt
    assert eta == local
    assert eta.utcoffset() == timedelta(0)
    assert eta.hour == 3


def test_naive_datetime_is_refused(site, senior):
    route = make_route(site, make_worker(site))
    fields = stop_fields(route, senior, meal_order_id=make_order(senior, site).id, eta_dt=datetime(2025, 3, 12, 11))
    with pytest.raises(StatementError) as excinfo:
        add(Stop(**fields))
    assert isinstance(excinfo.value.orig, ValueError)


def test_utc_datetime_type_refuses_naive_values_directly():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2025, 1, 1), sa.dialects.sqlite.dialect())


def test_created_dt_defaults_to_an_aware_now(site):
    db.session.commit()
    db.session.expire_all()
    created = db.session.get(MealSite, site.id).created_dt
    assert created.tzinfo is not None
    assert abs(testclock.now() - created) < timedelta(minutes=1)


# --- optimistic locking ------------------------------------------------------------------------

def test_concurrent_edit_of_a_senior_raises_stale_data(senior):
    db.session.commit()
    with Session(db.engine) as other:
        theirs = other.get(Senior, senior.id)
        theirs.access_notes = "gate code 1234"
        other.commit()

    senior.access_notes = "dog in yard"
    with pytest.raises(StaleDataError):
        db.session.commit()


def test_each_update_bumps_the_version(senior):
    db.session.commit()
    first = senior.version
    senior.phone = "13800000000"
    db.session.commit()
    assert senior.version == first + 1


# --- lifecycle and helpers ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (RequestStatus.REQUESTED, RequestStatus.APPROVED, True),
        (RequestStatus.REQUESTED, RequestStatus.DECLINED, True),
        (RequestStatus.APPROVED, RequestStatus.SCHEDULED, True),
        (RequestStatus.SCHEDULED, RequestStatus.EN_ROUTE, True),
        (RequestStatus.EN_ROUTE, RequestStatus.IN_PROGRESS, True),
        (RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED, True),
        (RequestStatus.REQUESTED, RequestStatus.COMPLETED, False),
        (RequestStatus.APPROVED, RequestStatus.IN_PROGRESS, False),
        (RequestStatus.COMPLETED, RequestStatus.CANCELLED, False),
        (RequestStatus.DECLINED, RequestStatus.APPROVED, False),
    ],
)
def test_service_request_lifecycle(start, target, allowed):
    request = ServiceRequest(status=start)
    assert request.can_move_to(target) is allowed


def test_every_status_has_a_transition_entry():
    assert set(TRANSITIONS) == set(RequestStatus)


def test_weekday_mask_round_trips():
    enrollment = MealEnrollment(weekdays=weekdays_to_mask({0, 2, 4}), start_date=DAY, is_active=True)
    assert enrollment.weekday_list == [0, 2, 4]
    assert enrollment.applies_on(DAY)  # 12 March 2025 is a Wednesday
    assert not enrollment.applies_on(DAY + timedelta(days=1))


def test_age_counts_whole_years():
    senior = Senior(date_of_birth=date(1940, 5, 1))
    assert senior.age_on(date(2025, 4, 30)) == 84
    assert senior.age_on(date(2025, 5, 1)) == 85


def test_staff_user_lists_the_sites_they_manage(site):
    user = add(User(email="coord@example.org", display_name="Coordinator", active=True, fs_uniquifier="u1"))
    user.roles.append(add(Role(name=RoleName.STAFF.value)))
    add(StaffSite(user_id=user.id, site_id=site.id))
    db.session.commit()
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.has_role("staff")
    assert user.site_ids == {site.id}


def test_audit_event_keeps_its_json_detail(app):
    event = add(AuditEvent(action="senior.read", entity_type="senior", entity_id=7, senior_id=7,
                           detail={"fields": ["phone"]}))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).detail == {"fields": ["phone"]}
