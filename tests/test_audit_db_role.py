"""Production's database roles: the app's role owns nothing, so it cannot switch off the audit trail's guard.

Runs on PostgreSQL (``DISPATCH_TEST_DATABASE_URL``): it builds a schema of its own
with the migrations, as the test's superuser (the owner), with
``DATABASE_APP_ROLE`` naming a role made for the test, then acts as that role.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import DBAPIError

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.platform import audit
from dispatch.platform.audit_chain import verify
from tests.conftest import TEST_DATABASE_URL, engine_options

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="database roles and grants are PostgreSQL's; runs when "
                                       "DISPATCH_TEST_DATABASE_URL names one")

ROLE = f"doorstep_app_test_{os.getpid()}"


@pytest.fixture
def owned_schema(app_config, pg_schema):
    """A schema migrated by the superuser (owner) with grants for ROLE; dropped afterwards with the role."""
    schema = f"{pg_schema}_roles"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar():
            conn.execute(sa.text(f'CREATE ROLE "{ROLE}" NOLOGIN'))
    owner_app = create_app({**app_config, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(schema),
                            "DATABASE_APP_ROLE": ROLE})
    with owner_app.app_context():
        upgrade()
        audit.record("senior.read", user=1, entity_type="senior", entity_id=1, senior_id=1)
        db.session.commit()
        db.engine.dispose()
    yield schema
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'DROP OWNED BY "{ROLE}"'))
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{ROLE}"'))
    admin.dispose()


REFUSED = [
    "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RETURN NEW; END $$",
    "UPDATE audit_event SET action = 'nothing'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "DROP TABLE audit_event",
    "ALTER TABLE audit_event OWNER TO CURRENT_USER",
    "UPDATE alembic_version SET version_num = 'x'",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_lift_the_guard_nor_change_rows(owned_schema, statement):
    engine = sa.create_engine(TEST_DATABASE_URL)
    with engine.connect() as conn:
        conn.execute(sa.text(f'SET search_path TO "{owned_schema}"'))
        conn.execute(sa.text(f'SET ROLE "{ROLE}"'))
        assert conn.execute(sa.text("SELECT current_user")).scalar() == ROLE
        with pytest.raises(DBAPIError) as refused:
            conn.execute(sa.text(statement))
        assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege (not owner / permission denied)
        conn.rollback()
        conn.execute(sa.text(f'SET search_path TO "{owned_schema}"'))
        assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 1
    engine.dispose()


def test_the_app_works_as_that_role(app_config, owned_schema):
    """Reading, writing ordinary rows and appending chained events need no more than the grants."""
    options = engine_options(owned_schema)
    options["connect_args"]["options"] += f" -crole={ROLE}"
    app = create_app({**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options})
    with app.app_context():
        assert db.session.execute(sa.text("SELECT current_user")).scalar() == ROLE
        from tests.factories import create_site

        site = create_site(name="Granted")
        site.name = "Granted, renamed"
        audit.record("senior.update", user=1, entity_type="senior", entity_id=1, senior_id=1)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 2
        assert verify().ok
        db.session.remove()
        db.engine.dispose()
