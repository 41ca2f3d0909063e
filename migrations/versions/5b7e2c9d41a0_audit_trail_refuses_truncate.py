"""audit trail refuses TRUNCATE

The row trigger of 217223175b96 stops UPDATE and DELETE, but TRUNCATE (of
audit_event, or of a table whose rows it references, with CASCADE) empties the
trail without firing row triggers. A statement trigger closes that gap on
PostgreSQL; SQLite has no TRUNCATE.

Revision ID: 5b7e2c9d41a0
Revises: 217223175b96
Create Date: 2026-12-01 21:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b7e2c9d41a0'
down_revision = '217223175b96'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The function audit_event_append_only() of the previous revision raises for any statement.
        op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
