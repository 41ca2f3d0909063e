"""Operator commands: ``doorstep ...`` or ``flask --app dispatch ...``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    pass


def _create_app():
    from dispatch import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Doorstep: meals and home care routed to seniors' doors."""
