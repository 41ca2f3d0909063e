"""Kitchen page: production counts by diet and texture, loading order per route, labels."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.meals import MealMode, MealOrderStatus
from dispatch.models.plan import PlanStatus
from dispatch.models.senior import Diet
from dispatch.models.site import MealType
from dispatch.services.meals import kitchen
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, create_worker, login_as


@pytest.fixture
def day_setup(app):
    """A site with seven lunch orders of mixed diets, one cancelled, one dine-in; one route of three."""
    site = pf.add_lunch_window(create_site(name="North canteen"))
    seniors = {
        "wang": create_senior(site, full_name="Wang Fang", full_name_zh="王芳", diet=Diet.DIABETIC,
                              allergies="peanuts, shellfish"),
        "chen": create_senior(site, full_name="Chen Jun", diet=Diet.MINCED),
        "li": create_senior(site, full_name="Li Na", diet=Diet.PUREED, allergies="Peanuts"),
        "zhao": create_senior(site, full_name="Zhao Lei", diet=Diet.REGULAR),
        "sun": create_senior(site, full_name="Sun Li", diet=Diet.HALAL),
        "zhou": create_senior(site, full_name="Zhou Min", diet=Diet.SOFT),
        "gone": create_senior(site, full_name="Cancelled Person", diet=Diet.VEGETARIAN),
    }
    orders = {key: pf.meal_order(s, site) for key, s in seniors.items() if key not in ("sun", "gone")}
    orders["sun"] = pf.meal_order(seniors["sun"], site, mode=MealMode.DINE_IN)
    pf.meal_order(seniors["gone"], site, status=MealOrderStatus.CANCELLED)
    # Dinner and another day must not leak into lunch counts.
    pf.meal_order(seniors["zhao"], site, meal=MealType.DINNER)
    worker = create_worker(site, full_name="Li Wei")
    plan = pf.plan(site)
    route = pf.route(plan, worker)
    for position, key in enumerate(["wang", "chen", "li"]):
        pf.stop(route, position, seniors[key], order=orders[key], eta=f"11:{10 + 10 * position}")
    return site, seniors, orders, plan, route


def test_counts_by_diet_texture_and_mode(day_setup):
    site, *_ = day_setup
    sheet = kitchen.kitchen_sheet(site, pf.DAY, MealType.LUNCH)
    assert sheet.total == 6  # cancelled and dinner left out
    assert sheet.by_mode[MealMode.DELIVERY] == 5 and sheet.by_mode[MealMode.DINE_IN] == 1
    # Minced, pureed and soft meals use the regular recipe.
    assert sheet.by_recipe == {Diet.REGULAR: 4, Diet.DIABETIC: 1, Diet.HALAL: 1}
    assert sheet.by_texture == {"normal": 3, "minced": 1, "pureed": 1, "soft": 1}
    assert sum(sheet.by_recipe.values()) == sum(sheet.by_texture.values()) == sheet.total
    allergens = {name.casefold(): {lbl.senior.full_name for lbl in labels} for name, labels in sheet.allergens}
    assert allergens == {"peanuts": {"Wang Fang", "Li Na"}, "shellfish": {"Wang Fang"}}


def test_loading_order_is_reverse_stop_order(day_setup):
    site, seniors, orders, plan, route = day_setup
    sheet = kitchen.kitchen_sheet(site, pf.DAY, MealType.LUNCH)
    (load,) = sheet.routes
    assert [item.label.senior.full_name for item in load.items] == ["Li Na", "Chen Jun", "Wang Fang"]
    assert [item.stop_number for item in load.items] == [3, 2, 1]
    assert load.by_diet == {Diet.PUREED: 1, Diet.MINCED: 1, Diet.DIABETIC: 1}
    # Zhao and Zhou are delivered meals without a stop on the plan.
    assert {lbl.senior.full_name for lbl in sheet.unrouted} == {"Zhao Lei", "Zhou Min"}


def test_published_version_wins_over_newer_draft(day_setup):
    site, seniors, orders, plan, route = day_setup
    draft = pf.plan(site, status=PlanStatus.DRAFT, version_number=2)
    assert kitchen.current_meal_plan(site.id, pf.DAY, MealType.LUNCH).id == plan.id
    db.session.delete(db.session.get(type(plan), plan.id))
    db.session.commit()
    assert kitchen.current_meal_plan(site.id, pf.DAY, MealType.LUNCH).id == draft.id


def test_kitchen_page_shows_counts_and_says_how_to_load(client, day_setup):
    site, *_ = day_setup
    login_as(client, create_user("staff", sites=[site]))
    response = client.get(f"/staff/kitchen?site={site.id}&date=2024-05-31&meal=lunch")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="total-meals">6<', html)
    assert re.search(r'data-diet="diabetic">\s*<th scope="row">Diabetic</th><td[^>]*>1<', html)
    assert re.search(r'data-texture="minced">\s*<th scope="row">Minced</th><td[^>]*>1<', html)
    assert "the last stop goes in first" in html
    assert html.index("Li Na") < html.index("Chen Jun", html.index("Loading order"))


def test_labels_page_has_each_meal_with_route_and_stop_and_is_audited(client, day_setup):
    site, seniors, *_ = day_setup
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    response = client.get(f"/staff/kitchen/labels?site={site.id}&date=2024-05-31&meal=lunch")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    labels = re.findall(r'<li class="meal-label.*?</li>', html, re.S)
    assert len(labels) == 6
    wang = next(lbl for lbl in labels if "Wang Fang" in lbl)
    assert "王芳" in wang and "Diabetic" in wang and "peanuts, shellfish" in wang and "Route 1 · stop 1" in wang
    assert "Route 1 · stop 3" in next(lbl for lbl in labels if "Li Na" in lbl)
    assert "Eats at the canteen" in next(lbl for lbl in labels if "Sun Li" in lbl)
    assert "Cancelled Person" not in html
    assert "print.css" in html
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "kitchen.labels")).all()
    assert [(e.user_id, e.entity_id) for e in events] == [(staff.id, site.id)]


def test_print_stylesheet_sets_a4(app):
    css = (app.static_folder and open(f"{app.static_folder}/print.css", encoding="utf-8").read())
    assert "@media print" in css and re.search(r"@page\s*{\s*size:\s*A4", css)
    assert "page-break-after: always" in css


@pytest.mark.parametrize("query", ["date=31-05-2024", "meal=brunch", "date=2024-02-30"])
def test_bad_arguments_are_400_not_500(client, day_setup, query):
    site, *_ = day_setup
    login_as(client, create_user("staff", sites=[site]))
    response = client.get(f"/staff/kitchen?site={site.id}&{query}")
    assert response.status_code == 400
    assert "error" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/staff/kitchen?site={site}", "/staff/kitchen/labels?site={site}"])
def test_kitchen_access(client, day_setup, path):
    site, seniors, *_ = day_setup
    url = path.format(site=site.id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    other = create_site(name="Other site")
    login_as(client, create_user("staff", sites=[other]))
    assert client.get(url).status_code == 404
    client.post("/logout")
    login_as(client, create_user("family", seniors=[seniors["wang"]]))
    assert client.get(url).status_code == 403
    client.post("/logout")
    login_as(client, create_user("admin"))
    assert client.get(url).status_code == 200
