"""A built street network as the queries load it: modes, constants, the cache's current build."""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..location import InvalidProblem
from ..travel import EARTH_RADIUS_KM

log = logging.getLogger(__name__)

MODES = ("walk", "e_bike", "car")
MODE_ALIASES = {"walk": "walk", "walking": "walk", "foot": "walk", "e_bike": "e_bike", "ebike": "e_bike",
                "e-bike": "e_bike", "bike": "e_bike", "cycling": "e_bike", "car": "car", "driving": "car"}
PYROSM_NETWORK = {"walk": "walking", "e_bike": "cycling", "car": "driving"}
UNREACHABLE = 10_000_000  # seconds (~116 days): beyond any horizon, safe to sum in int64
FORMAT = 1
CURRENT = "current"  # symlink in the cache dir to the build in use; swapped atomically
MIN_COMPONENT_NODES = 100
DEFAULT_MAX_SNAP_M = 500.0
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_KM * 1000 / 180


class StreetsError(ValueError):
    """A network that cannot be built or loaded (bad file, missing cache, unknown mode); the message says why."""


class Unreachable(InvalidProblem):
    """No path between two places on the mode's network (or one of them is too far from any street)."""


def normalise_mode(mode: str) -> str:
    try:
        return MODE_ALIASES[str(mode).strip().lower()]
    except KeyError:
        raise InvalidProblem(f"unknown travel mode {mode!r}; known: {', '.join(MODES)}") from None



def current_build(cache: Path) -> Path | None:
    link = cache / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


# --- the loaded network -------------------------------------------------------------------------

@dataclass
class ModeGraph:
    """One mode's directed street graph: nodes (lat, lon), arcs in metres (``push`` = walked by an e-bike
    rider), and a snapping index over the snappable nodes."""

    mode: str
    osm_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    metres: np.ndarray
    push: np.ndarray
    snappable: np.ndarray
    origin: tuple[float, float]  # projection centre (lat, lon)

    def __post_init__(self):
        from scipy.spatial import cKDTree

        self.x, self.y = project(self.lat, self.lon, self.origin)
        self.snap_nodes = np.flatnonzero(self.snappable)
        self.tree = cKDTree(np.column_stack([self.x[self.snap_nodes], self.y[self.snap_nodes]]))
        self._graphs: dict = {}

    @property
    def n(self) -> int:
        return int(self.osm_id.size)

    def arc_seconds(self, speed_ms: float, walk_ms: float) -> np.ndarray:
        return self.metres / np.where(self.push == 1, walk_ms, speed_ms)

    def graph(self, speed_ms: float, walk_ms: float):
        """The arcs weighted in seconds at these speeds (a scipy CSR matrix, built once per speed pair)."""
        from scipy.sparse import csr_matrix

        key = (speed_ms, walk_ms)
        if key not in self._graphs:
            n = self.n
            self._graphs[key] = csr_matrix((self.arc_seconds(speed_ms, walk_ms), (self.tail, self.head)), shape=(n, n))
        return self._graphs[key]

    def path_metres(self, predecessors: np.ndarray, target: int) -> float:
        """Metres along the shortest-path tree from its root to ``target``."""
        if not hasattr(self, "_arc_index"):
            from scipy.sparse import csr_matrix

            self._arc_index = csr_matrix((np.arange(1, self.tail.size + 1), (self.tail, self.head)),
                                         shape=(self.n, self.n))
        total, node = 0.0, int(target)
        while predecessors[node] >= 0:
            prev = int(predecessors[node])
            total += float(self.metres[int(self._arc_index[prev, node]) - 1])
            node = prev
        return total


def project(lat, lon, origin: tuple[float, float]):
    """Local equirectangular metres around ``origin`` (good to a fraction of a percent over a city)."""
    lat0, lon0 = origin
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    return ((lon - lon0) * METRES_PER_DEGREE * math.cos(math.radians(lat0)), (lat - lat0) * METRES_PER_DEGREE)


def unproject(x, y, origin: tuple[float, float]):
    lat0, lon0 = origin
    return (lat0 + np.asarray(y, float) / METRES_PER_DEGREE,
            lon0 + np.asarray(x, float) / (METRES_PER_DEGREE * math.cos(math.radians(lat0))))


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle metres, with the earth radius ``GeodesicTravel`` uses."""
    la1, lo1, la2, lo2 = (np.radians(np.asarray(v, float)) for v in (lat1, lon1, lat2, lon2))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass
class StreetNetwork:
    """The loaded networks of one build, by mode, and the build's ``network_info``."""

    modes: dict[str, ModeGraph]
    info: dict

    def mode(self, mode: str) -> ModeGraph:
        mode = normalise_mode(mode)
        try:
            return self.modes[mode]
        except KeyError:
            raise InvalidProblem(f"the streets network has no {mode!r} mode; built: {', '.join(self.modes)}") from None


def load_network(cache_dir: str | os.PathLike, modes: Iterable[str] | None = None) -> StreetNetwork:
    """Load the cache's current network (all built modes, or just ``modes``); ``StreetsError`` if none is built."""
    info = network_info(cache_dir)
    target = Path(info["path"])
    bbox = info["bbox"]
    origin = ((bbox["south"] + bbox["north"]) / 2, (bbox["west"] + bbox["east"]) / 2)
    wanted = [normalise_mode(m) for m in modes] if modes is not None else list(info["modes"])
    graphs = {}
    for mode in wanted:
        path = target / f"{mode}.npz"
        if mode not in info["modes"] or not path.is_file():
            raise StreetsError(f"the streets network in {cache_dir} has no {mode!r} mode; built: "
                               f"{', '.join(info['modes'])}")
        try:
            with np.load(path) as data:
                arrays = {k: data[k] for k in data.files}
            graphs[mode] = ModeGraph(mode=mode, origin=origin, **arrays)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StreetsError(f"the streets network in {target} is damaged ({mode}: {short_error(exc)}); "
                               "rebuild it with doorstep streets build") from exc
    return StreetNetwork(graphs, info)


def short_error(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def network_info(cache_dir: str | os.PathLike) -> dict:
    """What the cache's current network holds: modes with node/arc counts, bbox, source file, build date."""
    target = current_build(Path(cache_dir))
    if target is None or not (target / "network.json").is_file():
        raise StreetsError(f"no streets network built in {cache_dir} (run: doorstep streets build PATH.osm.pbf)")
    info = json.loads((target / "network.json").read_text())
    info["path"] = str(target)
    return info
