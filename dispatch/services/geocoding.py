"""Old RQ path of ``dispatch.jobs.geocode_job``, kept for one release so jobs queued before an upgrade still run.

Remove in 0.3. Resolved at call time, so the services layer does not import the edge above it.
"""
import importlib


def __getattr__(name: str):
    if name == "geocode_job":
        return getattr(importlib.import_module("dispatch.jobs"), name)
    raise AttributeError(name)
