"""The one transaction every import ends in, whatever it imports.

Seniors and workers parse and check their rows differently, but adding them
is the same use case: keep a second import of the same kind out while this one
runs, check the file again (the database may have changed since the preview),
add only the rows that are new, and audit the counts, never the data.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from dispatch.extensions import db
from dispatch.platform import audit
from dispatch.platform.errors import FieldError
from dispatch.services.imports.columns import ImportPreview, ImportResult


def add_new_rows(entity: str, check: Callable[[], ImportPreview], build: Callable[[Any], Any], *, by,
                 file_digest: str = "") -> ImportResult:
    """Add ``build(row.data)`` for each new row of ``check()`` in one unit; audit ``<entity>.import``."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Two staff importing the same file at once must not both add it.
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": f"doorstep.{entity}_import"})
    checked = check()
    if checked.missing:
        raise FieldError(None, _("Choose a column for every required field."))
    records = [build(row.data) for row in checked.rows if row.status == "new"]
    db.session.add_all(records)
    db.session.flush()
    ids = tuple(record.id for record in records)
    audit.record(f"{entity}.import", user=by, entity_type=entity, entity_id=None, detail={
        "created": len(ids), "existing": checked.count("existing"), "errors": checked.count("error"),
        "rows": len(checked.rows), "file_sha256": file_digest, f"{entity}_ids": list(ids)})
    db.session.flush()
    return ImportResult(created=len(ids), existing=checked.count("existing"), errors=checked.count("error"),
                        ids=ids)
