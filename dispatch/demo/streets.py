"""The demo district on real streets (``doorstep demo --streets PATH.osm.pbf``).

Why: the disc-shaped circles of the default demo hide what the street network changes (a river, a
railway, a dead end). On an extract the demo builds the network once (a later run on the same file
reuses it), centres its district where the extract has the most streets, puts every site, compound
and home on a node of the walking network's largest connected part (so every senior can be reached
on foot, by e-bike and, through the snap, by car), and takes the sites' time zone from the place.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import sqlalchemy as sa

from dispatch.demo.district import HALF_SIDE_KM
from dispatch.extensions import db
from dispatch.models import MealSite
from dispatch.routing.streets import (
    MODES,
    ModeGraph,
    StreetNetwork,
    StreetsError,
    build_network,
    built_from,
    project,
    unproject,
)

DENSITY_CELL_M = 100.0  # the grid the densest district-sized window is looked for on
UNCHANGED = "; the demo, its database and the network in use are unchanged"


@dataclass(frozen=True)
class PreparedStreets:
    info: dict  # routing.streets.network_info of the network in use
    reused: bool  # True when the network already built from this very file was kept


def prepare_network(pbf: str | os.PathLike, cache_dir: str | os.PathLike,
                    progress: Callable[[str], None] | None = None) -> PreparedStreets:
    """Reuse the network built from ``pbf`` (same path, size and modification time, every mode) or
    build it; ``StreetsError`` for a missing, empty or corrupt file, with the cache left as it was."""
    path = Path(pbf)
    if not path.is_file():
        raise StreetsError(f"{path}: no such OpenStreetMap extract{UNCHANGED}")
    info = built_from(path, cache_dir, MODES)
    if info is not None:
        return PreparedStreets(info, reused=True)
    try:
        return PreparedStreets(build_network(path, cache_dir, MODES, progress=progress), reused=False)
    except StreetsError as exc:
        raise StreetsError(f"{str(exc).removesuffix('; the network in use is unchanged')}{UNCHANGED}") from exc


class NodePlacer:
    """Moves a point to the nearest node of the largest connected part of a mode's network.

    Not just any snappable node: the network's separate islands are snappable for real addresses, but
    a demo home there could not be reached from a site on the mainland."""

    def __init__(self, graph: ModeGraph):
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        n = graph.n
        arcs = csr_matrix((np.ones(graph.tail.size), (graph.tail, graph.head)), shape=(n, n))
        _count, labels = connected_components(arcs, directed=True, connection="strong")
        self.graph = graph
        self.nodes = np.flatnonzero(labels == np.argmax(np.bincount(labels)))
        self.tree = cKDTree(np.column_stack([graph.x[self.nodes], graph.y[self.nodes]]))

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = project(lat, lon, self.graph.origin)
        _distance, k = self.tree.query([float(x), float(y)])
        node = self.nodes[int(k)]
        return float(self.graph.lat[node]), float(self.graph.lon[node])


@dataclass(frozen=True)
class StreetLayout:
    """Where the demo district goes on an extract; the arguments ``generate_district`` takes."""

    center: tuple[float, float]
    half_km: tuple[float, float]
    timezone: str
    placer: NodePlacer

    def center_text(self) -> str:
        return f"{self.center[0]:.6f},{self.center[1]:.6f}"


def layout_for(network: StreetNetwork) -> StreetLayout:
    """The district over the walking network: as large as the extract allows (4 km x 4 km at most),
    centred on the district-sized window holding the most street nodes."""
    placer = NodePlacer(network.mode("walk"))
    g = placer.graph
    x, y = g.x[placer.nodes], g.y[placer.nodes]
    half_x = min(HALF_SIDE_KM * 1000, (x.max() - x.min()) / 2)
    half_y = min(HALF_SIDE_KM * 1000, (y.max() - y.min()) / 2)
    cx = densest_window(x, 2 * half_x)
    cy = densest_window(y, 2 * half_y, along=x, other=(cx, 2 * half_x))
    lat, lon = unproject(cx, cy, g.origin)
    center = (round(float(lat), 6), round(float(lon), 6))
    return StreetLayout(center, (half_x / 1000, half_y / 1000), timezone_at(*center), placer)


def densest_window(values: np.ndarray, width: float, *, along: np.ndarray | None = None,
                   other: tuple[float, float] | None = None) -> float:
    """The centre of the ``width``-wide window over ``values`` that holds the most of them (only those
    whose ``along`` coordinate lies in the ``other`` = (centre, width) window, when given); the first
    such window from the low end when several tie, the middle of the range when the window spans it."""
    if along is not None and other is not None:
        values = values[np.abs(along - other[0]) <= other[1] / 2 + 1e-6]
    low, high = float(values.min()), float(values.max())
    if high - low <= width + 1e-6:
        return (low + high) / 2
    cells = math.ceil((high - low) / DENSITY_CELL_M)
    counts = np.bincount(np.minimum(((values - low) // DENSITY_CELL_M).astype(int), cells - 1), minlength=cells)
    span = max(1, int(width // DENSITY_CELL_M))
    sums = np.convolve(counts, np.ones(span, int), mode="valid")
    start = int(np.argmax(sums))
    return min(low + start * DENSITY_CELL_M + width / 2, high - width / 2)


def timezone_at(lat: float, lon: float) -> str:
    """The IANA time zone at a point (offline, from ``tzfpy``'s boundary data); UTC out at sea."""
    import tzfpy

    return tzfpy.get_tz(lon, lat) or "UTC"


def district_outside(network: StreetNetwork) -> int:
    """How many stored meal sites lie outside the network's bounding box (a database seeded elsewhere)."""
    bbox = network.info["bbox"]
    inside = sa.and_(MealSite.lat.between(bbox["south"], bbox["north"]), MealSite.lon.between(bbox["west"], bbox["east"]))
    return db.session.scalar(sa.select(sa.func.count(MealSite.id)).where(sa.not_(inside))) or 0
