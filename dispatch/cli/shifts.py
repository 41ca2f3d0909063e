"""``doorstep shifts ...``: volunteer shift chores for cron."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from dispatch.platform import transaction


@click.group("shifts")
def shifts_group() -> None:
    """Volunteer shifts."""


@shifts_group.command("remind")
@click.option("--hours", type=click.IntRange(min=1, max=168), default=24, show_default=True,
              help="Remind volunteers whose shift starts within this many hours.")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (tests, catch-up runs).")
@with_appcontext
@transaction.command
def remind_command(hours: int, now_text: str | None) -> None:
    """Queue a reminder in the outbox for each volunteer shift starting soon (each sign-up once)."""
    from dispatch.services.volunteers.shifts import send_reminders

    now = datetime.fromisoformat(now_text) if now_text else None
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    count = send_reminders(now=now, hours=hours)
    click.echo(f"{count} reminder(s) queued; send them with: doorstep notifications deliver")
