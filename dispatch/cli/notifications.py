"""``doorstep notifications ...``: send the outbox by hand or from cron."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from dispatch.platform import transaction


@click.group("notifications")
def notifications_command() -> None:
    """Family and staff notifications (the outbox)."""


@notifications_command.command("deliver")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="Rows to try in this run.")
@with_appcontext
@transaction.command
def deliver_command(limit: int) -> None:
    """Send every due notification now; failures are counted and retried later."""
    from dispatch.services.family.notifications import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
