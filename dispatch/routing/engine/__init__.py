"""The routing core's one ruin-and-recreate search engine, for site plans and the VRPTW benchmarks.

    search = Search(problem, travel_matrices(problem), allowed, penalties, continuity_weight, seed)
    routes, cost, iterations = search.run(start, deadline)            # until a deadline
    routes, cost, iterations = search.run(start, math.inf, max_iterations=20_000)  # repeatable

Its kernels time a route as one trip from the start: they know no reload at the kitchen
(`Worker.trips`), so `solver.solve` does not polish a problem with reloads (OR-Tools searches it
for the whole time limit) rather than let the engine judge such routes by the wrong rules.
"""

from .search import Search, preload
from .tables import Tables, travel_matrices

__all__ = ["Search", "Tables", "preload", "travel_matrices"]
