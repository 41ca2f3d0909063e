"""Operator commands: ``doorstep ...`` or ``flask --app dispatch ...``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    from dispatch.cli_accounts import create_user_command
    from dispatch.cli_seed import demo_command, seed_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)


def _create_app():
    from dispatch import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Doorstep: meals and home care routed to seniors' doors."""
