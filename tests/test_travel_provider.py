"""TRAVEL_PROVIDER picks one travel-time provider for plans, ETAs and circles alike."""
from __future__ import annotations

import pyrosm
import pytest

from dispatch import routing
from dispatch.platform import travel
from dispatch.routing.streets import StreetsError, StreetTravel, build_network
from dispatch.services.coverage import circles as coverage
from dispatch.services.planning import problem as planning_problem


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
