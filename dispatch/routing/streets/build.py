"""Building a street network from an OpenStreetMap extract (``pyrosm``) into the cache, swapped in atomically."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from .network import (
    CURRENT,
    FORMAT,
    MIN_COMPONENT_NODES,
    MODES,
    PYROSM_NETWORK,
    StreetsError,
    current_build,
    network_info,
    normalise_mode,
    short_error,
)

log = logging.getLogger(__name__)


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


def snappable(n: int, tail, head, min_nodes: int) -> np.ndarray:
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
    stat = pbf.stat()
    size = stat.st_size
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
                           f"{short_error(exc)}); the network in use is unchanged") from exc
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
                                   f"{short_error(exc)}); the network in use is unchanged") from exc
            n = arrays["osm_id"].size
            arrays["snappable"] = snappable(n, arrays["tail"], arrays["head"], min_component_nodes)
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
            "source_mtime_ns": stat.st_mtime_ns,
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
    previous = current_build(cache)
    os.replace(link_tmp, cache / CURRENT)  # atomic: readers see the old network or the new one
    if previous is not None and previous != final:
        shutil.rmtree(previous, ignore_errors=True)
    say(f"done in {info['build_seconds']} s: {', '.join(wanted)}")
    return network_info(cache)


def built_from(pbf_path: str | os.PathLike, cache_dir: str | os.PathLike, modes: Iterable[str] = MODES) -> dict | None:
    """The cache's current ``network_info`` if it was built from this very file (same path, size and
    modification time) with every one of ``modes``; else None. Lets a command that needs a network
    (``doorstep demo --streets``) reuse the build instead of parsing the extract again."""
    pbf = Path(pbf_path)
    try:
        info = network_info(cache_dir)
        stat = pbf.stat()
    except (StreetsError, OSError, ValueError):
        return None
    same = (info.get("source") == str(pbf.resolve()) and info.get("source_bytes") == stat.st_size
            and info.get("source_mtime_ns") == stat.st_mtime_ns)
    wanted = {normalise_mode(m) for m in modes}
    return info if same and wanted <= set(info.get("modes", {})) else None
