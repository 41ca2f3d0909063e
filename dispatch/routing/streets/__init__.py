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
from .build import build_network, built_from, network_info
from .network import (
    CURRENT,
    DEFAULT_MAX_SNAP_M,
    MIN_COMPONENT_NODES,
    MODE_ALIASES,
    MODES,
    UNREACHABLE,
    ModeGraph,
    StreetNetwork,
    StreetsError,
    Unreachable,
    haversine_m,
    load_network,
    normalise_mode,
    project,
    unproject,
)
from .travel import StreetMatrix, StreetTravel, load_travel

__all__ = [
    "build_network", "built_from", "network_info", "CURRENT", "DEFAULT_MAX_SNAP_M", "MIN_COMPONENT_NODES", "MODE_ALIASES", "MODES",
    "UNREACHABLE", "ModeGraph", "StreetNetwork", "StreetsError", "Unreachable", "haversine_m", "load_network",
    "normalise_mode", "project", "unproject", "StreetMatrix", "StreetTravel", "load_travel",
]
