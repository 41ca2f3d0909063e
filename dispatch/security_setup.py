"""Accounts, login and roles (Flask-Security-Too). Filled in by the auth work."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
