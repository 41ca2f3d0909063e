"""Planning a site's day: build the routing problem, solve in the background, review, adjust, publish.

``service`` starts and stores plans, ``edit`` moves, locks, publishes and re-plans them, ``store``
holds the persistence both share, ``problem`` translates the database to a routing problem and back,
``view`` is the review page as data, ``exports`` the sheets, GPX and iCalendar.
"""
import importlib


def __getattr__(name: str):
    # Old RQ path of ``dispatch.jobs.run_planning`` (jobs queued before 0.2); remove in 0.3.
    if name == "run_planning":
        return getattr(importlib.import_module("dispatch.jobs"), name)
    raise AttributeError(name)
