"""``doorstep plan``: plan one site's meal window or visits from the command line."""
from __future__ import annotations

import json

import click

from dispatch.platform import transaction


@click.command("plan")
@click.option("--site", "site_id", type=int, required=True, help="Meal site id.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Service date, YYYY-MM-DD.")
@click.option("--meal", type=click.Choice(["breakfast", "lunch", "dinner", "visits"]), default=None,
              help="Which meal window to plan, or 'visits' for the day's home visits.")
@click.option("--day", "whole_day", is_flag=True, default=False,
              help="Plan the site's whole day (every meal window and the visits) as one plan; not with --meal.")
@click.option("--orders/--no-orders", default=True, show_default=True,
              help="Generate the day's meal orders first (idempotent).")
@click.option("--search", "search_mode", type=click.Choice(["fixed", "time"]), default=None,
              help="A fixed amount of search (the same routes every run) or the time limit; default: PLAN_SEARCH.")
@transaction.command
def plan_command(site_id: int, day, meal: str | None, whole_day: bool, orders: bool, search_mode: str | None) -> None:
    """Plan a site's meal window, visits or whole day as a new draft version and print its figures as JSON.

    With --day, each worker's route of the day follows the JSON, stop by stop (time, kind, senior, meal).
    """
    from dispatch.extensions import db
    from dispatch.models.plan import PlanKind
    from dispatch.models.site import MealSite, MealType
    from dispatch.platform.errors import FieldError
    from dispatch.services import planning
    from dispatch.services.meals import orders as order_service

    if whole_day and meal is not None:
        raise click.UsageError("--day plans every meal window and the visits: leave out --meal.")
    if not whole_day and meal is None:
        raise click.UsageError("Choose --meal (a meal window or 'visits') or --day.")
    site = db.session.get(MealSite, site_id)
    if site is None:
        raise click.BadParameter(f"no meal site with id {site_id}", param_hint="--site")
    day = day.date()
    kind = PlanKind.DAY if whole_day else PlanKind.VISITS if meal == "visits" else PlanKind.MEALS
    if orders and kind != PlanKind.VISITS:
        order_service.generate_orders(site, day)
    try:
        plan = planning.start_planning(site, day, kind, MealType(meal) if kind == PlanKind.MEALS else None, by=None,
                                       search_mode=search_mode, wait=True)
    except FieldError as error:
        raise click.ClickException(str(error.message)) from None
    plan = planning.load_plan(plan.id)
    summary = plan.summary or {}
    click.echo(json.dumps({"plan": plan.id, "kind": plan.kind.value, "version": plan.version_number,
                           "job": summary.get("job"), "figures": summary.get("figures"),
                           "violations": len(summary.get("violations", [])),
                           "unassigned": [(u["stop"], u["reason"]) for u in summary.get("unassigned", [])]}))
    if plan.kind == PlanKind.DAY:
        click.echo(day_text(plan))


def day_text(plan) -> str:
    """Each worker's route of a day plan as lines: time, kind, senior, meal (or service), loads marked."""
    from dispatch.models.plan import StopKind
    from dispatch.platform import clock

    zone = clock.zone_of(plan.site)
    lines = []
    for route in plan.routes:
        stops = sorted(route.stops, key=lambda s: s.position)
        if not stops:
            continue
        start = route.start_dt.astimezone(zone).strftime("%H:%M") if route.start_dt else "?"
        end = route.end_dt.astimezone(zone).strftime("%H:%M") if route.end_dt else "?"
        lines.append(f"{route.worker.full_name} ({start}-{end}, {len(stops)} stops)")
        trip = 0
        for s in stops:
            if s.trip != trip:
                trip = s.trip
                leaves = route.departure_of(s)
                lines.append(f"  ↺ load {trip + 1} leaves the kitchen "
                             f"{leaves.astimezone(zone).strftime('%H:%M') if leaves else '?'}")
            eta = s.eta_dt.astimezone(zone).strftime("%H:%M") if s.eta_dt else "?"
            what = (s.meal_order.meal.value if s.kind == StopKind.MEAL and s.meal_order is not None
                    else s.service_request.service_type.value if s.service_request is not None else "")
            lines.append(f"  {eta}  {s.kind.value:<5}  {s.senior.full_name}  {what}")
    return "\n".join(lines) if lines else "(no routes)"
