"""The servers and programs some tests need, and the one rule for when one is missing.

On a developer's machine a missing Redis, chromium or PostgreSQL server skips the tests that need
it, with the reason. Under ``CI=true`` the same skip is a failure (see ``conftest.py``): CI starts
every server itself, so a missing one means the run did not test what it claims to.
"""
from __future__ import annotations

import os

import pytest

MISSING = "missing server or program: "
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip this test because ``what`` is not there (a failure under CI=true)."""
    pytest.skip(MISSING + what)


def redis_connection(url: str):
    """A connection to an empty Redis database at ``url``, or a skip naming what to start."""
    import redis

    conn = redis.Redis.from_url(url)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        missing(f"no Redis server at {url} (start redis-server to run the RQ path)")
    conn.flushdb()
    return conn
