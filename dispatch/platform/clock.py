"""Time as Doorstep reads it: the app's one clock, each site's zone, and a site's "today".

Every service asks here for "now" instead of calling ``datetime.now``, so one object decides what
time it is: the system clock in production, a ``FixedClock`` that a test hands to ``create_app``,
or a ``ShiftedClock`` that puts the demo district at a plausible hour wherever it is run. Stored
times are aware UTC; a site's zone turns them into the wall-clock time people read.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from dispatch.models.types import CLOCK_EXTENSION

EXTENSION = CLOCK_EXTENSION  # models.types.utcnow reads the same key for column defaults
UTC = timezone.utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""


class SystemClock:
    """The machine's clock: production."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that shows one moment until it is moved: tests set it, step it and read it back."""

    def __init__(self, at: datetime) -> None:
        self.at = _aware(at)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = _aware(at)

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at

    def __repr__(self) -> str:
        return f"FixedClock({self.at.isoformat()})"


class ShiftedClock:
    """Real time moved by a fixed offset: it runs, but shows another hour (the demo's service day)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def __repr__(self) -> str:
        return f"ShiftedClock({self.offset})"


_SYSTEM = SystemClock()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware datetime")
    return at.astimezone(UTC)


def install(app, clock: Clock | None = None) -> None:
    """Give the app its clock (``create_app`` does this once): the one passed in, else the system clock
    moved by ``CLOCK_OFFSET_SECONDS``."""
    if clock is None:
        offset = float(app.config.get("CLOCK_OFFSET_SECONDS") or 0)
        clock = ShiftedClock(timedelta(seconds=offset)) if offset else _SYSTEM
    app.extensions[EXTENSION] = clock


def current() -> Clock:
    """The running app's clock; the system clock outside an app (scripts, the routing benches)."""
    if has_app_context():
        return current_app.extensions.get(EXTENSION, _SYSTEM)
    return _SYSTEM


def now() -> datetime:
    """This moment by the app's clock (aware UTC)."""
    return current().now()


def default_zone() -> ZoneInfo:
    """The deployment's zone (``TIMEZONE``), for what belongs to no site."""
    name = current_app.config.get("TIMEZONE", "UTC") if has_app_context() else "UTC"
    return zone_named(name)


def zone_named(name: str | None) -> ZoneInfo:
    """A zone by IANA name; UTC for an empty or unknown name (a bad stored value must not break a page)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(site: Any | None) -> ZoneInfo:
    """A site's zone (its ``timezone``), or the deployment's when there is no site or it names none."""
    name = getattr(site, "timezone", None) if site is not None else None
    return zone_named(name) if name else default_zone()


def local(dt: datetime | None, zone: tzinfo) -> datetime | None:
    """A stored (UTC) datetime as wall-clock time in ``zone``; naive values are read as UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone)


def local_now(site: Any | None = None, at: datetime | None = None) -> datetime:
    """Now (or ``at``) on the site's wall clock."""
    return local(at or now(), zone_of(site))


def local_today(site: Any | None = None, at: datetime | None = None) -> date:
    """The site's calendar day now (or at ``at``): what "today" means to the people there."""
    return local_now(site, at).date()


def at_local(day: date, wall: time, zone: tzinfo) -> datetime:
    """The UTC moment of a wall-clock time on a day in ``zone``."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC moments a local calendar day starts and ends (half-open)."""
    return at_local(day, time(0), zone), at_local(day + timedelta(days=1), time(0), zone)
