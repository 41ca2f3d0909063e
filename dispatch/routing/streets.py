"""Real streets: travel times on an OpenStreetMap road network, in-process, no server.

    info = build_network("city.osm.pbf", "instance/streets")      # once: parse, write the cache
    travel = StreetTravel(load_network("instance/streets"))        # every process
    travel.matrix(places, "walk")          # integer seconds, like GeodesicTravel.matrix
    travel.route(a, b, "e_bike")           # (seconds, metres); raises Unreachable
    travel.within(site, seniors, "walk", 15)   # who is inside the 15-minute circle
    travel.isochrone(site, "walk", 15)     # the circle's outline (shapely, x = lon, y = lat)

The extract is parsed once by ``pyrosm`` into a walking, a cycling (the e-bike's) and a driving
network; each mode keeps its own directed graph (one-ways respected for the car, and for the e-bike
unless cycling against them is allowed; walking ignores them), written as plain numpy arrays. Queries
are Dijkstra searches over a ``scipy.sparse`` graph, bounded by the distance the answer can need and
widened only for the rows that did not finish (exact either way). Contraction hierarchies (pandana)
were measured and rejected: on a generated 200,000-node network their preprocessing took 545 s on
this 2-core machine and must be redone at every load, while bounded Dijkstra answers a 250-place
matrix there in about 1 s (figures in tests/bench/RESULTS.md).

Times are the mode's constant speed over the network distance (the speeds of ``GeodesicTravel``, so
the two providers differ by geometry only); an e-bike rider walks, at walking pace, the footways the
cycling network lacks. A place off the network is snapped to the nearest node of the largest strongly
connected part of the mode's network, or of a separate island of at least ``MIN_COMPONENT_NODES``
(small parts hanging off the network, such as a one-way cut by the extract's edge, are not snapped
to), and the snap distance is walked at walking pace. A place farther than
``max_snap_m`` from any such node is *unplaced*. A pair with no path is *unreachable*: the matrix holds
``UNREACHABLE`` (a large finite number, far beyond any shift, so a solver can never use the arc and
sums stay within int64), never zero; ``matrix_report`` lists those pairs.

The routing core rule holds: nothing here imports anything above ``dispatch.routing``. ``pyrosm`` is
needed only to build; loading and querying need ``numpy``, ``scipy`` and ``shapely`` (the ``streets``
extra).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .location import InvalidProblem, Location
from .travel import DEFAULT_SPEEDS_KMH, EARTH_RADIUS_KM, GeodesicTravel

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


# --- reading an extract -------------------------------------------------------------------------

_YES = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}


def _tag(tags: Any, key: str) -> str | None:
    if not isinstance(tags, str) or key not in tags:
        return None
    try:
        value = json.loads(tags).get(key)
    except (ValueError, AttributeError):
        return None
    return None if value is None else str(value)


def _directions(edges, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Per edge row: (forward allowed, backward allowed) for the mode."""
    n = len(edges)
    if mode == "walk":
        return np.ones(n, bool), np.ones(n, bool)

    def col(name):
        if name in edges.columns:
            return edges[name].astype("object").where(edges[name].notna(), "").astype(str).str.strip().str.lower().to_numpy()
        return np.full(n, "", dtype=object)

    oneway = col("oneway")
    highway = col("highway")
    junction = col("junction")
    tags = edges["tags"].to_numpy() if "tags" in edges.columns else np.full(n, None, dtype=object)
    for i in np.flatnonzero([isinstance(t, str) and '"junction"' in t for t in tags]):
        if not junction[i]:
            junction[i] = (_tag(tags[i], "junction") or "").lower()
    fwd_only = np.isin(oneway, list(_YES)) | (((junction == "roundabout") | (junction == "circular")
                                                | (highway == "motorway")) & (oneway != "no"))
    back_only = np.isin(oneway, list(_REVERSE))
    if mode == "e_bike":
        ob = col("oneway:bicycle")
        cycleway = col("cycleway")
        contra = (ob == "no") | np.char.startswith(cycleway.astype(str), "opposite")
        fwd_only &= ~contra
        back_only &= ~contra
    forward = ~back_only
    backward = ~fwd_only
    return forward, backward


def _network_frames(osm, mode: str, source: str):
    nodes, edges = osm.get_network(nodes=True, network_type=PYROSM_NETWORK[mode])
    if nodes is None or edges is None or len(nodes) == 0 or len(edges) == 0:
        raise StreetsError(f"{source} holds no streets for {mode!r} (no {PYROSM_NETWORK[mode]} ways in the extract)")
    return nodes, edges


def _arcs(node_id: np.ndarray, edges, mode: str):
    """Directed arcs (tail, head, metres) of ``edges`` over the sorted ``node_id``, with the mode's one-ways."""
    eu = edges["u"].to_numpy().astype(np.int64)
    ev = edges["v"].to_numpy().astype(np.int64)
    u = np.minimum(np.searchsorted(node_id, eu), node_id.size - 1)
    v = np.minimum(np.searchsorted(node_id, ev), node_id.size - 1)
    metres = edges["length"].to_numpy(dtype=float)
    ok = (node_id[u] == eu) & (node_id[v] == ev) & np.isfinite(metres) & (u != v)
    forward, backward = _directions(edges, mode)
    forward, backward = forward & ok, backward & ok
    tail = np.concatenate([u[forward], v[backward]])
    head = np.concatenate([v[forward], u[backward]])
    length = np.maximum(np.concatenate([metres[forward], metres[backward]]), 0.01)
    return tail, head, length


def _mode_arrays(osm, mode: str, source: str) -> dict[str, np.ndarray]:
    """One mode's nodes and arcs. Arc ``push`` = 1 marks a stretch the e-bike rider walks (a footway that
    the cycling network lacks, at walking pace, as OSRM's bicycle profile pushes), so the e-bike network is
    never cut where a few metres of path join two cycle routes."""
    nodes, edges = _network_frames(osm, mode, source)
    frames = [nodes]
    walk_edges = None
    if mode == "e_bike":
        walk_nodes, walk_edges = _network_frames(osm, "walk", source)
        frames.append(walk_nodes)
    ids = np.concatenate([f["id"].to_numpy().astype(np.int64) for f in frames])
    lats = np.concatenate([f["lat"].to_numpy(dtype=float) for f in frames])
    lons = np.concatenate([f["lon"].to_numpy(dtype=float) for f in frames])
    node_id, first = np.unique(ids, return_index=True)
    lat, lon = lats[first], lons[first]
    tail, head, length = _arcs(node_id, edges, mode)
    push = np.zeros(tail.size, dtype=np.int8)
    if walk_edges is not None:
        wt, wh, wl = _arcs(node_id, walk_edges, "walk")
        ridden = set((tail.astype(np.int64) * node_id.size + head).tolist())
        ridden |= set((head.astype(np.int64) * node_id.size + tail).tolist())
        extra = np.array([k not in ridden for k in (wt.astype(np.int64) * node_id.size + wh).tolist()], dtype=bool)
        tail = np.concatenate([tail, wt[extra]])
        head = np.concatenate([head, wh[extra]])
        length = np.concatenate([length, wl[extra]])
        push = np.concatenate([push, np.ones(int(extra.sum()), dtype=np.int8)])
    # parallel arcs: keep the shortest (a sparse matrix would add them up)
    key = tail.astype(np.int64) * node_id.size + head
    order = np.lexsort((push, length, key))
    key, tail, head, length, push = key[order], tail[order], head[order], length[order], push[order]
    keep = np.ones(key.size, bool)
    keep[1:] = key[1:] != key[:-1]
    used = np.zeros(node_id.size, bool)
    used[tail[keep]] = True
    used[head[keep]] = True
    # drop nodes no arc touches (the cycling filter's pieces the walking network brought in, say)
    new_index = np.cumsum(used) - 1
    return {"osm_id": node_id[used], "lat": lat[used], "lon": lon[used],
            "tail": new_index[tail[keep]].astype(np.int32), "head": new_index[head[keep]].astype(np.int32),
            "metres": length[keep], "push": push[keep]}


def _snappable(n: int, tail, head, min_nodes: int) -> np.ndarray:
    """Nodes a place may be snapped to: the largest strongly connected part of the network, and the largest
    strongly connected part of each separate piece (an island) of at least ``min_nodes``. Small strongly
    connected parts hanging off the main network (a one-way cut by the extract's edge, a parking aisle)
    are left out, so a place is not snapped where it could not leave or be reached."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    graph = csr_matrix((np.ones(tail.size), (tail, head)), shape=(n, n))
    _ns, strong = connected_components(graph, directed=True, connection="strong")
    _nw, weak = connected_components(graph, directed=True, connection="weak")
    strong_size = np.bincount(strong)
    main_weak = weak[np.argmax(strong_size[strong])]
    keep = np.zeros(strong_size.size, bool)
    keep[int(np.argmax(strong_size))] = True
    # per weak piece, its largest strong part
    order = np.lexsort((-strong_size[strong], weak))
    first = np.ones(order.size, bool)
    first[1:] = weak[order][1:] != weak[order][:-1]
    for node in order[first]:
        if weak[node] != main_weak and strong_size[strong[node]] >= min_nodes:
            keep[strong[node]] = True
    return keep[strong]


def build_network(pbf_path: str | os.PathLike, cache_dir: str | os.PathLike, modes: Iterable[str] = MODES, *,
                  progress: Callable[[str], None] | None = None,
                  min_component_nodes: int = MIN_COMPONENT_NODES) -> dict:
    """Parse an ``.osm.pbf`` into one network per mode and make it the cache's current network.

    Builds into a fresh directory inside ``cache_dir`` and swaps the ``current`` link atomically
    only when every mode is written, so a bad file (empty, corrupt, no streets) raises
    ``StreetsError`` and leaves the network already there untouched. Returns ``network_info``.
    """
    say = progress or (lambda _msg: None)
    pbf = Path(pbf_path)
    wanted = []
    for m in modes:
        m = normalise_mode(m)
        if m not in wanted:
            wanted.append(m)
    if not wanted:
        raise StreetsError("no travel modes to build")
    if not pbf.is_file():
        raise StreetsError(f"{pbf}: no such file")
    size = pbf.stat().st_size
    if size == 0:
        raise StreetsError(f"{pbf} is empty (0 bytes): not an OpenStreetMap extract; the network in use is unchanged")
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StreetsError("building streets needs pyrosm: pip install 'doorstep[streets]'") from exc
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    started = _dt.datetime.now(_dt.timezone.utc)
    say(f"reading {pbf.name} ({size / 1e6:.1f} MB)")
    try:
        osm = pyrosm.OSM(str(pbf))
    except Exception as exc:
        raise StreetsError(f"{pbf} is not a readable OpenStreetMap PBF extract ({type(exc).__name__}: "
                           f"{_short(exc)}); the network in use is unchanged") from exc
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    try:
        info_modes = {}
        lats, lons = [], []
        for mode in wanted:
            say(f"{mode}: extracting the {PYROSM_NETWORK[mode]} network")
            try:
                arrays = _mode_arrays(osm, mode, str(pbf))
            except StreetsError:
                raise
            except Exception as exc:
                raise StreetsError(f"{pbf} is not a readable OpenStreetMap PBF extract ({type(exc).__name__}: "
                                   f"{_short(exc)}); the network in use is unchanged") from exc
            n = arrays["osm_id"].size
            arrays["snappable"] = _snappable(n, arrays["tail"], arrays["head"], min_component_nodes)
            np.savez(work / f"{mode}.npz", **arrays)
            info_modes[mode] = {"nodes": int(n), "arcs": int(arrays["tail"].size),
                                "snappable_nodes": int(arrays["snappable"].sum())}
            lats.append(arrays["lat"])
            lons.append(arrays["lon"])
            say(f"{mode}: {n:,} nodes, {arrays['tail'].size:,} one-way arcs")
        lat, lon = np.concatenate(lats), np.concatenate(lons)
        info = {
            "format": FORMAT,
            "source": str(pbf.resolve()),
            "source_bytes": size,
            "built_at": started.isoformat(timespec="seconds"),
            "build_seconds": round((_dt.datetime.now(_dt.timezone.utc) - started).total_seconds(), 2),
            "modes": info_modes,
            "bbox": {"south": float(lat.min()), "west": float(lon.min()),
                     "north": float(lat.max()), "east": float(lon.max())},
            "min_component_nodes": min_component_nodes,
        }
        (work / "network.json").write_text(json.dumps(info, indent=2))
        final = cache / f"build-{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    link_tmp = cache / f".current-{uuid.uuid4().hex}"
    os.symlink(final.name, link_tmp)
    previous = _current_target(cache)
    os.replace(link_tmp, cache / CURRENT)  # atomic: readers see the old network or the new one
    if previous is not None and previous != final:
        shutil.rmtree(previous, ignore_errors=True)
    say(f"done in {info['build_seconds']} s: {', '.join(wanted)}")
    return network_info(cache)


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _current_target(cache: Path) -> Path | None:
    link = cache / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def network_info(cache_dir: str | os.PathLike) -> dict:
    """What the cache's current network holds: modes with node/arc counts, bbox, source file, build date."""
    target = _current_target(Path(cache_dir))
    if target is None or not (target / "network.json").is_file():
        raise StreetsError(f"no streets network built in {cache_dir} (run: doorstep streets build PATH.osm.pbf)")
    info = json.loads((target / "network.json").read_text())
    info["path"] = str(target)
    return info


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
            raise StreetsError(f"the streets network in {target} is damaged ({mode}: {_short(exc)}); "
                               "rebuild it with doorstep streets build") from exc
    return StreetNetwork(graphs, info)


# --- the travel provider ------------------------------------------------------------------------

@dataclass
class StreetMatrix:
    """A matrix with its caveats: integer seconds (``UNREACHABLE`` where there is no path), which pairs are
    reachable, which places could not be put on the network (farther than ``max_snap_m``), and each
    place's snap distance in metres. Arrays are read-only (they are cached)."""

    seconds: np.ndarray
    reachable: np.ndarray
    unplaced: list[int]
    snap_metres: np.ndarray
    mode: str

    def unreachable_pairs(self) -> list[tuple[int, int]]:
        return [(int(i), int(j)) for i, j in zip(*np.nonzero(~self.reachable))]


@dataclass
class StreetTravel:
    """Travel times along real streets; same ``matrix(places, mode)`` interface as ``GeodesicTravel``.

    ``fallback`` is the geodesic provider that code not yet taught about streets falls back to (circles
    measure with it and label the figures an approximation).
    """

    network: StreetNetwork
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    cache_size: int = 64
    fallback: GeodesicTravel = field(default_factory=GeodesicTravel)
    name: str = "streets"

    def __post_init__(self):
        for mode, speed in self.speeds_kmh.items():
            if not speed or speed <= 0:
                raise InvalidProblem(f"speed for {mode!r} must be positive")
        if "walk" not in self.speeds_kmh:
            raise InvalidProblem("a walking speed is needed (snap distances are walked)")
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @property
    def modes(self) -> list[str]:
        return list(self.network.modes)

    def _speed_ms(self, mode: str) -> float:
        try:
            return self.speeds_kmh[mode] / 3.6
        except KeyError:
            raise InvalidProblem(f"no speed for travel mode {mode!r}") from None

    def _setup(self, mode: str):
        g = self.network.mode(mode)
        speed, walk = self._speed_ms(g.mode), self._speed_ms("walk")
        return g, g.graph(speed, walk), speed, walk

    def snap(self, places: Sequence[Location | None], mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Nearest snappable node of each place (-1 if none within ``max_snap_m``, or no place) and the
        great-circle metres to it."""
        g = self.network.mode(mode)
        n = len(places)
        nodes = np.full(n, -1, dtype=np.int64)
        metres = np.zeros(n, dtype=float)
        present = [i for i, p in enumerate(places) if p is not None]
        if not present or g.snap_nodes.size == 0:
            return nodes, metres
        lat = np.array([places[i].lat for i in present], float)
        lon = np.array([places[i].lon for i in present], float)
        x, y = project(lat, lon, g.origin)
        _d, k = g.tree.query(np.column_stack([x, y]))
        chosen = g.snap_nodes[k]
        exact = haversine_m(lat, lon, g.lat[chosen], g.lon[chosen])
        ok = exact <= self.max_snap_m
        idx = np.array(present)
        nodes[idx[ok]] = chosen[ok]
        metres[idx] = exact
        return nodes, metres

    def _node_seconds(self, g: ModeGraph, graph, speed: float, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Exact network seconds from each source node to each target node (inf where no path).

        Each search is bounded: first by twice the source's widest straight-line span to the targets at
        the mode's speed, plus 5 minutes (sources in groups of similar bounds); rows that did not reach
        every target are searched again with the bound doubled, then unbounded, so the answer is exact
        and a compact site's day never explores the whole city."""
        from scipy.sparse.csgraph import dijkstra

        if sources.size == 0 or targets.size == 0:
            return np.zeros((sources.size, targets.size))
        span = haversine_m(g.lat[sources][:, None], g.lon[sources][:, None],
                           g.lat[targets][None, :], g.lon[targets][None, :]).max(axis=1)
        bound = span * 2.0 / speed + 300.0
        out = np.full((sources.size, targets.size), np.inf)
        chunk = max(1, int(1e7 // max(g.n, 1)))  # dense rows of at most ~80 MB at a time
        todo = np.argsort(bound, kind="stable")
        for attempt in range(3):
            left = []
            for start in range(0, todo.size, chunk):
                rows_idx = todo[start:start + chunk]
                limit = np.inf if attempt == 2 else float(bound[rows_idx].max()) * (2 ** attempt)
                rows = dijkstra(graph, directed=True, indices=sources[rows_idx], limit=limit)[:, targets]
                out[rows_idx] = rows
                if limit != np.inf:
                    left.extend(rows_idx[~np.isfinite(rows).all(axis=1)].tolist())
            if not left:
                break
            todo = np.array(sorted(left, key=lambda r: bound[r]), dtype=np.int64)
        return out

    def matrix_report(self, places: Sequence[Location | None], mode: str) -> StreetMatrix:
        """The full answer for a set of places, cached in memory per mode and sequence of places."""
        mode = normalise_mode(mode)
        key = (mode, tuple(None if p is None else (float(p.lat), float(p.lon)) for p in places))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = self._compute(places, mode)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _compute(self, places: Sequence[Location | None], mode: str) -> StreetMatrix:
        g, graph, speed, walk = self._setup(mode)
        n = len(places)
        nodes, snap_m = self.snap(places, mode)
        missing = np.array([p is None for p in places], dtype=bool)
        placed = nodes >= 0
        unplaced = [i for i in range(n) if not missing[i] and not placed[i]]
        uniq, inverse = np.unique(nodes[placed], return_inverse=True)
        net = np.full((n, n), np.inf)
        if uniq.size:
            d = self._node_seconds(g, graph, speed, uniq, uniq)
            idx = np.flatnonzero(placed)
            net[np.ix_(idx, idx)] = d[np.ix_(inverse, inverse)]
        reachable = np.isfinite(net)
        total = np.where(reachable, net, 0.0) + (snap_m[:, None] + snap_m[None, :]) / walk
        same = np.eye(n, dtype=bool)
        groups: dict = {}
        for i, p in enumerate(places):
            if p is not None:
                groups.setdefault((p.lat, p.lon), []).append(i)
        for group in groups.values():
            if len(group) > 1:
                same[np.ix_(group, group)] = True
        same[missing, :] = True  # no place, no travel: zero rows as GeodesicTravel gives them
        same[:, missing] = True
        reachable |= same
        seconds = np.where(reachable, np.rint(total), UNREACHABLE).astype(np.int64)
        seconds[same] = 0
        for arr in (seconds, reachable):
            arr.setflags(write=False)
        if unplaced or not reachable.all():
            log.info("streets %s matrix: %d places off the network, %d unreachable pairs", mode, len(unplaced),
                     int((~reachable).sum()))
        return StreetMatrix(seconds, reachable, unplaced, snap_m, mode)

    def matrix(self, places: Sequence[Location | None], mode: str) -> np.ndarray:
        """Integer seconds between all places; ``UNREACHABLE`` where there is no path, 0 for a missing place."""
        return self.matrix_report(places, mode).seconds.copy()

    def seconds(self, a: Location, b: Location, mode: str) -> int:
        """One pair (``UNREACHABLE`` if there is no path), for callers that need a single ETA."""
        return int(self.matrix_report([a, b], mode).seconds[0, 1])

    def route(self, a: Location, b: Location, mode: str) -> tuple[int, int]:
        """(seconds, metres) from ``a`` to ``b`` along the network, snaps included (walked); raises
        ``Unreachable`` if there is no path or a place is farther than ``max_snap_m`` from any street."""
        from scipy.sparse.csgraph import dijkstra

        mode = normalise_mode(mode)
        g, graph, speed, walk = self._setup(mode)
        nodes, snap_m = self.snap([a, b], mode)
        where = f"({a.lat}, {a.lon}) to ({b.lat}, {b.lon})"
        if (nodes < 0).any():
            raise Unreachable(f"no {mode} route from {where}: a place is farther than {self.max_snap_m:g} m "
                              "from any street of the network")
        if (a.lat, a.lon) == (b.lat, b.lon):
            return 0, 0
        dist, pred = dijkstra(graph, directed=True, indices=int(nodes[0]), return_predecessors=True)
        if not np.isfinite(dist[nodes[1]]):
            raise Unreachable(f"no {mode} route from {where}: the streets do not connect them")
        seconds = dist[nodes[1]] + (snap_m[0] + snap_m[1]) / walk
        metres = g.path_metres(pred, int(nodes[1])) + snap_m[0] + snap_m[1]
        return int(round(seconds)), int(round(metres))

    # circles

    def _from_origin(self, origin: Location, mode: str, minutes: float):
        """Per node: seconds from ``origin`` (inf past the budget), the origin's snap walked first."""
        from scipy.sparse.csgraph import dijkstra

        g, graph, speed, walk = self._setup(mode)
        nodes, snap_m = self.snap([origin], mode)
        if nodes[0] < 0:
            return g, np.full(g.n, np.inf), speed, int(nodes[0])
        lead = snap_m[0] / walk
        limit = max(minutes * 60.0 - lead, 0.0)
        dist = dijkstra(graph, directed=True, indices=int(nodes[0]), limit=limit)
        return g, dist + lead, speed, int(nodes[0])

    def within(self, origin: Location, points: Sequence[Location], mode: str, minutes: float
               ) -> tuple[np.ndarray, np.ndarray]:
        """Which ``points`` can be reached from ``origin`` within ``minutes`` (outbound, origin to point,
        snaps walked): their indices and integer seconds, in index order."""
        o, p, s = self.reach([origin], points, mode, minutes)
        return p, s

    def reach(self, origins: Sequence[Location], points: Sequence[Location], mode: str | Sequence[str],
              minutes: float | Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (origin, point) pair within the origin's minutes on its mode: (origin idx, point idx, seconds),
        sorted by origin then point.

        ``mode`` and ``minutes`` may be one value or one per origin. Points are snapped once per mode and
        each origin runs one search bounded by its minutes, so 500 sites over 50,000 seniors never build a
        dense sites x seniors matrix.
        """
        from scipy.sparse.csgraph import dijkstra

        m = len(origins)
        modes = [normalise_mode(mode)] * m if isinstance(mode, str) else [normalise_mode(x) for x in mode]
        mins = [float(minutes)] * m if np.isscalar(minutes) else [float(x) for x in minutes]
        if len(modes) != m or len(mins) != m:
            raise InvalidProblem("give one mode and one minutes value per origin, or one for all")
        p_lat = np.array([q.lat for q in points], float)
        p_lon = np.array([q.lon for q in points], float)
        out_o, out_p, out_s = [], [], []
        for md in sorted(set(modes)):
            g, graph, speed, walk = self._setup(md)
            p_nodes, p_snap = self.snap(points, md)
            p_ok = np.flatnonzero(p_nodes >= 0)
            p_node, p_lead = p_nodes[p_ok], p_snap[p_ok] / walk
            mine = [j for j in range(m) if modes[j] == md]
            o_nodes, o_snap = self.snap([origins[j] for j in mine], md)
            live = [b for b in range(len(mine)) if o_nodes[b] >= 0]
            live.sort(key=lambda b: mins[mine[b]])
            chunk = max(1, int(2e7 // max(g.n, 1)))  # dense rows of at most ~160 MB
            for start in range(0, len(live), chunk):
                block = live[start:start + chunk]
                limit = max(mins[mine[b]] * 60.0 - o_snap[b] / walk for b in block)
                dist = dijkstra(graph, directed=True, indices=o_nodes[block], limit=max(limit, 0.0))
                for r, b in enumerate(block):
                    secs = np.rint(dist[r, p_node] + o_snap[b] / walk + p_lead)
                    here = origins[mine[b]]
                    secs[(p_lat[p_ok] == here.lat) & (p_lon[p_ok] == here.lon)] = 0  # the place itself
                    hit = np.flatnonzero(secs <= mins[mine[b]] * 60.0)
                    out_o.append(np.full(hit.size, mine[b], dtype=np.int64))
                    out_p.append(p_ok[hit].astype(np.int64))
                    out_s.append(secs[hit].astype(np.int64))
        if not out_o:
            empty = np.zeros(0, np.int64)
            return empty, empty.copy(), empty.copy()
        o, p, s = np.concatenate(out_o), np.concatenate(out_p), np.concatenate(out_s)
        order = np.lexsort((p, o))
        return o[order], p[order], s[order]

    def isochrone(self, origin: Location, mode: str, minutes: float, *, width_m: float = 25.0,
                  fill_holes_m2: float = 40_000.0):
        """The area reachable from ``origin`` within ``minutes``: the reached streets (a partly reached
        street cut where time runs out) widened by ``width_m``, with enclosed holes under ``fill_holes_m2``
        (city blocks) filled; water, railway yards and other large unreached areas stay out. Rasterised at
        about half ``width_m`` and traced back to a polygon, so it takes milliseconds. A shapely
        (Multi)Polygon in degrees, x = lon, y = lat; empty if the origin is off the network."""
        import shapely

        mode = normalise_mode(mode)
        g, node_s, speed, start = self._from_origin(origin, mode, minutes)
        budget = minutes * 60.0
        t_tail = node_s[g.tail]
        live = np.isfinite(t_tail) & (t_tail <= budget)
        if start < 0 or not live.any():
            return shapely.Polygon()
        tail, head = g.tail[live], g.head[live]
        arc_s = g.arc_seconds(speed, self._speed_ms("walk"))[live]
        frac = np.clip((budget - t_tail[live]) / arc_s, 0.0, 1.0)
        ax, ay = g.x[tail], g.y[tail]
        bx = ax + (g.x[head] - ax) * frac
        by = ay + (g.y[head] - ay) * frac
        ox, oy = project([origin.lat], [origin.lon], g.origin)  # the walk from the door to the street
        ax = np.append(ax, ox)
        ay = np.append(ay, oy)
        bx = np.append(bx, g.x[start])
        by = np.append(by, g.y[start])
        area = _trace(ax, ay, bx, by, width_m, fill_holes_m2)

        def to_lonlat(xy):
            lat, lon = unproject(xy[:, 0], xy[:, 1], g.origin)
            return np.column_stack([lon, lat])

        return shapely.transform(area, to_lonlat)

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _trace(ax, ay, bx, by, width: float, hole_m2: float, max_cells: int = 800):
    """Segments (ax, ay)-(bx, by) in metres, widened by ``width`` on a grid, small holes filled, as a polygon."""
    import shapely
    from scipy import ndimage

    pad = 2 * width
    x0, y0 = min(ax.min(), bx.min()) - pad, min(ay.min(), by.min()) - pad
    x1, y1 = max(ax.max(), bx.max()) + pad, max(ay.max(), by.max()) + pad
    cell = max(width / 2.0, max(x1 - x0, y1 - y0) / max_cells)
    nx, ny = int((x1 - x0) / cell) + 2, int((y1 - y0) / cell) + 2
    steps = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / (cell / 2))).astype(np.int64)
    seg = np.repeat(np.arange(ax.size), steps + 1)
    offset = np.arange(seg.size) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    f = offset / steps[seg]
    px, py = ax[seg] + (bx - ax)[seg] * f, ay[seg] + (by - ay)[seg] * f
    grid = np.zeros((ny, nx), bool)
    grid[((py - y0) / cell).astype(np.int64), ((px - x0) / cell).astype(np.int64)] = True
    r = max(1, int(round(width / cell)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    grid = ndimage.binary_dilation(grid, structure=(xx ** 2 + yy ** 2) <= r * r)
    labels, _count = ndimage.label(~grid)
    sizes = np.bincount(labels.ravel())
    small = sizes * cell * cell < hole_m2
    small[0] = False
    small[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = False
    grid |= small[labels]
    d = np.diff(np.pad(grid.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, c0 = np.nonzero(d == 1)
    _rows, c1 = np.nonzero(d == -1)
    boxes = shapely.box(x0 + c0 * cell, y0 + rows * cell, x0 + c1 * cell, y0 + (rows + 1) * cell)
    return shapely.simplify(shapely.union_all(boxes), cell * 0.5)


def load_travel(cache_dir: str | os.PathLike, **options) -> StreetTravel:
    """The provider for the cache's current network (what ``DISPATCH_TRAVEL_PROVIDER=streets`` should call);
    ``StreetsError`` with a clear message when no network is built there."""
    return StreetTravel(load_network(cache_dir), **options)
