"""The benchmark-only path: Solomon / Gehring-Homberger VRPTW files under the DIMACS 2021 rules.

Nothing in the site planner imports this package; `doorstep solve-vrptw` and `tests/bench/` do.
`python -m dispatch.routing.benchmarks.vrptw PATH --time-limit 10` solves one file.
"""
