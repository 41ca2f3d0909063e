"""Stop event's claimed time: the phone's clock kept as a claim beside the server's receipt time.

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-12-03 11:00:00

Existing rows keep their phone time as the claim (recorded_dt was the phone's clock, clamped).
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stop_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_dt', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE stop_event SET claimed_dt = recorded_dt")


def downgrade():
    with op.batch_alter_table('stop_event', schema=None) as batch_op:
        batch_op.drop_column('claimed_dt')
