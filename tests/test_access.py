"""Who may see and change what: the access helpers as a matrix of users × records.

The staff, family and worker pages call these helpers; their own tests add
HTTP-level rows (a family member gets 404 for another family's senior, etc.).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_security.core import AnonymousUser
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.meals import MealMode, MealOrder
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, Stop, StopKind
from dispatch.models.senior import Diet
from dispatch.models.site import MealType
from dispatch.platform import access
from tests.factories import FreshContextClient, create_senior, create_site, create_user, create_worker, login_as

TODAY = date(2026, 3, 2)

# who: (sees senior of site A, edits it, sees site A, edits site A, sees worker of site A, edits that worker)
MATRIX = {
    "admin":           (True, True, True, True, True, True),
    "staff_a":         (True, True, True, True, True, True),
    "staff_b":         (False, False, False, False, False, False),
    "staff_a_and_b":   (True, True, True, True, True, True),
    "family_linked":   (True, False, False, False, False, False),
    "family_other":    (False, False, False, False, False, False),
    "worker_on_route": (True, False, False, False, False, False),  # based at site B, routed to A today
    "worker_a":        (False, False, True, False, True, False),  # the worker of site A themself
    "worker_draft":    (False, False, False, False, False, False),
    "anonymous":       (False, False, False, False, False, False),
}


def _route_today(worker, senior, site, *, status=PlanStatus.PUBLISHED, day=TODAY) -> Stop:
    plan = Plan(site_id=site.id, service_date=day, kind=PlanKind.MEALS, meal=MealType.LUNCH, status=status)
    order = MealOrder(senior_id=senior.id, site_id=site.id, service_date=day, meal=MealType.LUNCH,
                      mode=MealMode.DELIVERY, diet=Diet.REGULAR)
    route = Route(plan=plan, worker_id=worker.id, position=0)
    start = datetime(day.year, day.month, day.day, 3, 0, tzinfo=timezone.utc)
    db.session.add_all([plan, order, route])
    db.session.flush()
    stop = Stop(route=route, position=0, kind=StopKind.MEAL, senior_id=senior.id, meal_order_id=order.id,
                window_start_dt=start, window_end_dt=start + timedelta(hours=1))
    db.session.add(stop)
    db.session.commit()
    return stop


@pytest.fixture
def world(app):
    """Sites A and B, a senior at each, and one user per row of the matrix."""
    site_a, site_b = create_site(name="A"), create_site(name="B")
    senior_a, senior_b = create_senior(site=site_a), create_senior(site=site_b)
    worker_of_a = create_worker(site=site_a)
    w = {
        "site_a": site_a, "site_b": site_b, "senior_a": senior_a, "senior_b": senior_b, "worker_of_a": worker_of_a,
        "admin": create_user("admin"),
        "staff_a": create_user("staff", sites=[site_a]),
        "staff_b": create_user("staff", sites=[site_b]),
        "staff_a_and_b": create_user("staff", sites=[site_a, site_b]),
        "family_linked": create_user("family", seniors=[senior_a]),
        "family_other": create_user("family", seniors=[senior_b]),
        "worker_on_route": create_user("worker"),
        "worker_a": create_user("worker"),
        "worker_draft": create_user("worker"),
        "anonymous": AnonymousUser(),
    }
    on_route = create_worker(site=site_b, user=w["worker_on_route"])
    _route_today(on_route, senior_a, site_a)
    worker_of_a.user_id = w["worker_a"].id
    drafted = create_worker(site=site_b, user=w["worker_draft"])
    _route_today(drafted, senior_b, site_b, status=PlanStatus.DRAFT)
    db.session.commit()
    return w


def _allowed(get, *args, **kwargs) -> bool:
    try:
        get(*args, **kwargs)
    except NotFound:
        return False
    return True


@pytest.mark.parametrize("who", MATRIX)
def test_senior_of_site_a(world, who):
    user, senior = world[who], world["senior_a"]
    sees, edits = MATRIX[who][:2]
    assert _allowed(access.get_senior_or_404, senior.id, user, today=TODAY) is sees
    assert _allowed(access.get_senior_or_404, senior.id, user, for_edit=True) is edits
    listed = db.session.scalars(access.seniors_visible_to(user, today=TODAY)).all()
    assert (senior in listed) is sees


@pytest.mark.parametrize("who", MATRIX)
def test_site_a(world, who):
    user, site = world[who], world["site_a"]
    sees, edits = MATRIX[who][2:4]
    assert _allowed(access.get_site_or_404, site.id, user) is sees
    assert _allowed(access.get_site_or_404, site.id, user, for_edit=True) is edits
    assert (site in db.session.scalars(access.sites_visible_to(user)).all()) is sees


@pytest.mark.parametrize("who", MATRIX)
def test_worker_of_site_a(world, who):
    user, worker = world[who], world["worker_of_a"]
    sees, edits = MATRIX[who][4:6]
    assert _allowed(access.get_worker_or_404, worker.id, user) is sees
    assert _allowed(access.get_worker_or_404, worker.id, user, for_edit=True) is edits


def test_staff_of_site_a_see_only_site_a_seniors(world):
    listed = db.session.scalars(access.seniors_visible_to(world["staff_a"])).all()
    assert listed == [world["senior_a"]]


def test_a_worker_sees_the_senior_only_on_the_day_of_the_route(world):
    user = world["worker_on_route"]
    assert _allowed(access.get_senior_or_404, world["senior_a"].id, user, today=TODAY)
    assert not _allowed(access.get_senior_or_404, world["senior_a"].id, user, today=TODAY + timedelta(days=1))


def test_a_disabled_user_sees_nothing(world):
    user = world["admin"]
    user.active = False
    assert not _allowed(access.get_senior_or_404, world["senior_a"].id, user)


@pytest.mark.parametrize("raw_id", ["abc", "", None, -1, 0, 2**31, 2**63, "1e3", "1; DROP TABLE senior"])
def test_malformed_or_out_of_range_ids_are_404_not_500(world, raw_id):
    with pytest.raises(NotFound):
        access.get_senior_or_404(raw_id, world["admin"])


def test_a_missing_senior_is_404_like_a_forbidden_one(world):
    missing = db.session.scalar(sa.select(sa.func.max(access.Senior.id))) + 100
    with pytest.raises(NotFound):
        access.get_senior_or_404(missing, world["admin"])


# role_required, through a tiny view ------------------------------------------------------

@pytest.fixture
def guarded(app: Flask):
    app.test_client_class = FreshContextClient

    @app.route("/_test/staff-area")
    @access.role_required("staff")
    def staff_area():
        return "staff area"

    @app.route("/_test/family-area")
    @access.role_required("family")
    def family_area():
        return "family area"

    return app.test_client()


@pytest.mark.parametrize(
    "role, path, status",
    [
        ("staff", "/_test/staff-area", 200),
        ("admin", "/_test/staff-area", 200),  # admins oversee every area
        ("family", "/_test/staff-area", 403),
        ("worker", "/_test/staff-area", 403),
        ("family", "/_test/family-area", 200),
        ("staff", "/_test/family-area", 403),
    ],
)
def test_role_required(guarded, role, path, status):
    user = create_user(role, sites=[create_site()] if role == "staff" else ())
    login_as(guarded, user)
    assert guarded.get(path).status_code == status


def test_role_required_sends_anonymous_users_to_login(guarded):
    response = guarded.get("/_test/staff-area")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]



@pytest.mark.parametrize("role", ["worker", "family"])
@pytest.mark.parametrize("suffix", ["", "/edit", "/deactivate"])
def test_other_roles_get_404_for_a_seniors_file(client, role, suffix):
    """A worker or family member cannot even learn that a senior's staff file exists."""
    site = create_site()
    senior = create_senior(site)
    login_as(client, create_user(role))
    assert client.get(f"/staff/seniors/{senior.id}{suffix}").status_code == 404
