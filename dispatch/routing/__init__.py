"""Doorstep's routing core: plain data in, a checked plan out.

    problem = Problem.build(stops, workers, depots, travel=GeodesicTravel())
    solution = solve(problem, time_limit=5)
    print(solution.summary()); assert solution.is_feasible()
"""

from .checker import Kind, Violation, check
from .problem import Break, Depot, InvalidProblem, Location, Priority, Problem, Stop, TimeWindow, Worker
from .result import Reason, Route, Solution, Unassigned, Visit
from .travel import DEFAULT_CIRCUITY, DEFAULT_SPEEDS_KMH, GeodesicTravel, OsrmTravel


def solve(problem, options=None, **overrides):
    """Plan routes (see `solver.solve`); imported lazily so the types load without OR-Tools."""
    from .solver import solve as _solve

    return _solve(problem, options, **overrides)


STREETS_NAMES = ("StreetTravel", "StreetsError", "Unreachable", "UNREACHABLE", "build_network", "load_network",
                 "load_travel", "network_info")


def __getattr__(name):
    if name == "SolveOptions":
        from .solver import SolveOptions

        return SolveOptions
    if name in STREETS_NAMES:  # the streets provider, loaded on first use (its extra may not be installed)
        from . import streets

        return getattr(streets, name)
    raise AttributeError(name)


__all__ = [
    "Break", "Depot", "InvalidProblem", "Location", "Priority", "Problem", "Stop", "TimeWindow", "Worker",
    "Reason", "Route", "Solution", "Unassigned", "Visit", "Kind", "Violation", "check",
    "GeodesicTravel", "OsrmTravel", "DEFAULT_SPEEDS_KMH", "DEFAULT_CIRCUITY", "solve", "SolveOptions",
    *STREETS_NAMES,
]
