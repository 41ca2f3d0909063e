"""Stable plans: the same day planned twice gives the same routes, and a new version says what it changed."""
from __future__ import annotations

import json
from datetime import date

import pytest

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealMode
from dispatch.models.site import MealType
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning import search
from dispatch.services.planning.changes import changes_for, compare
from dispatch.services.planning.problem import worker_key
from tests.factories import create_senior, create_user, login_as
from tests.planning_helpers import DAY, plan_lunch, reloaded_plan, small_site


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2}


def _routes(plan) -> dict[str, list[tuple[str, str]]]:
    """Each worker's stops in order with their ETAs: what a worker and a family are told."""
    return {worker_key(r.worker_id): [(planning.stop_key(s), s.eta_dt.isoformat())
                                      for s in sorted(r.stops, key=lambda s: s.position)]
            for r in plan.routes if r.stops}


@pytest.fixture
def busy_lunch(app, client):
    s = small_site(seniors=18, drivers=3)
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    return s, staff


def test_the_same_day_planned_twice_gives_the_same_routes_and_the_page_says_so(busy_lunch, client):
    s, _staff = busy_lunch
    first = plan_lunch(client, s.site)
    second = plan_lunch(client, s.site)
    assert second.version_number == first.version_number + 1
    assert first.summary["job"]["search"]["mode"] == search.FIXED  # the default (README: why)
    assert first.summary["job"]["search"]["iterations"] == 1000 * 18
    assert sum(len(v) for v in _routes(first).values()) == 18
    assert _routes(second) == _routes(first)
    assert planning.check_plan(second) == []
    changes = changes_for(second)
    assert changes is not None and changes.none and changes.kept == 18
    page = client.get(f"/staff/plans/{second.id}").get_data(as_text=True)
    assert "Against version 1" in page and "The same routes" in page
    assert "Against version" not in client.get(f"/staff/plans/{first.id}").get_data(as_text=True)


def test_adding_one_order_to_a_published_day_moves_no_other_stop_and_says_what_changed(busy_lunch, client):
    s, _staff = busy_lunch
    plan = plan_lunch(client, s.site)
    client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    late = create_senior(s.site, full_name="Tang Xiuying", lat=31.2315, lon=121.4712)
    db.session.add(MealEnrollment(senior_id=late.id, site_id=s.site.id, meal=MealType.LUNCH,
                                  mode=MealMode.DELIVERY, start_date=date(2030, 1, 1)))
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    db.session.commit()
    r = client.post(f"/staff/plans/{plan.id}/replan")
    assert r.status_code == 302
    new = reloaded_plan(int(r.headers["Location"].split("/")[-1]))
    assert new.summary["job"]["state"] == "done", new.summary
    assert planning.check_plan(new) == []
    changes = changes_for(new)
    assert [st.senior_id for st in changes.added] == [late.id]
    assert changes.dropped == [] and changes.new_worker == []
    assert changes.kept + changes.reordered + len(changes.retimed) == 18
    page = client.get(f"/staff/plans/{new.id}").get_data(as_text=True)
    assert "Against version 1" in page and "1 stop added:" in page and "Tang Xiuying" in page
    assert "changed worker" not in page


def test_a_stop_given_to_another_worker_is_named_with_both_workers(busy_lunch, client):
    s, _staff = busy_lunch
    first = plan_lunch(client, s.site)
    second = plan_lunch(client, s.site)
    routes = [r for r in second.routes if r.stops]
    moved = sorted(routes[0].stops, key=lambda st: st.position)[-1]
    moved.route = routes[1]
    moved.position = max(st.position for st in routes[1].stops) + 1
    db.session.commit()
    changes = compare(first, reloaded_plan(second.id))
    assert [(m.after.id, m.before.route.worker_id, m.after.route.worker_id) for m in changes.new_worker] == [
        (moved.id, routes[0].worker_id, routes[1].worker_id)]
    assert not changes.none
    page = client.get(f"/staff/plans/{second.id}").get_data(as_text=True)
    assert "1 stop changed worker" in page
    assert f"{routes[0].worker.full_name} → {routes[1].worker.full_name}" in page


def test_the_cli_plans_with_the_search_asked_for_and_refuses_another(busy_lunch, app):
    s, _staff = busy_lunch
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plan", "--site", str(s.site.id), "--date", DAY.isoformat(), "--meal", "lunch",
                                 "--search", "time"])
    assert result.exit_code == 0, result.output
    job = json.loads(result.output.strip().splitlines()[-1])["job"]
    assert job["search"] == {"mode": "time", "time_limit": 2.0}
    bad = runner.invoke(args=["plan", "--site", str(s.site.id), "--date", DAY.isoformat(), "--meal", "lunch",
                              "--search", "fastest"])
    assert bad.exit_code == 2 and "--search" in bad.output


def test_a_setting_that_is_neither_fixed_nor_time_is_refused():
    with pytest.raises(ValueError, match="PLAN_SEARCH"):
        search.budget_for(10, 10, {"PLAN_SEARCH": "quick"})
    budget = search.budget_for(40, 10, {"PLAN_SEARCH_SOLUTIONS": 20, "PLAN_SEARCH_ITERATIONS_PER_STOP": 100,
                                        "PLAN_SEARCH_CAP": 3})
    assert (budget.mode, budget.solutions, budget.iterations, budget.time_limit) == ("fixed", 20, 4000, 30)
