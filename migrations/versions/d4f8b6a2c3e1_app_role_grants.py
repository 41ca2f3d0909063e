"""grants for an app role that does not own the tables (PostgreSQL)

In production the tables belong to a role that runs the migrations (the owner),
and the app connects as another role (``DATABASE_APP_ROLE``) that can read and
write rows but owns nothing: it cannot ALTER audit_event (so cannot disable the
append-only triggers), and on audit_event it may only SELECT and INSERT. The
owner's default privileges give the app role the same row access to tables
later migrations create. Run this upgrade as the owner with
``DISPATCH_DATABASE_APP_ROLE`` set; without it (SQLite, the demo, a single-role
install) this revision changes nothing.

Revision ID: d4f8b6a2c3e1
Revises: c9e4a7b2d1f0
Create Date: 2026-12-03 08:20:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'd4f8b6a2c3e1'
down_revision = 'c9e4a7b2d1f0'
branch_labels = None
depends_on = None


def _app_role():
    """The configured app role, quoted, or None when there is nothing to grant."""
    bind = op.get_bind()
    role = (current_app.config.get("DATABASE_APP_ROLE") or "").strip()
    if bind.dialect.name != "postgresql" or not role:
        return None
    if not bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
        raise RuntimeError(f"DATABASE_APP_ROLE {role!r} is not a role of this PostgreSQL server; "
                           f"create it first (CREATE ROLE {role} LOGIN PASSWORD '...')")
    if bind.execute(sa.text("SELECT current_user")).scalar() == role:
        raise RuntimeError(f"the migrations run as DATABASE_APP_ROLE {role!r}: run them as the owner role, "
                           "so the app's role owns nothing")
    preparer = bind.dialect.identifier_preparer
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    return preparer.quote(role), preparer.quote(schema)


def upgrade():
    names = _app_role()
    if names is None:
        return
    role, schema = names
    for statement in (
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # The audit trail: read and append only (the triggers refuse the rest even to its owner).
        f"REVOKE ALL ON audit_event FROM {role}",
        f"GRANT SELECT, INSERT ON audit_event TO {role}",
        f"REVOKE ALL ON alembic_version FROM {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
        # Tables and sequences later migrations create (as this owner) get the same row access.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ):
        op.execute(statement)


def downgrade():
    names = _app_role()
    if names is None:
        return
    role, schema = names
    for statement in (
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"REVOKE USAGE ON SCHEMA {schema} FROM {role}",
    ):
        op.execute(statement)
