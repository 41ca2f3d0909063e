"""Shared fixtures: an app on a freshly migrated database, emptied after each test.

The database is SQLite in a temporary folder by default; set
``DISPATCH_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run the same tests on PostgreSQL. On PostgreSQL each run works in a schema of
its own. The schema is built once per run by the
migrations, never by ``create_all``, so every test also exercises them.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL
from tests import servers, testclock
from tests.factories import FreshContextClient

TEST_DATABASE_URL = os.environ.get("DISPATCH_TEST_DATABASE_URL", "")
# The audit chain's key: generated for this run, the same for every app the run builds on its database.
TEST_AUDIT_KEY = secrets.token_hex(32)


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="module", autouse=True)
def _suite_clock_at_its_moment() -> None:
    """Each module starts at ``DISPATCH_TEST_NOW`` (tests/testclock.py), before its apps are built."""
    testclock.anchor()


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """On PostgreSQL, a schema of this run's own, so that several runs (CI, developers,
    xdist workers) can share one database without emptying each other's tables."""
    if not _is_postgres(TEST_DATABASE_URL):
        yield None
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"test_{os.getpid()}_{worker}"
    engine = sa.create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, pg_schema) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def engine_options(schema: str | None) -> dict:
    options: dict = {"pool_pre_ping": True}
    if schema:
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    return options


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("data")


def make_config(database_url: str, data_dir, schema: str | None = None, **extra) -> dict:
    config = {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(schema),
        "TESTING": True,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret",
        "AUDIT_KEY": TEST_AUDIT_KEY,
        "WTF_CSRF_ENABLED": False,
        "SECURITY_PASSWORD_HASH": "argon2",
        # Still argon2, with tiny costs: production's ~1 s per hash would dominate the suite.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1, "argon2__memory_cost": 1024, "argon2__parallelism": 1,
        },
        "SERVER_NAME": None,
        # Tests never reach the internet: geocoding tests point it at tests/geocode_stub.py.
        "GEOCODER": "none",
        # Tests log in far more often than a person; tests/test_hardening.py turns the limits on.
        "RATELIMIT_ENABLED": False,
        # DISPATCH_TEST_NOW moves every app the suite builds to that moment (tests/testclock.py).
        "CLOCK_OFFSET_SECONDS": round(testclock.OFFSET.total_seconds()),
        # Jobs run in the request that queues them, so a test sees their outcome at once;
        # tests/test_jobs_background.py runs them on the thread pool as the demo does.
        "JOBS_INLINE": True,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def migrated_database(database_url: str, data_dir, pg_schema) -> str:
    """Build the schema once per run with ``flask db upgrade``'s own code path."""
    app = create_app(make_config(database_url, data_dir, pg_schema))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        if tables:
            names = ", ".join(f'"{t.name}"' for t in tables)
            # The audit trail refuses TRUNCATE: lift the guard inside this transaction only.
            db.session.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
    else:
        # The audit trail refuses DELETE (append-only trigger): lift the guard for the wipe only.
        for statement in DROP_APPEND_ONLY_DDL["sqlite"]:
            db.session.execute(sa.text(statement))
        for table in tables:
            db.session.execute(table.delete())
        for statement in APPEND_ONLY_DDL["sqlite"]:
            db.session.execute(sa.text(statement))
    db.session.commit()


@pytest.fixture
def app_config(migrated_database: str, data_dir, pg_schema, tmp_path) -> dict:
    """Override keys in a test with ``@pytest.mark.parametrize`` or by wrapping this fixture.

    Each test anchors the audit trail in a file of its own (the tables are emptied between tests)."""
    return make_config(migrated_database, data_dir, pg_schema, AUDIT_ANCHOR_PATH=str(tmp_path / "anchors.jsonl"))


@pytest.fixture
def app_clock():
    """The app's clock: None is the system clock; a module overrides this fixture with a ``FixedClock``."""
    return None


@pytest.fixture
def app_solve():
    """The app's route solver: None is the real one; a test overrides this fixture with a fake."""
    return None


@pytest.fixture
def app(app_config: dict, app_clock, app_solve) -> Iterator[Flask]:
    app = create_app(app_config, clock=app_clock, solve=app_solve)
    # Each test request gets its own app context, as in production (see FreshContextClient).
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a test skipped for a missing server or program fails instead (tests/servers.py)."""
    outcome = yield
    report = outcome.get_result()
    if servers.IN_CI and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if servers.MISSING in reason:
            report.outcome = "failed"
            report.longrepr = f"{reason}\n(CI=true: CI starts every server it needs, so this is a failure, not a skip)"
