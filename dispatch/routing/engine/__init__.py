"""The routing core's one ruin-and-recreate search engine, for site plans and the VRPTW benchmarks.

    search = Search(problem, travel_matrices(problem), allowed, penalties, continuity_weight, seed)
    routes, cost, iterations = search.run(start, deadline)            # until a deadline
    routes, cost, iterations = search.run(start, math.inf, max_iterations=20_000)  # repeatable
"""

from .search import Search, preload
from .tables import Tables, travel_matrices

__all__ = ["Search", "Tables", "preload", "travel_matrices"]
