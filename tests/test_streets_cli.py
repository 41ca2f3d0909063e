"""``doorstep streets build / info / route`` (dispatch/cli/streets.py) on pyrosm's Helsinki extract."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import dispatch.cli.streets as cli_streets
from dispatch.cli.streets import streets_group

pyrosm = pytest.importorskip("pyrosm")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    result = CliRunner().invoke(streets_group, ["build", pyrosm.get_data("helsinki_pbf"), "--modes", "walk,ebike"],
                                env={"DISPATCH_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    return data_dir, result


def test_build_shows_progress_and_uses_the_data_dir(built):
    data_dir, result = built
    assert "reading Helsinki.osm.pbf" in result.stderr and "walk: " in result.stderr
    assert f"streets built in {data_dir / 'streets'}" in result.stdout
    assert (data_dir / "streets" / "current").is_symlink()


def test_info_names_the_extract_and_modes(built):
    data_dir, _ = built
    runner = CliRunner()
    text = runner.invoke(streets_group, ["info"], env={"DISPATCH_DATA_DIR": str(data_dir)})
    assert text.exit_code == 0 and "Helsinki.osm.pbf" in text.output and "e_bike" in text.output
    as_json = runner.invoke(streets_group, ["info", "--json", "--cache", str(data_dir / "streets")])
    info = json.loads(as_json.output)
    assert set(info["modes"]) == {"walk", "e_bike"} and info["bbox"]["south"] > 60


def test_route_prints_one_json_object(built):
    data_dir, _ = built
    result = CliRunner().invoke(streets_group, ["route", "60.1759043,24.9501401", "60.1780095,24.9499395",
                                                "--mode", "walk", "--cache", str(data_dir / "streets")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"seconds": 187, "metres": 234}
    ebike = CliRunner().invoke(streets_group, ["route", "60.1759,24.9484", "60.1777,24.9483", "--mode", "ebike",
                                               "--cache", str(data_dir / "streets")])
    assert set(json.loads(ebike.stdout)) == {"seconds", "metres"}


def test_route_errors_are_clear(built):
    data_dir, _ = built
    cache = str(data_dir / "streets")
    runner = CliRunner()
    sea = runner.invoke(streets_group, ["route", "60.1759,24.9501", "60.1500,24.9450", "--cache", cache])
    assert sea.exit_code == 1 and "farther than 500 m from any street" in sea.output
    car = runner.invoke(streets_group, ["route", "60.1759,24.9501", "60.1780,24.9499", "--mode", "car", "--cache", cache])
    assert car.exit_code == 1 and "no 'car' mode" in car.output
    bad = runner.invoke(streets_group, ["route", "60.1759", "60.1780,24.9499", "--cache", cache])
    assert bad.exit_code == 2 and "LAT,LON" in bad.output


def test_a_bad_extract_is_refused_and_the_network_kept(built, tmp_path):
    data_dir, _ = built
    env = {"DISPATCH_DATA_DIR": str(data_dir)}
    runner = CliRunner()
    before = runner.invoke(streets_group, ["info", "--json"], env=env).output
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(Path(pyrosm.get_data("helsinki_pbf")).read_bytes()[:150_000])
    for path, words in ((empty, "is empty"), (corrupt, "not a readable OpenStreetMap PBF")):
        result = runner.invoke(streets_group, ["build", str(path)], env=env)
        assert result.exit_code == 1 and words in result.output and "unchanged" in result.output
        assert runner.invoke(streets_group, ["info", "--json"], env=env).output == before


def test_no_network_yet_says_how_to_build_one(tmp_path):
    result = CliRunner().invoke(streets_group, ["info"], env={"DISPATCH_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "doorstep streets build" in result.output


def test_the_command_needs_only_the_routing_core_and_click():
    tree = ast.parse(Path(cli_streets.__file__).read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    third_party = {n.split(".")[0] for n in names} - {"__future__", "json", "os", "sys", "time", "pathlib"}
    assert third_party == {"click", "dispatch"}
    assert all(n.startswith("dispatch.routing") for n in names if n.startswith("dispatch"))
