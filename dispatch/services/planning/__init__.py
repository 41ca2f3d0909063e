"""Planning a site's day: build the routing problem, solve in the background, review, adjust, publish.

The use cases are named here. Behind them: ``service`` starts plans and runs the solve job,
``edit`` moves, locks, publishes and re-plans, ``store`` holds the persistence both share,
``problem`` translates the database to a routing problem and back, ``view`` is the review page as
data and ``exports`` the sheets, GPX and iCalendar.
"""
import importlib

from dispatch.services.planning.edit import (
    MovePreview,
    apply_move,
    insert_urgent,
    preview_move,
    publish,
    replan_published,
    rerun_keeping_locks,
    set_lock,
)
from dispatch.services.planning.service import (
    FRESH,
    NO_WORKERS_ERROR,
    REPLAN,
    RERUN,
    VISITS_PART,
    WINDOW,
    WORKER_LOST_ERROR,
    WORKERS_TAKEN_ERROR,
    job_state,
    replan_window,
    solve_and_store,
    start_planning,
    window_parts,
)
from dispatch.services.planning.store import (
    LIVE,
    PlanNotEditable,
    check_plan,
    latest_plan,
    live_plan,
    load_plan,
    plans_for_day,
    problem_for_plan,
    site_to_open,
    stop_key,
)

__all__ = [
    "MovePreview", "apply_move", "insert_urgent", "preview_move", "publish", "replan_published", "rerun_keeping_locks",
    "set_lock", "FRESH", "NO_WORKERS_ERROR", "REPLAN", "RERUN", "WORKER_LOST_ERROR", "WORKERS_TAKEN_ERROR",
    "VISITS_PART", "WINDOW", "replan_window", "window_parts", "job_state", "solve_and_store", "start_planning", "LIVE", "PlanNotEditable", "check_plan", "latest_plan",
    "live_plan", "load_plan", "plans_for_day", "problem_for_plan", "site_to_open", "stop_key",
]


def __getattr__(name: str):
    # Old RQ path of ``dispatch.jobs.run_planning`` (jobs queued before 0.2); remove in 0.3.
    if name == "run_planning":
        return getattr(importlib.import_module("dispatch.jobs"), name)
    raise AttributeError(name)
