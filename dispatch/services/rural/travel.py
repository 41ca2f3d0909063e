"""The travel model of a county plan: the app's provider, with county-road car speeds on the geodesic fallback.

On straight lines the town's 25 km/h car makes a 20 km village an hour away; the county generator's
40 km/h (``routing.benchmarks.county``) is what county roads allow. A street network or OSRM measures
the roads themselves and is used as it is.
"""
from __future__ import annotations

from dataclasses import replace

from dispatch import routing
from dispatch.platform import travel
from dispatch.routing.benchmarks.county import COUNTY_SPEEDS_KMH


def county_travel():
    chosen = travel.provider()
    if isinstance(chosen, routing.GeodesicTravel):
        return replace(chosen, speeds_kmh={**dict(chosen.speeds_kmh), "car": COUNTY_SPEEDS_KMH["car"]})
    return chosen
