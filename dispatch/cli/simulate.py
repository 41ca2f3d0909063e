"""``doorstep simulate``: play past days of the district so dashboards and statements have data."""
from __future__ import annotations

import time
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from dispatch.platform import clock, transaction


@click.command("simulate")
@click.option("--days", type=click.IntRange(1, 62), default=7, show_default=True,
              help="How many days before today to play.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed, the same week.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day after the last played day (default: today).")
@click.option("--no-visits", is_flag=True, help="Play meals only, no home visits.")
@with_appcontext
@transaction.command
def simulate_command(days: int, seed: int, today: datetime | None, no_visits: bool) -> None:
    """Play the last N days of meals, counter meals, outcomes and visits (for dashboards and statements)."""
    from dispatch.demo.simulate import simulate

    day: date = today.date() if today else clock.local_today()
    started = time.perf_counter()
    # The outcome and alert rules word their reasons through Flask-Babel, which reads the request's locale.
    with current_app.test_request_context():
        played = simulate(days=days, today=day, seed=seed, visits=not no_visits)
    click.echo(played.summary())
    click.echo(f"Simulated in {time.perf_counter() - started:.1f}s.")
