"""Benchmark: read, preview and import a generated 2,000-row seniors file with 5 % bad rows, then import it
again (which must add nothing). Run from the worktree root:

    python tests/bench/senior_import.py                     # SQLite in a temporary folder
    DISPATCH_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python tests/bench/senior_import.py

Figures go to tests/bench/RESULTS.md by hand.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flask_migrate import upgrade  # noqa: E402

from dispatch import create_app  # noqa: E402
from dispatch.extensions import db  # noqa: E402
from dispatch.models.senior import Senior  # noqa: E402
from dispatch.services.imports import seniors as senior_import
from dispatch.services.imports.columns import auto_map  # noqa: E402
from dispatch.services.imports.tabular import read_table  # noqa: E402
from tests.factories import create_site, create_user  # noqa: E402
from tests.import_files import as_csv, as_xlsx, senior_rows  # noqa: E402

ROWS = int(os.environ.get("ROWS", "2000"))


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = os.environ.get("DISPATCH_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_import_{os.getpid()}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(tmp), "SECRET_KEY": "bench",
                      "SQLALCHEMY_ENGINE_OPTIONS": options, "TESTING": True})
    try:
        with app.app_context(), app.test_request_context():
            upgrade()
            site = create_site(name="North canteen")
            staff = create_user("staff", sites=[site], two_factor=False)
            rows, bad = senior_rows(ROWS, site_name=site.name)
            for fmt, data in (("csv", as_csv(rows)), ("xlsx", as_xlsx(rows))):
                t0 = time.perf_counter()
                table = read_table(data, f"seniors.{fmt}")
                t1 = time.perf_counter()
                mapping = auto_map(table.headers, senior_import.COLUMNS)
                checked = senior_import.preview(table, mapping, by=staff)
                t2 = time.perf_counter()
                print(f"{fmt}: {len(data) / 1024:.0f} KiB, read {t1 - t0:.2f} s, preview {t2 - t1:.2f} s "
                      f"({checked.count('new')} new, {checked.count('existing')} existing, "
                      f"{checked.count('error')} bad; {len(bad)} planted)")
            table = read_table(as_csv(rows), "seniors.csv")
            mapping = auto_map(table.headers, senior_import.COLUMNS)
            for attempt in ("first import", "second import"):
                t0 = time.perf_counter()
                result = senior_import.run_import(table, mapping, by=staff)
                elapsed = time.perf_counter() - t0
                total = db.session.scalar(sa.select(sa.func.count()).select_from(Senior))
                print(f"{attempt}: {elapsed:.2f} s, created {result.created}, existing {result.existing}, "
                      f"errors {result.errors}; seniors in DB {total}")
            db.session.remove()
            db.engine.dispose()
    finally:
        if schema:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
