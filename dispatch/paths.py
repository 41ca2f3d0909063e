"""Where the top-level ``templates/`` and ``migrations/`` folders are.

In a source checkout (editable install) they sit beside the package; a built
wheel carries them inside the package (hatch ``force-include``). Both layouts
must serve pages and run migrations, so look inside the package first.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


TEMPLATES_DIR = resource_dir("templates")
MIGRATIONS_DIR = resource_dir("migrations")
