"""``doorstep alerts tick``: the welfare-alert clock, run every minute by cron or an RQ scheduler."""
from __future__ import annotations

import json

import click

from dispatch.cli.options import moment_option
from dispatch.platform import transaction


@click.group("alerts")
def alerts_group() -> None:
    """Welfare alerts."""


@alerts_group.command("tick")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (UTC if no zone); for tests.")
@transaction.command
def tick_command(now_text: str | None) -> None:
    """Raise overdue-stop alerts, re-raise unacknowledged ones, check missed meals, make and escalate due
    visits and calls; print what was done."""
    from dispatch.services.safety import alerts
    from dispatch.services.visitation import due

    moment = moment_option(now_text)
    if moment is not None:
        report = alerts.tick(now=lambda: moment)
    else:
        report = alerts.tick()
    result = report.as_dict()
    # Home visitation rides on the same clock: the day's due visits and calls, then their escalation.
    result["visitation"] = None if report.skipped else due.tick(moment)
    click.echo(json.dumps(result))
