"""Visit verification on a fixed clock: the server's receipt is the time of a tap, the phone's time a claim;
early, late and short visits and far-off phone clocks are flagged; a visit only moves forward."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dispatch.models import RequestStatus, Stop, StopOutcome
from dispatch.services.rounds import evv
from dispatch.services.rounds.evv import VisitFlag
from tests.factories import login_as
from tests.test_outcomes import NOON, app_clock, build_route, crew, events, fresh, post_tap  # noqa: F401 - fixtures

UTC = timezone.utc


@pytest.fixture
def visit(crew):
    """A 45-minute bathing visit whose window is 11:30-12:30 in Shanghai (NOON is 12:00 there)."""
    route = build_route(crew["worker"], [crew["seniors"][0]], kind="visit", site=crew["site"])
    return route.stops[0].id


def check(stop_id):
    stop = fresh(Stop, stop_id)
    return evv.check_visit(stop)


def test_a_tap_dated_1999_is_kept_as_a_claim_and_the_receipt_is_its_time(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    answer = post_tap(client, visit, kind="check_in", recorded_dt="1999-12-31T23:59:00+00:00")
    assert answer.status_code == 200 and answer.get_json()["clock_flagged"] is True
    event = events(visit)[0]
    assert event.received_dt == NOON and event.recorded_dt == NOON
    assert event.claimed_dt == datetime(1999, 12, 31, 23, 59, tzinfo=UTC)
    assert fresh(Stop, visit).arrival_dt == NOON
    result = check(visit)
    assert result.flags == (VisitFlag.PHONE_CLOCK,)
    assert result.flag_texts()[0].startswith("Phone time ")


@pytest.mark.parametrize("claim_off, flagged", [(timedelta(minutes=8), False), (timedelta(minutes=12), True),
                                                 (timedelta(minutes=-4), False), (timedelta(minutes=-6), True)])
def test_a_phone_time_more_than_ten_minutes_before_the_receipt_is_flagged(client, crew, visit, claim_off, flagged):
    login_as(client, crew["user"])
    post_tap(client, visit, kind="check_in", recorded_dt=(NOON - claim_off).isoformat())
    assert (VisitFlag.PHONE_CLOCK in check(visit).flags) is flagged
    assert fresh(Stop, visit).arrival_dt == NOON


def test_a_visit_on_time_and_long_enough_has_no_flag(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    post_tap(client, visit, kind="check_in", recorded_dt=NOON.isoformat())
    app_clock.advance(minutes=44)
    post_tap(client, visit, kind="check_out", recorded_dt=app_clock.now().isoformat())
    result = check(visit)
    assert result.flags == () and result.minutes == 44 and result.planned_minutes == 45


def test_a_check_out_ten_seconds_after_check_in_is_a_short_visit(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    post_tap(client, visit, kind="check_in")
    app_clock.advance(seconds=10)
    post_tap(client, visit, kind="check_out")
    result = check(visit)
    assert result.flags == (VisitFlag.SHORT,)
    assert result.flag_texts() == ["Short visit: 0 of 45 min"]
    assert fresh(Stop, visit).outcome == StopOutcome.COMPLETED


def test_a_check_in_hours_after_the_window_is_late_and_one_before_it_early(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    app_clock.set(NOON + timedelta(hours=11, minutes=41))  # 23:41 in Shanghai for an 11:30-12:30 visit
    post_tap(client, visit, kind="check_in")
    assert check(visit).flags == (VisitFlag.LATE,)

    early = build_route(crew["worker"], [crew["seniors"][2]], kind="visit", site=crew["site"],
                        start=NOON + timedelta(hours=13)).stops[0].id
    post_tap(client, early, kind="check_in")  # 23:41 for a visit whose window opens at 01:30
    assert check(early).flags == (VisitFlag.EARLY,)


def test_within_the_grace_a_visit_is_neither_early_nor_late(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    app_clock.set(NOON - timedelta(minutes=44))  # 11:16 for a window opening 11:30: 14 min early
    post_tap(client, visit, kind="check_in")
    assert check(visit).flags == ()


def test_a_visit_moves_forward_only_and_retries_stay_idempotent(client, app_clock, crew, visit):
    login_as(client, crew["user"])
    refused = post_tap(client, visit, kind="check_out")
    assert refused.status_code == 422 and refused.get_json()["field"] == "kind"
    assert post_tap(client, visit, kind="check_in", client_id="check-in-0001").status_code == 200
    assert post_tap(client, visit, kind="on_the_way").status_code == 422
    assert post_tap(client, visit, kind="check_in").status_code == 422
    app_clock.advance(minutes=45)
    first = post_tap(client, visit, kind="check_out", client_id="check-out-0001")
    assert first.status_code == 200
    # After check-out: no more check-in or on-the-way; the phone's retries get their first answers.
    assert post_tap(client, visit, kind="check_in").status_code == 422
    assert post_tap(client, visit, kind="on_the_way").status_code == 422
    app_clock.advance(minutes=5)
    again = post_tap(client, visit, kind="check_out", client_id="check-out-0001")
    assert again.status_code == 200 and again.get_json()["replay"] is True
    assert again.get_json()["event_id"] == first.get_json()["event_id"]
    assert post_tap(client, visit, kind="check_in", client_id="check-in-0001").get_json()["replay"] is True
    assert len(events(visit)) == 2
    stop = fresh(Stop, visit)
    assert stop.departure_dt == NOON + timedelta(minutes=45)
    assert stop.service_request.status == RequestStatus.COMPLETED


def test_a_meal_stop_has_no_visit_check(crew):
    assert evv.check_visit(fresh(Stop, crew["stops"][0])) is None


def test_the_seniors_statement_lists_the_months_visits_with_their_flags(client, app_clock, crew, visit):
    from tests.factories import create_user

    login_as(client, crew["user"])
    post_tap(client, visit, kind="check_in")
    app_clock.advance(seconds=10)
    post_tap(client, visit, kind="check_out")
    client.post("/logout")
    lines = evv.month_visits(crew["site"].id, crew["seniors"][0].id, NOON.date().replace(day=1), NOON.date())
    assert [(line.stop.id, line.check.flags) for line in lines] == [(visit, (VisitFlag.SHORT,))]
    login_as(client, create_user("staff", sites=[crew["site"]]))
    html = client.get(f"/staff/statements/senior/{crew['seniors'][0].id}?site={crew['site'].id}&month=2026-03") \
        .get_data(as_text=True)
    assert 'id="visits"' in html and "Short visit: 0 of 45 min" in html and "0 of 45" in html
