"""The migrations build exactly the schema the models describe, and can be undone."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import dispatch.models  # noqa: F401  (all tables on the metadata)
from dispatch import create_app
from dispatch.extensions import db


def test_migrated_schema_matches_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_model_table_is_created_by_migrations(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base_then_upgrade_round_trip(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    app = create_app({**app_config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade()
        assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_app_start_up_creates_no_tables(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'untouched.sqlite3'}"
    app = create_app({**app_config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def _day_plan_round_trip(app) -> None:
    """Up to the day plans: a day plan and a visits plan share a version number; down: the day plan goes."""
    from datetime import date

    def insert(conn, kind, meal=None, version=1):
        conn.execute(sa.text("INSERT INTO plan (site_id, service_date, kind, meal, version_number, status, created_dt,"
                             " version) VALUES (1, :day, :kind, :meal, :v, 'draft', CURRENT_TIMESTAMP, 1)"),
                     {"day": date(2030, 3, 4), "kind": kind, "meal": meal, "v": version})

    with app.app_context():
        downgrade(revision="5b1e0c7d9a42")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO meal_site (id, name, kind, address, lat, lon, circle_mode, created_dt)"
                                 " VALUES (1, 'S', 'canteen', 'A', 31.2, 121.4, 'walk', CURRENT_TIMESTAMP)"))
        try:
            with db.engine.begin() as conn:
                insert(conn, "day")
            raise AssertionError("kind 'day' stored before its migration")
        except sa.exc.IntegrityError:
            pass
        upgrade()
        with db.engine.begin() as conn:
            insert(conn, "visits")
            insert(conn, "day")  # the same version number as the visits plan: counted apart
        for bad in (("day", "lunch"), ("visits", None)):
            try:
                with db.engine.begin() as conn:
                    insert(conn, *bad)
                raise AssertionError(f"{bad} stored")
            except sa.exc.IntegrityError:
                pass
        downgrade(revision="5b1e0c7d9a42")
        with db.engine.connect() as conn:
            kinds = sorted(conn.execute(sa.text("SELECT kind FROM plan")).scalars())
        assert kinds == ["visits"]
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_day_plan_migration_up_and_down_on_sqlite(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'dayplan.sqlite3'}"
    app = create_app({**app_config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    _day_plan_round_trip(app)


def test_day_plan_migration_up_and_down_on_postgresql(app_config):
    import os
    import uuid

    url = os.environ.get("DISPATCH_TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"dayplan_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        app = create_app({**app_config, "DATABASE_URL": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        _day_plan_round_trip(app)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


HANDOVER_COLUMNS = {"handed_over_dt", "handed_over_by_id", "handover_key", "handed_over_claimed_dt"}


def _handover_round_trip(app) -> None:
    """Up: a trunk drop gets its hand-over time, user, key (unique) and claim; down: they go, the drops stay."""
    with app.app_context():
        def columns():
            return {c["name"] for c in sa.inspect(db.engine).get_columns("trunk_drop")}

        assert HANDOVER_COLUMNS <= columns()
        inspector = sa.inspect(db.engine)
        assert any(u["column_names"] == ["handover_key"] for u in inspector.get_unique_constraints("trunk_drop"))
        assert any(f["constrained_columns"] == ["handed_over_by_id"] and f["referred_table"] == "user"
                   and (f.get("options") or {}).get("ondelete") == "SET NULL"
                   for f in inspector.get_foreign_keys("trunk_drop"))
        downgrade(revision="7c2f4e8a1b93")
        assert not HANDOVER_COLUMNS & columns()
        assert "route_id" in columns()
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_handover_migration_up_and_down_on_sqlite(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'handover.sqlite3'}"
    app = create_app({**app_config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    _handover_round_trip(app)


def test_handover_migration_up_and_down_on_postgresql(app_config):
    import os
    import uuid

    url = os.environ.get("DISPATCH_TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"handover_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        app = create_app({**app_config, "DATABASE_URL": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        _handover_round_trip(app)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
