"""The annealing schedule shared by the ruin-and-recreate searches."""

from __future__ import annotations

import time


def cooling(deadline: float, t_start: float, t_end: float, clock=time.monotonic, max_iterations: int | None = None):
    """(progress, temperature) per iteration of a geometric annealing from t_start to t_end.

    Progress runs over the time left to `deadline`, or over `max_iterations` when given (then a run
    does not depend on the clock unless the deadline cuts it short).
    """
    began = clock()
    span = max(1e-3, deadline - began)
    ratio = t_end / t_start
    iterations = 0
    while max_iterations is None or iterations < max_iterations:
        now = clock()
        if now >= deadline:
            return
        progress = iterations / max_iterations if max_iterations else (now - began) / span
        iterations += 1
        yield progress, t_start * ratio ** progress
