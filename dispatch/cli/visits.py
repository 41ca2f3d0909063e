"""``doorstep visits due`` and ``doorstep visits escalate``: the home-visitation (探访关爱) clock by hand.

``due`` makes the day's due visits and calls (it is idempotent; the periodic tick runs it too) and lists
them, one line each; ``escalate`` tells sites and the district about overdue ones.
"""
from __future__ import annotations

import json
from datetime import date

import click

from dispatch.cli.options import moment_option
from dispatch.platform import transaction


def _day(text: str | None) -> date | None:
    from dispatch.platform.errors import FieldError
    from dispatch.platform.validation import parse_day

    try:
        return parse_day(text, "date")
    except FieldError as error:
        raise click.BadParameter(f"{text!r} is not a usable date: {error.message}", param_hint="--date") from None


@click.group("visits")
def visits_group() -> None:
    """Home visitation: due visits and calls."""


@visits_group.command("due")
@click.option("--site", "site_id", type=int, default=None, help="Only this meal site's seniors (its id).")
@click.option("--date", "day_text", default=None, help="The day (YYYY-MM-DD); default: each site's today.")
@transaction.command
def due_command(site_id: int | None, day_text: str | None) -> None:
    """Make the due visits and calls for the day and list them: overdue first, then by latest date."""
    import sqlalchemy as sa

    from dispatch.extensions import db
    from dispatch.models.site import MealSite
    from dispatch.platform import clock
    from dispatch.services.visitation import due as due_service

    day = _day(day_text)
    if site_id is not None:
        site = db.session.get(MealSite, site_id)
        if site is None:
            raise click.BadParameter(f"no meal site has id {site_id}", param_hint="--site")
        sites = [site]
    else:
        sites = list(db.session.scalars(sa.select(MealSite).order_by(MealSite.id)))
    made = due_service.generate(day, site_id=site_id)
    click.echo(f"{len(made)} new due visit(s) or call(s).")
    shown = 0
    for site in sites:
        today = day or clock.local_today(site)
        for row in due_service.due_list([site.id], today):
            due, senior = row.due, row.senior
            name = f"{senior.full_name} {senior.full_name_zh}" if senior.full_name_zh else senior.full_name
            marker = f"OVERDUE {row.days_overdue}d" if row.overdue else "-"
            reason = str(due_service.reason_text(due))
            click.echo("\t".join([f"#{due.id}", site.name, name, f"tier {due.tier}", str(due.kind),
                                  f"due {due.due_date.isoformat()}", f"latest {due.latest_date.isoformat()}",
                                  marker, reason]))
            shown += 1
    if not shown:
        click.echo("Nothing due.")


@visits_group.command("escalate")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (UTC if no zone); for tests.")
@transaction.command
def escalate_command(now_text: str | None) -> None:
    """Raise alerts for overdue visits and calls, and tell the district of long-overdue ones."""
    from dispatch.services.visitation import due as due_service

    click.echo(json.dumps(due_service.escalate(moment_option(now_text)).as_dict()))
