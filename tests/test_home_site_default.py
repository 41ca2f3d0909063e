"""A new senior's home site: left blank it is the nearest active site with room (not an override);
a site chosen by staff is an override."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import MealSite, Senior
from dispatch.platform.errors import FieldError
from dispatch.services.coverage.homes import nearest_site_with_room
from dispatch.services.people import seniors as service
from tests import testclock
from tests.factories import FreshContextClient, create_senior, create_site, create_user, login_as
from tests.test_coverage import at


@pytest.fixture
def world(app):
    """Alphabetically first "Alpha" lies 3 km west; "Beta" 300 m east has room for 2, one taken;
    "Gamma" 1.5 km east has plenty; "Delta" 100 m away is closed. One staff member holds all four."""
    app.test_client_class = FreshContextClient
    w = {
        "alpha": create_site(name="Alpha canteen", daily_capacity=50, **at(0, -3000)),
        "beta": create_site(name="Beta canteen", daily_capacity=2, **at(0, 300)),
        "gamma": create_site(name="Gamma canteen", daily_capacity=50, **at(0, 1500)),
        "delta": create_site(name="Delta canteen", daily_capacity=50, is_active=False, **at(0, 100)),
    }
    create_senior(site=w["beta"], **at(50, 300))
    w["staff"] = create_user("staff", sites=[w["alpha"], w["beta"], w["gamma"], w["delta"]])
    w["admin"] = create_user("admin")
    db.session.commit()
    w["app"] = app
    return w


def data(**overrides) -> dict:
    born = testclock.today().replace(year=testclock.today().year - 80, day=1)
    values = {"full_name": "Li Hua", "date_of_birth": born, "address": "3 Willow Street",
              "contacts": [{"name": "Li Ming", "relation": "son", "phone": "139 1234 5678"}],
              "home_site_id": None, **at(0, 0)}
    values.update(overrides)
    return values


def form(**overrides) -> dict:
    values = {"full_name": "Li Hua", "date_of_birth": "1945-03-05", "address": "3 Willow Street",
              "lat": str(at(0, 0)["lat"]), "lon": str(at(0, 0)["lon"]), "mobility": "independent",
              "diet": "regular", "home_site_id": "",
              "contacts-0-name": "Li Ming", "contacts-0-relation": "son", "contacts-0-phone": "139 1234 5678"}
    values.update(overrides)
    return values


def fill(site: MealSite) -> None:
    while db.session.scalar(sa.select(sa.func.count()).where(Senior.home_site_id == site.id)) < site.daily_capacity:
        create_senior(site=site, **at(0, 0))
    db.session.commit()


def test_service_picks_the_nearest_active_site_with_room_not_as_an_override(world):
    senior = service.create_senior(data(), by=world["staff"])
    assert senior.home_site_id == world["beta"].id  # Delta is nearer but closed; Alpha is first by name only
    assert not senior.home_site_overridden
    # Beta is now full (2 of 2): the next one goes on to Gamma, the nearest that still has room.
    second = service.create_senior(data(full_name="Zhou Min"), by=world["staff"])
    assert second.home_site_id == world["gamma"].id and not second.home_site_overridden


def test_service_keeps_an_explicit_choice_as_an_override(world):
    senior = service.create_senior(data(home_site_id=world["alpha"].id), by=world["staff"])
    assert senior.home_site_id == world["alpha"].id and senior.home_site_overridden


def test_an_unlocated_senior_goes_to_the_site_with_most_room(world):
    senior = service.create_senior(data(lat=None, lon=None), by=world["staff"])
    assert senior.home_site_id in (world["alpha"].id, world["gamma"].id)
    assert not senior.home_site_overridden


def test_when_every_site_is_full_staff_must_choose_and_admins_wait(world):
    for key in ("alpha", "beta", "gamma"):
        fill(world[key])
    with pytest.raises(FieldError) as error:
        service.create_senior(data(), by=world["staff"])
    assert error.value.field == "home_site_id"
    senior = service.create_senior(data(), by=world["admin"])
    assert senior.home_site_id is None and not senior.home_site_overridden


def test_the_helper_skips_full_and_inactive_sites(world):
    sites = [world[k] for k in ("alpha", "beta", "gamma", "delta")]
    assert nearest_site_with_room(sites, **at(0, 0)).id == world["beta"].id
    fill(world["beta"])
    assert nearest_site_with_room(sites, **at(0, 0)).id == world["gamma"].id
    assert nearest_site_with_room(sites, **at(0, -2900)).id == world["alpha"].id


def test_new_senior_form_defaults_to_nearest_with_room(world):
    client = world["app"].test_client()
    login_as(client, world["staff"])
    html = client.get("/staff/seniors/new").get_data(as_text=True)
    select = html[html.index('id="home_site_id"'):]
    select = select[:select.index("</select>")]
    first = select[select.index("<option"):select.index("</option>")]
    assert "Nearest site with room" in first and 'value=""' in first
    assert all("selected" not in option for option in select.split("</option>")[1:])

    response = client.post("/staff/seniors/new", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    senior = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Li Hua"))
    assert senior.home_site_id == world["beta"].id and not senior.home_site_overridden

    response = client.post("/staff/seniors/new", data=form(full_name="Zhou Min", home_site_id=str(world["alpha"].id)))
    assert response.status_code == 302
    chosen = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Zhou Min"))
    assert chosen.home_site_id == world["alpha"].id and chosen.home_site_overridden


def test_new_senior_form_says_so_when_every_site_is_full(world):
    for key in ("alpha", "beta", "gamma"):
        fill(world[key])
    client = world["app"].test_client()
    login_as(client, world["staff"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Senior))
    response = client.post("/staff/seniors/new", data=form())
    assert response.status_code == 422
    assert 'id="home_site_id-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Senior)) == before
