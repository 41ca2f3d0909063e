"""Welfare-alert rules and their clock: dead-man switch, re-raise timer, missed meals, the ladder."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import sqlalchemy as sa

from dispatch import jobs
from dispatch.extensions import db
from dispatch.models import AlertAction, AlertActionKind, AlertKind, AlertReraise, AlertStatus, WelfareAlert
from dispatch.models.notification import Notification
from dispatch.services.rounds import outcomes
from dispatch.services.safety import alerts
from tests.factories import create_senior, create_user, login_as
from tests.test_outcomes import DAY, NOON, app_clock, build_route, crew, post_tap  # noqa: F401 - fixtures


def alerts_of(kind=None):
    db.session.expire_all()
    query = sa.select(WelfareAlert).order_by(WelfareAlert.id)
    if kind is not None:
        query = query.where(WelfareAlert.kind == kind)
    return list(db.session.scalars(query))


def at(moment):
    return lambda: moment


def test_the_dead_man_switch_raises_one_alert_per_stop_left_without_outcome(crew):
    # Windows end at NOON + 30 min (+10 per stop); grace 15 min.
    route_end = NOON + timedelta(minutes=30)
    assert alerts.tick(now=at(route_end + timedelta(minutes=14))).overdue == []
    report = alerts.tick(now=at(route_end + timedelta(minutes=16)))
    assert len(report.overdue) == 1
    (alert,) = alerts_of(AlertKind.OVERDUE_STOP)
    assert alert.stop_id == crew["stops"][0] and alert.site_id == crew["site"].id
    # The next tick does not raise it again, even after staff resolve it.
    assert alerts.tick(now=at(route_end + timedelta(minutes=17))).overdue == []
    # Later windows pass: the other two stops are overdue too.
    assert len(alerts.tick(now=at(route_end + timedelta(minutes=40))).overdue) == 2


def test_a_stop_with_an_outcome_is_never_overdue(client, crew):
    login_as(client, crew["user"])
    for stop_id in crew["stops"]:
        assert post_tap(client, stop_id, outcome="delivered").status_code == 200
    assert alerts.tick(now=at(NOON + timedelta(hours=3))).overdue == []


def test_grace_minutes_come_from_the_settings(app, crew):
    app.config["ALERT_GRACE_MINUTES"] = 60
    assert alerts.tick(now=at(NOON + timedelta(minutes=30 + 45))).overdue == []
    assert len(alerts.tick(now=at(NOON + timedelta(minutes=30 + 61))).overdue) == 1


def test_an_unacknowledged_alert_is_re_raised_until_someone_acknowledges_it(app, client, crew):
    staff = create_user("staff", sites=[crew["site"]], two_factor=False)
    login_as(client, crew["user"])
    post_tap(client, crew["stops"][1], outcome="not_home")  # Chen lives alone
    (alert,) = alerts_of(AlertKind.NOT_HOME_LIVES_ALONE)
    raised = alert.raised_dt
    assert alerts.tick(now=at(raised + timedelta(minutes=9))).reraised == []
    assert alerts.tick(now=at(raised + timedelta(minutes=10))).reraised == [alert.id]
    assert alerts.tick(now=at(raised + timedelta(minutes=15))).reraised == []
    assert alerts.tick(now=at(raised + timedelta(minutes=20))).reraised == [alert.id]
    assert alerts.reraise_counts([alert.id]) == {alert.id: 2}
    staff_mail = db.session.scalars(sa.select(Notification).where(Notification.user_id == staff.id)).all()
    assert len(staff_mail) == 2 and staff_mail[0].payload["reraised"] == 1
    # Acknowledged: no more re-raises.
    alert = alerts_of(AlertKind.NOT_HOME_LIVES_ALONE)[0]
    alert.status, alert.acknowledged_dt = AlertStatus.ACKNOWLEDGED, raised + timedelta(minutes=21)
    db.session.commit()
    assert alerts.tick(now=at(raised + timedelta(minutes=60))).reraised == []


def test_two_missed_meals_in_a_row_raise_an_alert(client, crew):
    wang = crew["seniors"][0]  # does not live alone: a single "not home" raises nothing
    login_as(client, crew["user"])
    post_tap(client, crew["stops"][0], outcome="not_home")
    assert alerts_of() == []
    # The next day's lunch is missed too.
    tomorrow = build_route(crew["worker"], [wang], site=crew["site"], day=DAY + timedelta(days=1),
                           start=NOON + timedelta(days=1))
    stop = tomorrow.stops[0]
    tap = outcomes.Tap.parse({"client_id": uuid.uuid4().hex, "outcome": "refused"})
    outcomes.record(stop, tap, by=crew["user"], now=at(NOON + timedelta(days=1)))
    (alert,) = alerts_of(AlertKind.MISSED_MEALS)
    assert alert.senior_id == wang.id and alert.stop_id is None


def test_a_delivered_meal_between_two_misses_breaks_the_run(client, crew):
    wang = crew["seniors"][0]
    login_as(client, crew["user"])
    post_tap(client, crew["stops"][0], outcome="not_home")
    for offset, outcome in ((1, "delivered"), (2, "not_home")):
        route = build_route(crew["worker"], [wang], site=crew["site"], day=DAY + timedelta(days=offset),
                            start=NOON + timedelta(days=offset))
        outcomes.record(route.stops[0], outcomes.Tap.parse({"client_id": uuid.uuid4().hex, "outcome": outcome}),
                        by=crew["user"], now=at(NOON + timedelta(days=offset)))
    assert alerts_of(AlertKind.MISSED_MEALS) == []


def test_a_late_replay_of_an_old_not_home_raises_no_alert(client, crew):
    login_as(client, crew["user"])
    post_tap(client, crew["stops"][1], outcome="delivered", recorded_dt=(NOON - timedelta(minutes=1)).isoformat())
    post_tap(client, crew["stops"][1], outcome="not_home", recorded_dt=(NOON - timedelta(minutes=20)).isoformat())
    assert alerts_of() == []


def test_the_escalation_ladder_offers_the_next_step(crew):
    senior = create_senior(site=crew["site"])
    alert = WelfareAlert(senior_id=senior.id, site_id=crew["site"].id, kind=AlertKind.CONCERN,
                         severity="high", raised_dt=NOON)
    db.session.add(alert)
    db.session.commit()
    assert alerts.next_step(alert)[0] == AlertActionKind.CALLED_SENIOR
    alert.actions.append(AlertAction(kind=AlertActionKind.CALLED_SENIOR, note="no answer", dt=NOON))
    alert.actions.append(AlertAction(kind=AlertActionKind.CALLED_CONTACT, note="daughter on her way", dt=NOON))
    db.session.commit()
    assert alerts.next_step(alert)[0] == AlertActionKind.CALLED_SUPERVISOR
    assert [k for k, _ in alerts.ESCALATION_LADDER][-1] == AlertActionKind.CALLED_EMERGENCY_SERVICES


def test_the_tick_command_prints_what_it_did(runner, crew):
    when = (NOON + timedelta(hours=2)).isoformat()
    result = runner.invoke(args=["alerts", "tick", "--now", when])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["overdue"]) == 3
    assert runner.invoke(args=["alerts", "tick", "--now", "soon"]).exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(AlertReraise.id))) == 0


def test_the_tick_job_runs_inside_the_app_on_the_apps_clock(app, app_clock, crew):
    """The job asks the app's clock for "now": at noon nothing is overdue, two hours later all three stops are."""
    first = jobs.tick_job()
    assert {k: first[k] for k in ("overdue", "reraised", "missed_meals", "skipped")} == {
        "overdue": [], "reraised": [], "missed_meals": [], "skipped": False}
    assert set(first["visitation"]) == {"made", "site", "alerts", "district"}
    app_clock.set(NOON + timedelta(hours=2))
    assert len(jobs.tick_job()["overdue"]) == 3
