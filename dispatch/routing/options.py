"""How to search (`SolveOptions`) and what a plan costs: the drop penalties and the plan's own cost.

Apart from the solver so that the engine, the benchmarks and the planning service can read the
options and price a plan without loading OR-Tools' model code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .precheck import eligible_workers
from .problem import Priority, Problem
from .result import Solution


@dataclass(frozen=True)
class SolveOptions:
    """How hard and how to search; the defaults suit a site's day in a few seconds.

    `continuity_weight` is what keeping a senior's usual worker is worth, in
    seconds of extra travel. `balance_weight` is charged per second a route's
    working time exceeds the day's fair share (0 = off). `initial_routes` warm-start
    the search (worker id -> stop ids), which is how re-planning stays close to
    the published plan. With a time limit the result depends on machine speed;
    `solution_limit` stops after a fixed amount of work and is repeatable, and with
    `search_iterations` as well the engine then polishes for exactly that many iterations:
    the same problem and seed give the same plan on any machine (unless the time limit
    cuts the search short first, which is logged).
    """

    time_limit: float = 5.0
    seed: int = 0
    continuity_weight: int = 600
    balance_weight: int = 0
    # Measured on generated sites (tests/bench/site_day.py, 10 s): sequential insertion
    # with a light GLS penalty and the operators that re-insert dropped stops placed
    # every meal where the OR-Tools defaults left 3 critical meals out.
    first_solution: str = "SEQUENTIAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.02
    initial_routes: Mapping[str, Sequence[str]] | None = None
    solution_limit: int | None = None
    search_iterations: int | None = None
    # "auto" (compiled when numba is there), "compiled" or "python"; None: $DOORSTEP_ENGINE.
    engine: str | None = None
    log_search: bool = False
    # `use_inactive_lns` was on here too: on the generated site it took ~80 % of the search
    # time (each neighbour is a small CP search) and never produced an accepted move.
    extra_operators: tuple[str, ...] = ("use_relocate_and_make_active", "use_exchange_and_make_active",
                                        "use_extended_swap_active")
    disabled_operators: tuple[str, ...] = ()
    # OR-Tools filters every move on a route that has a break and a working-time cap by
    # solving a small LP; on the generated site that halves the neighbours evaluated per
    # second. Without it the filters propagate breaks and spans themselves and the CP
    # constraints still reject any infeasible move, so plans stay exact; the schedule comes
    # from the finalizer's earliest/latest times either way, and the only cumul cost (the
    # optional balance soft bound) never needed the LP.
    lp_scheduling: bool = False
    # Small plans (district meal runs of ~100 stops) first descend to a local optimum from
    # each of these starts, then guided local search continues from the best one. Guided
    # search escapes a poor basin slowly: on the demo district's largest plans the
    # sequential-insertion optimum was 2-14 % longer than the savings one.
    # A descent on the 220-stop generated site costs most of a 10 s budget, so larger
    # plans use `first_solution` alone, as does a caller whose `first_solution` is not
    # one of `starts` (the Solomon benchmark picks its own) or who gives under a second.
    starts: tuple[str, ...] = ("SAVINGS", "SEQUENTIAL_CHEAPEST_INSERTION")
    starts_max_stops: int = 120
    search_text: str = ""
    # OR-Tools searches for this share of the time limit (loading the engine comes out of
    # it, so a busy machine never eats the search's part), then `engine` (ruin and
    # recreate, every site rule kept) improves its plan for the rest, or builds one when
    # OR-Tools found none in its share; OR-Tools must accept the polished plan with a lower
    # objective, else its own plan stands. Off for re-plans
    # from published routes (they must move little) and for `solution_limit` runs.
    polish_share: float = 0.3
    polish: bool = True
    # Small plans converge long before the time limit (a one-visit plan used to take all
    # of it): up to `small_plan_stops` stops OR-Tools searches at most `small_plan_ortools`
    # seconds before the polish, and the polish stops after `converged_iterations_per_stop`
    # iterations per stop without a new best. Plans of 88 and 220 stops reach neither
    # within 10 s (the 220-stop site not within 120 s), so larger plans use the whole limit.
    small_plan_stops: int = 30
    small_plan_ortools: float = 1.0
    converged_iterations_per_stop: int = 2000



def penalty_unit(problem: Problem) -> int:
    biggest = max((int(m.max()) for m in problem.matrices.values()), default=0)
    service = max((s.service for s in problem.stops), default=0)
    return max(1, 2 * biggest + service)


def drop_penalties(problem: Problem, options: SolveOptions) -> list[int]:
    """What dropping each stop costs; tiers are far apart so priority always wins over travel."""
    unit = penalty_unit(problem) + options.continuity_weight + options.balance_weight
    n = len(problem.stops)
    tiers = {Priority.OPTIONAL: unit, Priority.OPTIONAL_SOON: 2 * unit, Priority.OPTIONAL_URGENT: 4 * unit,
             Priority.LOW: 5 * unit, Priority.NORMAL: 50 * unit, Priority.HIGH: 500 * unit}
    must = 1000 * unit * (n + 1)
    return [must if s.must_serve else tiers[s.priority] for s in problem.stops]


def plan_cost(solution: Solution, options: SolveOptions | None = None) -> int:
    """The objective without drop penalties: travel plus continuity (and balance) charges.

    Benchmarks compare plans by it; stops no worker could serve alone never entered the model,
    so the objective holds no penalty for them and none is taken off.
    """
    problem = solution.problem
    penalty = drop_penalties(problem, options or SolveOptions())
    allowed, _ = eligible_workers(problem)
    index = {s.id: i for i, s in enumerate(problem.stops)}
    return solution.cost - sum(penalty[index[u.stop_id]] for u in solution.unassigned if allowed[index[u.stop_id]])
