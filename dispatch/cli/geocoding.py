"""``doorstep geocode``: locate the addresses still waiting, from a shell or cron."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from dispatch.platform import transaction


@click.command("geocode")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many addresses (default: all).")
@with_appcontext
@transaction.command
def geocode_command(limit: int | None) -> None:
    """Geocode pending seniors' addresses at the shared pace; an outage leaves the rest pending."""
    import sqlalchemy as sa

    from dispatch.extensions import db
    from dispatch.models.senior import GeocodeStatus, Senior
    from dispatch.services.people.geocoding import geocode_seniors

    query = sa.select(Senior.id).where(Senior.geocode_status == GeocodeStatus.PENDING,
                                       Senior.is_active.is_(True)).order_by(Senior.id)
    ids = list(db.session.scalars(query.limit(limit) if limit else query))
    run = geocode_seniors(ids)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.statuses.items())) or "nothing to do"
    click.echo(f"located {run.done}: {counts}; still pending {run.remaining}")
    if run.outage:
        raise SystemExit(1)
