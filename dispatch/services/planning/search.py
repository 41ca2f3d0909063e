"""How much a plan searches: a fixed amount by default, so the same day gives the same routes.

Staff compare a re-run with the plan they saw, and workers and families were told who comes when: with a
wall-clock limit, a busy server found a different plan on each click of "Re-run" (about ±3.5 % on an
88-stop day), and nothing but the machine's load had changed. A fixed amount of search (OR-Tools'
solutions, then the engine's iterations, both counted) repeats on any machine; the time limit stays as a
safety cap, generous enough that a quiet machine never reaches it (a plan the cap cuts short is logged by
the solver and may not repeat). ``PLAN_SEARCH = "time"`` restores the race against the clock, which on a
quiet machine finds a little more in the same seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

FIXED = "fixed"
TIME = "time"


@dataclass(frozen=True)
class SearchBudget:
    """What one plan may search: the solver options to use and the seconds it may take at most."""

    mode: str
    time_limit: float
    solutions: int | None = None
    iterations: int | None = None

    def describe(self) -> dict[str, Any]:
        """As stored in the plan's summary, so the page and the audit can say how it was searched."""
        out: dict[str, Any] = {"mode": self.mode, "time_limit": self.time_limit}
        if self.mode == FIXED:
            out.update(solutions=self.solutions, iterations=self.iterations)
        return out


def budget_for(stops: int, limit: float, config: Mapping[str, Any], *, mode: str | None = None) -> SearchBudget:
    """The plan's budget from the app's settings (``PLAN_SEARCH*``) and its time limit in seconds."""
    mode = mode or str(config.get("PLAN_SEARCH") or FIXED)
    if mode not in (FIXED, TIME):
        raise ValueError(f"PLAN_SEARCH must be {FIXED!r} or {TIME!r}, not {mode!r}")
    if mode == TIME:
        return SearchBudget(TIME, limit)
    solutions = int(config.get("PLAN_SEARCH_SOLUTIONS") or 50)
    per_stop = int(config.get("PLAN_SEARCH_ITERATIONS_PER_STOP") or 1000)
    cap = float(config.get("PLAN_SEARCH_CAP") or 4)
    return SearchBudget(FIXED, limit * cap, solutions, per_stop * max(1, stops))


def apply(budget: SearchBudget, options):
    """``options`` (a ``SolveOptions``) searching within ``budget``."""
    if budget.mode != FIXED:
        return options
    return replace(options, solution_limit=budget.solutions, search_iterations=budget.iterations)
