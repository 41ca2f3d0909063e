"""``doorstep plan``: plan one site's meal window or visits from the command line."""
from __future__ import annotations

import json

import click

from dispatch.platform import transaction


@click.command("plan")
@click.option("--site", "site_id", type=int, required=True, help="Meal site id.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Service date, YYYY-MM-DD.")
@click.option("--meal", type=click.Choice(["breakfast", "lunch", "dinner", "visits"]), required=True,
              help="Which meal window to plan, or 'visits' for the day's home visits.")
@click.option("--orders/--no-orders", default=True, show_default=True,
              help="Generate the day's meal orders first (idempotent).")
@click.option("--search", "search_mode", type=click.Choice(["fixed", "time"]), default=None,
              help="A fixed amount of search (the same routes every run) or the time limit; default: PLAN_SEARCH.")
@transaction.command
def plan_command(site_id: int, day, meal: str, orders: bool, search_mode: str | None) -> None:
    """Plan a site's meal window or visits as a new draft version and print its figures as JSON."""
    from dispatch.extensions import db
    from dispatch.models.plan import PlanKind
    from dispatch.models.site import MealSite, MealType
    from dispatch.platform.errors import FieldError
    from dispatch.services import planning
    from dispatch.services.meals import orders as order_service

    site = db.session.get(MealSite, site_id)
    if site is None:
        raise click.BadParameter(f"no meal site with id {site_id}", param_hint="--site")
    day = day.date()
    kind = PlanKind.VISITS if meal == "visits" else PlanKind.MEALS
    if orders and kind == PlanKind.MEALS:
        order_service.generate_orders(site, day)
    try:
        plan = planning.start_planning(site, day, kind, None if meal == "visits" else MealType(meal), by=None,
                                         search_mode=search_mode, wait=True)
    except FieldError as error:
        raise click.ClickException(str(error.message)) from None
    plan = planning.load_plan(plan.id)
    summary = plan.summary or {}
    click.echo(json.dumps({"plan": plan.id, "version": plan.version_number, "job": summary.get("job"),
                           "figures": summary.get("figures"), "violations": len(summary.get("violations", [])),
                           "unassigned": [(u["stop"], u["reason"]) for u in summary.get("unassigned", [])]}))
