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
