"""Blueprints, one per audience: staff, worker, family, admin, auth."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
