"""A big import as a background job: read the kept upload again, add its rows, report progress.

Why: adding thousands of rows (each checked, audited in one transaction) could hold a
request past gunicorn's timeout, and a killed worker left a 500. Past ``BACKGROUND_ROWS``
rows the preview page queues ``dispatch.jobs.import_job`` instead (RQ when Redis is
configured, a thread of this process otherwise; it starts once the request committed) and
the progress page polls it. The job reads the file the user previewed (``platform.uploads``,
private to that user) and reports its phase and rows read through ``platform.jobs.report``.
Like every service it only flushes: the job's edge (``dispatch.jobs.import_job``) commits
once, and a refused import dooms the unit so nothing half-added is stored.
"""
from __future__ import annotations

from typing import Any

from dispatch.extensions import db
from dispatch.models.user import User
from dispatch.platform import jobs, transaction, uploads
from dispatch.platform.errors import FieldError
from dispatch.services.imports import seniors as senior_import
from dispatch.services.imports import workers as worker_import
from dispatch.services.imports.tabular import FileRefused, digest, read_table

BACKGROUND_ROWS = 500
IMPORTERS = {"seniors": senior_import, "workers": worker_import}


def run_stored_import(kind: str, token: str, user_id: int, mapping: dict[str, int | None],
                      default_site_id: int | None) -> dict[str, Any]:
    """Import the upload ``token`` of ``user_id``; the result's counts (never the rows' data)."""
    jobs.report(user_id=user_id, kind=kind, phase="reading", rows=0)
    user = db.session.get(User, user_id)
    stored = uploads.load(token, user_id=user_id)
    if user is None or stored is None or kind not in IMPORTERS:
        return {"user_id": user_id, "kind": kind, "error": "gone"}
    data, filename = stored
    try:
        table = read_table(data, filename, progress=lambda rows: jobs.report(phase="reading", rows=rows))
    except FileRefused as refused:
        return {"user_id": user_id, "kind": kind, "error": str(refused.message)}
    jobs.report(phase="importing", rows=len(table.rows))
    try:
        result = IMPORTERS[kind].run_import(table, mapping, by=user, default_site_id=default_site_id,
                                            file_digest=digest(data))
    except FieldError as error:
        transaction.doom()  # "nothing was added": whatever the importer flushed before it refused is dropped
        return {"user_id": user_id, "kind": kind, "error": str(error.message)}
    # The kept file goes once the rows are stored; a failed commit leaves it for another try.
    transaction.after_commit(lambda: uploads.discard(token, user_id=user_id))
    jobs.report(phase="done", rows=len(table.rows))
    return {"user_id": user_id, "kind": kind, "created": result.created, "existing": result.existing,
            "errors": result.errors, "ids": list(result.ids)}
