"""The app's travel-time provider, chosen by ``TRAVEL_PROVIDER``: one for plans, ETAs and circles alike.

``geodesic`` (the default: great-circle x circuity / speed, an approximation the pages name), ``osrm``
(an OSRM server's table API) or ``streets`` (the road network built by ``doorstep streets build``,
loaded once per process from ``DATA_DIR/streets``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app

from dispatch import routing

EXTENSION = "doorstep.travel"


def streets_dir() -> Path:
    """Where ``doorstep streets build`` keeps the network of this deployment."""
    return Path(current_app.config["DATA_DIR"]) / "streets"


def provider() -> Any:
    """The configured provider (built once per app, so the streets network and its matrix cache are reused).

    With ``TRAVEL_PROVIDER=streets`` and no network built, ``routing.streets.StreetsError`` says what to run.
    """
    cached = current_app.extensions.get(EXTENSION)
    if cached is not None:
        return cached
    config = current_app.config
    circuity = float(config.get("CIRCUITY_FACTOR") or routing.DEFAULT_CIRCUITY)
    geodesic = routing.GeodesicTravel(circuity=circuity)
    kind = (config.get("TRAVEL_PROVIDER") or "geodesic").strip().lower()
    if kind == "osrm" and config.get("OSRM_URL"):
        chosen: Any = routing.OsrmTravel(config["OSRM_URL"], fallback=geodesic)
    elif kind == "streets":
        from dispatch.routing.streets import load_travel

        chosen = load_travel(streets_dir(), fallback=geodesic)
    else:
        chosen = geodesic
    current_app.extensions[EXTENSION] = chosen
    return chosen


def on_streets() -> bool:
    """True when times come from a street network (circles are isochrones), not the geodesic fallback."""
    from dispatch.routing.circles import street_provider

    return street_provider(provider()) is not None


def model_note() -> str:
    """Which travel model produced the figures, for the pages and ``doorstep coverage``."""
    from dispatch.routing.circles import travel_note

    return travel_note(provider())


def model_of(travel: Any) -> dict[str, str]:
    """Which travel model a plan's times come from (kept with the plan: a plan made on straight lines says so)."""
    from dispatch.routing.circles import street_provider, travel_note

    if street_provider(travel) is not None:
        kind = "streets"
    elif isinstance(travel, routing.OsrmTravel):
        kind = "osrm"
    else:
        kind = "geodesic"
    return {"kind": kind, "note": travel_note(travel)}
