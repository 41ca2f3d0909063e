"""Operator commands: ``doorstep ...`` or ``flask --app dispatch ...``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    from dispatch.cli.accounts import create_user_command
    from dispatch.cli.alerts import alerts_group
    from dispatch.cli.coverage import coverage_command, suggest_sites_command
    from dispatch.cli.demo import demo_command, seed_command
    from dispatch.cli.geocoding import geocode_command
    from dispatch.cli.notifications import notifications_command
    from dispatch.cli.planning import plan_command
    from dispatch.cli.security import api_token_group, audit_group
    from dispatch.cli.shifts import shifts_group
    from dispatch.cli.simulate import simulate_command
    from dispatch.cli.streets import streets_group
    from dispatch.cli.visits import visits_group

    for command in (create_user_command, seed_command, demo_command, solve_vrptw_command, plan_command,
                    coverage_command, suggest_sites_command, alerts_group, notifications_command, simulate_command,
                    geocode_command, shifts_group, api_token_group, audit_group, streets_group,
                    visits_group):
        app.cli.add_command(command)


@click.command("solve-vrptw")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--time-limit", type=click.FloatRange(min=0.5), default=10.0, show_default=True,
              help="Seconds to search, reading included.")
@click.option("--seed", type=int, default=0, show_default=True, help="Search seed, for repeatable runs.")
def solve_vrptw_command(path: str, time_limit: float, seed: int) -> None:
    """Solve a Solomon VRPTW instance (DIMACS convention) and print the routes as JSON."""
    import json

    from dispatch.routing.benchmarks.vrptw import solve_file

    click.echo(json.dumps(solve_file(path, time_limit, seed=seed)))


def _create_app():
    from dispatch import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Doorstep: meals and home care routed to seniors' doors."""
