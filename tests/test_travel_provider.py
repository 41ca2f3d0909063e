"""TRAVEL_PROVIDER picks one travel-time provider for plans, ETAs and circles alike."""
from __future__ import annotations

import pyrosm
import pytest
import sqlalchemy as sa

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.plan import Plan
from dispatch.platform import travel
from dispatch.routing.streets import StreetsError, StreetTravel, build_network
from dispatch.services.coverage import circles as coverage
from dispatch.services.meals import orders
from dispatch.services.planning import problem as planning_problem
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, small_site

HELSINKI_CENTRE = (60.1699, 24.9384)  # by the railway station, inside the extract


@pytest.fixture
def app_config(app_config, data_dir):
    return {**app_config, "TRAVEL_PROVIDER": "streets", "DATA_DIR": str(data_dir / "travel-provider")}


def test_streets_set_but_not_built_says_what_to_run(app):
    with pytest.raises(StreetsError, match="doorstep streets build"):
        travel.provider()


def test_plans_and_circles_share_the_streets_network_once_it_is_built(app):
    build_network(pyrosm.get_data("helsinki_pbf"), travel.streets_dir(), modes=("walk",))
    provider = travel.provider()
    assert isinstance(provider, StreetTravel)
    assert planning_problem.travel_provider() is provider is coverage.travel()
    assert travel.on_streets()
    assert "streets" in travel.model_note()


def test_the_default_is_the_geodesic_approximation(app, app_config):
    app.extensions.pop(travel.EXTENSION, None)
    app.config["TRAVEL_PROVIDER"] = "geodesic"
    assert isinstance(travel.provider(), routing.GeodesicTravel)
    assert not travel.on_streets()


def _plan_lunch(client, s) -> Plan:
    orders.generate_orders(s.site, DAY)
    db.session.commit()
    login_as(client, create_user("staff", sites=(s.site,)))
    response = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                                     "meal": "lunch"})
    assert response.status_code == 302, response.text
    return db.session.scalar(sa.select(Plan).order_by(Plan.id.desc()))


def test_a_plan_made_on_streets_says_so_and_keeps_it(app, client):
    build_network(pyrosm.get_data("helsinki_pbf"), travel.streets_dir(), modes=("walk", "ebike"))
    s = small_site(seniors=3, origin=HELSINKI_CENTRE)
    plan = _plan_lunch(client, s)
    assert plan.summary["travel"]["kind"] == "streets"
    assert "OpenStreetMap" in plan.summary["travel"]["note"]
    assert "streets: the OpenStreetMap network" in client.get(f"/staff/plans/{plan.id}").text


def test_a_plan_made_on_the_approximation_says_so(app, client):
    app.extensions.pop(travel.EXTENSION, None)
    app.config["TRAVEL_PROVIDER"] = "geodesic"
    plan = _plan_lunch(client, small_site(seniors=3))
    assert plan.summary["travel"]["kind"] == "geodesic"
    assert "approximation: straight-line distance" in client.get(f"/staff/plans/{plan.id}").text
