"""What ``doorstep demo --reset`` means for the demo's own database: a new SQLite file.

The audit trail is append-only (the database refuses DELETE on it), so a reset
cannot empty it row by row. The demo's database is a file of its own in
DATA_DIR, though: resetting it removes the file (its audit trail, and the
anchors of that trail, go with it) and the migrations build a new one. A
database named by DATABASE_URL is never removed: there the district's rows
are replaced and the audit trail is kept (``seed.seed_district``).
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from dispatch.extensions import db

DEMO_FILE = "doorstep.sqlite3"
DEMO_ANCHORS = "audit-anchors.jsonl"


def demo_database_file() -> Path | None:
    """The demo's own SQLite file, when the app uses it (no DATABASE_URL); else None."""
    if current_app.config.get("DATABASE_URL"):
        return None
    return Path(current_app.config["DATA_DIR"]) / DEMO_FILE


def remove_demo_database() -> Path | None:
    """Delete the demo's SQLite file (and its journal files and default anchor file); returns what was removed."""
    path = demo_database_file()
    if path is None:
        return None
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps the old file open
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    anchors = Path(current_app.config["DATA_DIR"]) / DEMO_ANCHORS
    if Path(current_app.config["AUDIT_ANCHOR_PATH"]) == anchors:  # anchors of the removed trail
        anchors.unlink(missing_ok=True)
    return path
