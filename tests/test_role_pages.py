"""The first page of each role: a worker's route today, a family's seniors, the admins' users.

Each role sees only what it may: a worker their own published stops, a family
member their linked seniors (404 for anyone else's), an admin every account.
"""
from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import (
    AlertKind,
    AlertSeverity,
    AuditEvent,
    FamilyLink,
    MealHold,
    MealMode,
    MealOrder,
    MealSite,
    MealType,
    Plan,
    PlanKind,
    PlanStatus,
    RequestStatus,
    Route,
    SeniorCategory,
    SeniorCategoryType,
    ServiceRequest,
    ServiceType,
    StaffSite,
    Stop,
    StopKind,
    StopOutcome,
    User,
    WelfareAlert,
    WorkerShift,
)
from dispatch.models.senior import Diet
from tests import testclock
from tests.factories import (
    FreshContextClient,
    create_senior,
    create_site,
    create_user,
    create_worker,
    login_as,
)


@pytest.fixture(autouse=True)
def _one_app_context_per_request(app):
    app.test_client_class = FreshContextClient


# Builders ---------------------------------------------------------------------------

def local_today(site: MealSite) -> date:
    return testclock.now(ZoneInfo(site.timezone)).date()


def at(site: MealSite, day: date, hh: int, mm: int = 0) -> datetime:
    """A site-local wall-clock time as the aware UTC instant the database stores."""
    return datetime.combine(day, time(hh, mm), ZoneInfo(site.timezone)).astimezone(timezone.utc)


def make_plan(site: MealSite, *, status=PlanStatus.PUBLISHED, day: date | None = None, kind=PlanKind.MEALS) -> Plan:
    plan = Plan(site_id=site.id, service_date=day or local_today(site), kind=kind,
                meal=MealType.LUNCH if kind == PlanKind.MEALS else None, status=status)
    db.session.add(plan)
    db.session.commit()
    return plan


def add_route(plan: Plan, worker, seniors, *, position: int = 0, start_hour: int = 11) -> Route:
    """A route through ``seniors`` in the given order: meal stops on meal plans, visits otherwise."""
    site = db.session.get(MealSite, plan.site_id)
    route = Route(plan_id=plan.id, worker_id=worker.id, position=position)
    db.session.add(route)
    db.session.flush()
    for i, senior in enumerate(seniors):
        window = (at(site, plan.service_date, start_hour, 10 * i), at(site, plan.service_date, start_hour + 1, 10 * i))
        stop = Stop(route_id=route.id, position=i, senior_id=senior.id, window_start_dt=window[0],
                    window_end_dt=window[1], eta_dt=window[0] + timedelta(minutes=5))
        if plan.kind == PlanKind.MEALS:
            order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=plan.service_date,
                              meal=MealType.LUNCH, mode=MealMode.DELIVERY, diet=senior.diet)
            db.session.add(order)
            db.session.flush()
            stop.kind, stop.meal_order_id = StopKind.MEAL, order.id
        else:
            request = ServiceRequest(senior_id=senior.id, site_id=site.id, service_type=ServiceType.BATHING,
                                     requested_date=plan.service_date, window_start=time(14), window_end=time(16),
                                     duration_minutes=45, status=RequestStatus.SCHEDULED)
            db.session.add(request)
            db.session.flush()
            stop.kind, stop.service_request_id = StopKind.VISIT, request.id
        db.session.add(stop)
    db.session.commit()
    return route


def worker_login(site: MealSite | None = None):
    site = site or create_site(phone="021-5555 0101")
    user = create_user("worker")
    return user, create_worker(site, user=user)


def status_for(client, path: str, method: str = "get") -> int:
    return getattr(client, method)(path).status_code


# Every role lands on its home -----------------------------------------------------------

@pytest.mark.parametrize("role, home, text", [
    ("worker", "/worker/today", "Your shifts today"),
    ("family", "/family/", "My family"),
    ("admin", "/admin/users", "Create a user"),
])
def test_each_role_logs_in_and_lands_on_its_home(client, role, home, text):
    site = create_site()
    if role == "worker":
        worker_login(site)
        user = db.session.scalar(sa.select(User).order_by(User.id.desc()))
    else:
        user = create_user(role, seniors=[create_senior(site)] if role == "family" else ())
    login_as(client, user)

    if role != "admin":  # admins start on the staff pages, which oversee everything
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"].endswith(home)
    page = client.get(home)
    assert page.status_code == 200
    assert text in page.get_data(as_text=True)


def test_the_nav_shows_each_role_only_its_own_pages(client):
    user, _ = worker_login()
    login_as(client, user)
    html = client.get("/worker/today").get_data(as_text=True)
    assert 'href="/worker/today"' in html
    assert 'href="/family/"' not in html and 'href="/admin/users"' not in html


# Worker --------------------------------------------------------------------------------

def test_a_worker_sees_their_published_stops_in_order_with_call_and_map_links(client):
    site = create_site(phone="021-5555 0101")
    user, worker = worker_login(site)
    first = create_senior(site, full_name="Chen Jian", phone="138 0013 8000", access_notes="Gate code 4411",
                          diet=Diet.DIABETIC, allergies="peanuts", lat=31.2301, lon=121.4701)
    second = create_senior(site, full_name="Wang Fang", phone="+86 139-0000-0000")
    stranger = create_senior(site, full_name="Liu Other")
    other_worker = create_worker(site)
    plan = make_plan(site)
    add_route(plan, worker, [second, first], position=0)  # Wang first, then Chen
    add_route(plan, other_worker, [stranger], position=1)
    login_as(client, user)

    response = client.get("/worker/today")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Wang Fang") < html.index("Chen Jian")
    assert "Liu Other" not in html  # another worker's stop
    assert 'href="tel:13800138000"' in html and 'href="tel:+8613900000000"' in html
    # One directions button, into the map app the worker chose (OpenStreetMap until they choose).
    assert "openstreetmap.org/?mlat=31.230100&amp;mlon=121.470100" in html
    assert 'href="geo:' not in html and "uri.amap.com/marker" not in html
    assert client.post("/worker/settings/map-app", data={"map_app": "phone"}).status_code == 303
    html = client.get("/worker/today").get_data(as_text=True)
    assert 'href="geo:31.230100,121.470100' in html and "openstreetmap.org/?mlat" not in html
    assert client.post("/worker/settings/map-app", data={"map_app": "amap"}).status_code == 303
    html = client.get("/worker/today").get_data(as_text=True)
    assert "uri.amap.com/marker" in html and 'href="geo:' not in html
    assert "Gate code 4411" in html and "Diabetic" in html and "peanuts" in html
    # Times in the site's timezone (Asia/Shanghai): the first window opens at 11:00 local.
    assert "11:00\u202fAM–" in html and "ETA 11:05\u202fAM" in html  # English: the locale's 12-hour time
    assert 'href="tel:02155550101"' in html  # call the site


def test_a_worker_sees_a_recorded_outcome_and_visit_details(client):
    site = create_site()
    user, worker = worker_login(site)
    senior = create_senior(site, full_name="Zhang Wei")
    route = add_route(make_plan(site, kind=PlanKind.VISITS, status=PlanStatus.IN_PROGRESS), worker, [senior])
    stop = route.stops[0]
    stop.outcome, stop.outcome_note, stop.outcome_dt = StopOutcome.COMPLETED, "bath done", testclock.now()
    db.session.commit()
    login_as(client, user)

    html = client.get("/worker/today").get_data(as_text=True)
    assert "Zhang Wei" in html and "Bathing" in html and "45 min" in html
    assert "Completed" in html and "bath done" in html


@pytest.mark.parametrize("plan_kwargs", [
    {"status": PlanStatus.DRAFT},  # staff are still editing it
    {"status": PlanStatus.CLOSED},
    {"day": "yesterday"},
])
def test_a_worker_does_not_see_drafts_closed_plans_or_other_days(client, plan_kwargs):
    site = create_site()
    user, worker = worker_login(site)
    if plan_kwargs.get("day") == "yesterday":
        plan_kwargs = {"day": local_today(site) - timedelta(days=1)}
    add_route(make_plan(site, **plan_kwargs), worker, [create_senior(site, full_name="Hidden Senior")])
    login_as(client, user)

    html = client.get("/worker/today").get_data(as_text=True)
    assert "Hidden Senior" not in html
    assert "No route published for you today yet." in html


def test_a_worker_without_a_route_sees_the_empty_message_and_their_shifts(client):
    site = create_site(name="North canteen")
    user, worker = worker_login(site)
    db.session.add(WorkerShift(worker_id=worker.id, site_id=site.id, weekday=local_today(site).weekday(),
                               start_time=time(10, 30), end_time=time(14)))
    db.session.commit()
    login_as(client, user)

    response = client.get("/worker/today")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No route published for you today yet." in html
    assert "10:30\u202fAM–2:00\u202fPM" in html and "North canteen" in html


def test_a_worker_login_without_a_worker_record_is_told_so(client):
    login_as(client, create_user("worker"))
    response = client.get("/worker/today")
    assert response.status_code == 200
    assert "not linked to a worker record" in response.get_data(as_text=True)


# Family -------------------------------------------------------------------------------

@pytest.fixture
def families():
    """Two families, each linked to one senior, with meals, a hold, a request and an alert."""
    site = create_site(name="East canteen", phone="021-6666 0202")
    mine = create_senior(site, full_name="Zhang Wei", access_notes="Key under the mat")
    theirs = create_senior(site, full_name="Other Family Senior")
    db.session.add(SeniorCategory(senior_id=mine.id, category=SeniorCategoryType.EXTREME_POVERTY))
    day = local_today(site)
    db.session.add_all([
        MealOrder(senior_id=mine.id, site_id=site.id, service_date=day + timedelta(days=1), meal=MealType.LUNCH,
                  mode=MealMode.DELIVERY, diet=Diet.SOFT),
        MealHold(senior_id=mine.id, start_date=day + timedelta(days=3), end_date=day + timedelta(days=5),
                 reason="Hospital stay"),
        ServiceRequest(senior_id=mine.id, site_id=site.id, service_type=ServiceType.BATHING,
                       requested_date=day + timedelta(days=2), window_start=time(14), window_end=time(16),
                       duration_minutes=45, status=RequestStatus.APPROVED),
        WelfareAlert(senior_id=mine.id, site_id=site.id, kind=AlertKind.NO_ANSWER, severity=AlertSeverity.HIGH),
    ])
    db.session.commit()
    me = create_user("family", seniors=[mine])
    other = create_user("family", seniors=[theirs])
    return {"site": site, "mine": mine, "theirs": theirs, "me": me, "other": other}


def test_a_family_member_sees_their_linked_senior_with_meals_requests_and_alerts(client, families):
    login_as(client, families["me"])
    response = client.get("/family/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Zhang Wei" in html and "Other Family Senior" not in html
    assert "Bathing" in html and "Approved" in html and "2:00\u202fPM–4:00\u202fPM" in html
    assert "Hospital stay" in html
    assert "No answer" in html and "Open" in html  # the alert: kind and status


def test_a_family_member_opens_their_senior_without_staff_only_notes(client, families):
    login_as(client, families["me"])
    response = client.get(f"/family/seniors/{families['mine'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Zhang Wei" in html and "East canteen" in html and 'href="tel:02166660202"' in html
    assert "Extreme poverty" not in html and "extreme_poverty" not in html  # subsidy category
    assert "Key under the mat" not in html  # access notes are for workers
    assert "Other Family Senior" not in html


def test_a_family_member_sees_how_a_visit_went(client, families):
    site, mine = families["site"], families["mine"]
    worker = create_worker(site)
    route = add_route(make_plan(site, kind=PlanKind.VISITS), worker, [mine])
    stop = route.stops[0]
    stop.outcome, stop.outcome_note = StopOutcome.COMPLETED, "skin check fine"
    stop.outcome_dt = testclock.now()
    stop.service_request.status = RequestStatus.COMPLETED
    db.session.commit()
    login_as(client, families["me"])

    html = client.get(f"/family/seniors/{mine.id}").get_data(as_text=True)
    assert "Completed" in html and "skin check fine" in html
    assert worker.full_name not in html


@pytest.mark.parametrize("which", ["theirs", "missing", "huge"])
def test_a_family_member_gets_404_for_any_other_senior(client, families, which):
    login_as(client, families["me"])
    senior_id = {"theirs": families["theirs"].id, "missing": 999_999, "huge": 2**40}[which]
    assert client.get(f"/family/seniors/{senior_id}").status_code == 404


@pytest.mark.parametrize("path", ["/staff/seniors", "/staff/sites", "/admin/users", "/admin/users/new",
                                  "/worker/today"])
def test_a_family_member_cannot_open_other_roles_pages(client, families, path):
    login_as(client, families["me"])
    assert client.get(path).status_code in (403, 404)


def test_a_family_member_with_no_links_is_told_so(client):
    login_as(client, create_user("family"))
    response = client.get("/family/")
    assert response.status_code == 200
    assert "No one is linked to your account yet." in response.get_data(as_text=True)


# Admin: users -------------------------------------------------------------------------------

@pytest.fixture
def admin(client):
    user = create_user("admin", email="root@example.org")
    login_as(client, user)
    return user


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


def test_admin_lists_searches_and_filters_users(client, admin):
    create_user("worker", email="li.driver@example.org", display_name="Li Ming")
    create_user("family", email="daughter@example.org", display_name="Zhang Li")
    create_user("family", email="son@example.org", display_name="Wang Bo")

    html = client.get("/admin/users").get_data(as_text=True)
    assert "li.driver@example.org" in html and "son@example.org" in html

    html = client.get("/admin/users?q=LI").get_data(as_text=True)  # email or name, any case
    assert "li.driver@example.org" in html and "daughter@example.org" in html
    assert "son@example.org" not in html

    html = client.get("/admin/users?role=family").get_data(as_text=True)
    assert "daughter@example.org" in html and "li.driver@example.org" not in html

    assert client.get("/admin/users?role=nonsense&page=abc").status_code == 200


def test_admin_user_list_paginates(client, admin, app):
    app.config["PAGE_SIZE"] = 2
    for n in range(4):
        create_user("worker", email=f"w{n}@example.org")
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 3" in first
    last = client.get("/admin/users?page=3").get_data(as_text=True)
    assert "w3@example.org" in last and "w0@example.org" not in last
    assert client.get("/admin/users?page=99").status_code == 200


def test_admin_creates_a_family_account_linked_to_a_senior(client, admin):
    senior = create_senior(create_site())
    response = client.post("/admin/users/new", data={
        "email": "New.Daughter@Example.org", "display_name": "Zhang Mei", "role": "family",
        "password": "a long enough password", "seniors": f"{senior.id}", "relation": "daughter",
    })
    assert response.status_code == 302
    user = user_by_email("new.daughter@example.org")
    assert user is not None and user.has_role("family") and user.display_name == "Zhang Mei"
    link = db.session.scalar(sa.select(FamilyLink).where(FamilyLink.user_id == user.id))
    assert link.senior_id == senior.id and link.relation == "daughter"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.entity_id == user.id and event.user_id == admin.id
    assert client.get(response.headers["Location"]).status_code == 200


def test_admin_creates_a_staff_account_for_a_site_and_a_worker_login(client, admin):
    site = create_site()
    worker = create_worker(site)
    assert client.post("/admin/users/new", data={
        "email": "coord@example.org", "role": "staff", "password": "a long enough password", "sites": [site.id],
    }).status_code == 302
    staff = user_by_email("coord@example.org")
    assert db.session.scalar(sa.select(StaffSite.site_id).where(StaffSite.user_id == staff.id)) == site.id

    assert client.post("/admin/users/new", data={
        "email": "driver@example.org", "role": "worker", "password": "a long enough password",
        "worker_id": str(worker.id),
    }).status_code == 302
    db.session.refresh(worker)
    assert worker.user_id == user_by_email("driver@example.org").id


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not-an-email"}, "email"),
    ({"password": "short"}, "password"),
    ({"role": "superuser"}, "role"),
    ({"role": "staff"}, "sites"),  # staff without a site
    ({"role": "family", "seniors": "999999"}, "seniors"),
    ({"role": "family", "seniors": "12, abc"}, "seniors"),
    ({"email": "root@example.org"}, "email"),  # already taken
])
def test_bad_input_shows_the_error_next_to_the_field_and_creates_nothing(client, admin, overrides, field):
    data = {"email": "someone@example.org", "role": "worker", "password": "a long enough password", **overrides}
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = client.post("/admin/users/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


@pytest.fixture
def target(app):
    """A worker who is logged in on their own phone."""
    user, _ = worker_login()
    phone = app.test_client()
    login_as(phone, user)
    assert phone.get("/worker/today").status_code == 200
    return user, phone


def assert_sent_to_login(phone) -> None:
    response = phone.get("/worker/today")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_a_user_ends_their_session_and_is_audited(client, admin, target):
    user, phone = target
    response = client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    assert_sent_to_login(phone)
    assert user_by_email(user.email).active is False
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity_id == user.id)) == "user.disable"

    assert client.post(f"/admin/users/{user.id}/enable").status_code == 302
    assert user_by_email(user.email).active is True


def test_log_out_everywhere_ends_the_users_other_sessions(client, admin, target):
    user, phone = target
    assert client.post(f"/admin/users/{user.id}/log-out-everywhere").status_code == 302
    assert_sent_to_login(phone)
    assert user_by_email(user.email).active is True  # only signed out, not disabled


def test_reset_two_factor_forgets_the_authenticator(client, admin):
    staff = create_user("staff", sites=[create_site()], two_factor=True)
    assert client.post(f"/admin/users/{staff.id}/reset-two-factor").status_code == 302
    assert user_by_email(staff.email).tf_primary_method is None


def test_an_admin_cannot_disable_their_own_account(client, admin):
    response = client.post(f"/admin/users/{admin.id}/disable")
    assert response.status_code == 422
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert user_by_email(admin.email).active is True
    assert client.get("/admin/users").status_code == 200  # still signed in


def test_account_changes_need_a_recent_password(client, admin, target):
    user, phone = target
    with client.session_transaction() as session:
        session["fs_paa"] = clock.time() - 3600  # logged in an hour ago
        session.pop("fs_gexp", None)
    response = client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]
    assert user_by_email(user.email).active is True
    assert phone.get("/worker/today").status_code == 200
    assert "/verify" in client.get("/admin/users/new").headers["Location"]


def test_actions_on_a_missing_user_are_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/disable").status_code == 404


class TestWithCSRF:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_an_action_without_the_form_token_is_refused(self, app):
        target_user = create_user("worker")
        admin_user = create_user("admin")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        from tests.factories import totp_code

        client.post("/login", data={"email": admin_user.email, "password": "correct horse battery staple",
                                    "csrf_token": token})
        client.post("/tf-validate", data={"code": totp_code(admin_user), "csrf_token": token})
        assert client.get("/admin/users").status_code == 200
        response = client.post(f"/admin/users/{target_user.id}/disable")
        assert response.status_code == 400
        assert user_by_email(target_user.email).active is True


# Who may open what -------------------------------------------------------------------------

ADMIN_PATHS = [("get", "/admin/users"), ("get", "/admin/users/new"), ("post", "/admin/users/new"),
               ("get", "/admin/users/1"), ("post", "/admin/users/1/disable"), ("post", "/admin/users/1/enable"),
               ("post", "/admin/users/1/log-out-everywhere"), ("post", "/admin/users/1/reset-two-factor")]


@pytest.mark.parametrize("role", ["staff", "worker", "family"])
@pytest.mark.parametrize("method, path", ADMIN_PATHS)
def test_non_admins_cannot_reach_admin_pages(client, role, method, path):
    user = create_user(role, sites=[create_site()] if role == "staff" else (), two_factor=False)
    if role == "staff":
        client.application.config["REQUIRE_2FA_FOR_STAFF"] = False
    login_as(client, user)
    assert status_for(client, path, method) in (403, 404)
    assert user_by_email(user.email).active is True


@pytest.mark.parametrize("role, path", [("family", "/worker/today"), ("worker", "/family/"),
                                        ("worker", "/family/seniors/1"), ("staff", "/family/")])
def test_roles_cannot_open_each_others_pages(client, role, path):
    client.application.config["REQUIRE_2FA_FOR_STAFF"] = False
    user = create_user(role, sites=[create_site()] if role == "staff" else (), two_factor=False)
    login_as(client, user)
    assert client.get(path).status_code in (403, 404)


@pytest.mark.parametrize("method, path", [("get", "/worker/today"), ("get", "/family/"),
                                          ("get", "/family/seniors/1"), *ADMIN_PATHS])
def test_anonymous_users_are_sent_to_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
