"""The moment the test suite runs at: the machine's time, or ``DISPATCH_TEST_NOW`` when it is set.

``DISPATCH_TEST_NOW=2026-12-02T16:05:00Z python -m pytest`` runs every app the tests build (and the
servers they start) on a clock moved to that moment, so CI can prove the suite passes just before
and just after the site's midnight. Tests that need "now" themselves read it here, never from
``datetime.now``, so they agree with the app.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo

_TARGET = os.environ.get("DISPATCH_TEST_NOW", "").strip()


def _offset_to_target() -> timedelta:
    # Whole seconds, as the apps get it (``CLOCK_OFFSET_SECONDS``), so the tests and the apps agree to the second.
    if not _TARGET:
        return timedelta(0)
    target = datetime.fromisoformat(_TARGET.replace("Z", "+00:00"))
    return timedelta(seconds=round((target - datetime.now(timezone.utc)).total_seconds()))


OFFSET = _offset_to_target()


def anchor() -> None:
    """Put the suite's clock back at ``DISPATCH_TEST_NOW`` (``tests/conftest.py`` does it per module).

    The clock runs from there, so without this a module that starts six minutes into a run at 23:55
    would begin after midnight and one that straddles the minute would see "today" change under it:
    CI's "just before midnight" run must be just before midnight for every module, not for the first.
    """
    global OFFSET
    OFFSET = _offset_to_target()


def now(zone: tzinfo = timezone.utc) -> datetime:
    """Now on the suite's clock, in ``zone`` (UTC by default)."""
    return (datetime.now(timezone.utc) + OFFSET).astimezone(zone)


def today(zone: tzinfo = timezone.utc) -> date:
    """The calendar day in ``zone`` on the suite's clock."""
    return now(zone).date()
