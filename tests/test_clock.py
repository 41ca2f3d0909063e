"""The app's one clock: what "now" and a site's "today" mean, and the seams tests and demos use."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from dispatch import create_app
from dispatch.models.types import utcnow
from dispatch.platform import clock
from dispatch.platform.clock import FixedClock, ShiftedClock

# 15:55 UTC is 23:55 in Shanghai: five minutes later both the site's "today" and its date change.
BEFORE_MIDNIGHT = datetime(2026, 12, 2, 15, 55, tzinfo=timezone.utc)
SHANGHAI_SITE = SimpleNamespace(timezone="Asia/Shanghai")
HELSINKI_SITE = SimpleNamespace(timezone="Europe/Helsinki")


def test_a_sites_today_turns_at_its_own_midnight_not_the_servers():
    assert clock.local_today(SHANGHAI_SITE, BEFORE_MIDNIGHT) == date(2026, 12, 2)
    assert clock.local_today(SHANGHAI_SITE, BEFORE_MIDNIGHT + timedelta(minutes=10)) == date(2026, 12, 3)
    assert clock.local_today(HELSINKI_SITE, BEFORE_MIDNIGHT + timedelta(minutes=10)) == date(2026, 12, 2)


def test_a_bad_or_missing_zone_name_reads_as_the_deployments_or_utc():
    assert clock.zone_named("Not/AZone").key == "UTC"
    assert clock.zone_of(SimpleNamespace(timezone="")).key == "UTC"  # outside an app: UTC
    app = create_app({"TESTING": True, "TIMEZONE": "Asia/Shanghai"})
    with app.app_context():
        assert clock.zone_of(None).key == "Asia/Shanghai"
        assert clock.zone_of(SimpleNamespace(timezone=None)).key == "Asia/Shanghai"


def test_day_bounds_are_the_sites_midnights_in_utc():
    start, end = clock.day_bounds(date(2026, 12, 3), clock.zone_named("Asia/Shanghai"))
    assert (start, end) == (datetime(2026, 12, 2, 16, tzinfo=timezone.utc), datetime(2026, 12, 3, 16, tzinfo=timezone.utc))


def test_a_fixed_clock_refuses_naive_times_and_moves_only_when_told():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 12, 2, 12))
    fixed = FixedClock(BEFORE_MIDNIGHT)
    assert fixed.now() == fixed.now() == BEFORE_MIDNIGHT
    assert fixed.advance(minutes=10) == BEFORE_MIDNIGHT + timedelta(minutes=10)


def test_the_app_reads_the_clock_it_was_given_for_services_and_column_defaults():
    fixed = FixedClock(BEFORE_MIDNIGHT)
    app = create_app({"TESTING": True}, clock=fixed)
    with app.app_context():
        assert clock.now() == utcnow() == BEFORE_MIDNIGHT
        assert clock.local_today(SHANGHAI_SITE) == date(2026, 12, 2)
        fixed.advance(minutes=10)
        assert clock.local_today(SHANGHAI_SITE) == date(2026, 12, 3)


def test_a_configured_offset_runs_the_apps_clock_at_another_hour():
    app = create_app({"TESTING": True, "CLOCK_OFFSET_SECONDS": -3600})
    with app.app_context():
        assert isinstance(clock.current(), ShiftedClock)
        behind = datetime.now(timezone.utc) - clock.now()
        assert timedelta(minutes=59) < behind < timedelta(minutes=61)


@pytest.mark.parametrize("utc_hour", [0, 3, 9, 15, 17, 23])
def test_the_demo_clock_opens_the_district_at_late_morning_of_its_own_day(utc_hour):
    from dispatch.demo.day import LATE_MORNING, clock_offset

    zone = clock.zone_named("Asia/Shanghai")
    now = datetime(2026, 12, 2, utc_hour, 20, tzinfo=timezone.utc)
    moved = now + timedelta(seconds=clock_offset(now, zone))
    local = moved.astimezone(zone)
    assert (local.hour, local.minute) == (LATE_MORNING.hour, LATE_MORNING.minute)
    assert local.date() == now.astimezone(zone).date()
