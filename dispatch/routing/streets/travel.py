"""The street travel provider: matrices, routes, circles and isochrones on a loaded network."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..location import InvalidProblem, Location
from ..travel import DEFAULT_SPEEDS_KMH, GeodesicTravel
from .network import (
    DEFAULT_MAX_SNAP_M,
    UNREACHABLE,
    ModeGraph,
    StreetNetwork,
    Unreachable,
    haversine_m,
    load_network,
    normalise_mode,
    project,
    unproject,
)

log = logging.getLogger(__name__)


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

