"""meal hold says whether the senior is away

A pause in meals was all a family could say before a hospital stay, and the
senior's home visits were then planned while nobody was at home. ``away``
marks a pause during which visits are left out of planning too. Existing
holds stay plain pauses (false): nobody said the senior was away.

Revision ID: d4a7b2c9e1f3
Revises: e5f6a7b8c9d0
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4a7b2c9e1f3'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meal_hold', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('meal_hold', schema=None) as batch_op:
        batch_op.drop_column('away')
