"""``doorstep streets``: build the road network from an OpenStreetMap extract, show it, route on it.

    doorstep streets build city.osm.pbf [--modes walk,ebike,car] [--cache DIR]
    doorstep streets info [--cache DIR] [--json]
    doorstep streets route 60.1759,24.9501 60.1780,24.9499 --mode walk     # {"seconds": 187, "metres": 234}

The network lives in ``--cache`` or else ``$DISPATCH_DATA_DIR/streets`` (``./instance/streets`` by
default). Imports only the routing core and click, so it runs without the app or a database; the
group is ``streets_group``, registered in ``dispatch.cli``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from dispatch.routing.location import InvalidProblem, Location
from dispatch.routing.streets import (
    MODES,
    StreetsError,
    StreetTravel,
    Unreachable,
    build_network,
    load_network,
    network_info,
    normalise_mode,
)

MODE_CHOICES = ["walk", "ebike", "e_bike", "car"]


def default_cache_dir() -> Path:
    return Path(os.environ.get("DISPATCH_DATA_DIR") or (Path.cwd() / "instance")) / "streets"


def _cache(value: str | None) -> Path:
    return Path(value) if value else default_cache_dir()


cache_option = click.option(
    "--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
    help="Network cache directory [default: $DISPATCH_DATA_DIR/streets, i.e. ./instance/streets].")


class LatLon(click.ParamType):
    name = "LAT,LON"

    def convert(self, value, param, ctx):
        if isinstance(value, Location):
            return value
        try:
            lat, lon = (float(part) for part in str(value).split(","))
            return Location(lat, lon)
        except (ValueError, InvalidProblem) as exc:
            self.fail(f"{value!r} is not LAT,LON in degrees (e.g. 60.1759,24.9501): {exc}", param, ctx)


@click.group("streets")
def streets_group() -> None:
    """Real streets: the road network travel times are measured on."""


@streets_group.command("build")
@click.argument("pbf", type=click.Path(dir_okay=False))
@click.option("--modes", default="walk,ebike,car", show_default=True,
              help="Comma-separated travel modes to build: walk, ebike, car.")
@cache_option
def build_command(pbf: str, modes: str, cache_dir: str | None) -> None:
    """Build the network from an OpenStreetMap extract (PATH.osm.pbf); the one in use is kept if this fails."""
    cache = _cache(cache_dir)
    try:
        wanted = [normalise_mode(m) for m in modes.split(",") if m.strip()]
    except InvalidProblem as exc:
        raise click.BadParameter(str(exc), param_hint="--modes") from None
    started = time.monotonic()

    def progress(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:5.1f} s] {message}", err=True)

    try:
        info = build_network(pbf, cache, modes=wanted, progress=progress)
    except StreetsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"streets built in {cache}: " + ", ".join(
        f"{mode} {counts['nodes']:,} nodes" for mode, counts in info["modes"].items()))


@streets_group.command("info")
@cache_option
@click.option("--json", "as_json", is_flag=True, help="Print the network's facts as one JSON object.")
def info_command(cache_dir: str | None, as_json: bool) -> None:
    """Show the network in use: source extract, build date, modes with node and arc counts, bounding box."""
    try:
        info = network_info(_cache(cache_dir))
    except StreetsError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(info, sort_keys=True))
        return
    bbox = info["bbox"]
    click.echo(f"source:   {info['source']} ({info['source_bytes'] / 1e6:.1f} MB)")
    click.echo(f"built:    {info['built_at']} in {info['build_seconds']} s")
    click.echo(f"bbox:     {bbox['south']:.5f},{bbox['west']:.5f} to {bbox['north']:.5f},{bbox['east']:.5f}")
    for mode in MODES:
        if mode in info["modes"]:
            c = info["modes"][mode]
            click.echo(f"{mode:<8}  {c['nodes']:>9,} nodes  {c['arcs']:>9,} arcs  "
                       f"{c['snappable_nodes']:>9,} snappable")
    click.echo(f"path:     {info['path']}")


@streets_group.command("route")
@click.argument("origin", type=LatLon())
@click.argument("destination", type=LatLon())
@click.option("--mode", type=click.Choice(MODE_CHOICES), default="walk", show_default=True)
@cache_option
def route_command(origin: Location, destination: Location, mode: str, cache_dir: str | None) -> None:
    """Print the seconds and metres from ORIGIN to DESTINATION along the streets, as one JSON object."""
    try:
        travel = StreetTravel(load_network(_cache(cache_dir), modes=[mode]))
        seconds, metres = travel.route(origin, destination, mode)
    except (StreetsError, Unreachable) as exc:
        raise click.ClickException(str(exc)) from None
    except InvalidProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"seconds": seconds, "metres": metres}))


def main() -> None:  # pragma: no cover - for trying it before it is wired into doorstep
    streets_group(prog_name="doorstep streets")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
