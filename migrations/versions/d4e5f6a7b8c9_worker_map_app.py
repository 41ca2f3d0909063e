"""Worker's map app: the one directions button on the phone page opens the app the worker chose.

Revision ID: d4e5f6a7b8c9
Revises: d4f8b6a2c3e1
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e5f6a7b8c9'
down_revision = 'd4f8b6a2c3e1'
branch_labels = None
depends_on = None

MAP_APPS = ('openstreetmap', 'amap', 'phone')


def upgrade():
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('map_app', sa.String(length=32), server_default='openstreetmap',
                                      nullable=False))
        quoted = ", ".join(f"'{v}'" for v in MAP_APPS)
        batch_op.create_check_constraint(op.f('ck_worker_map_app'), f"map_app IN ({quoted})")


def downgrade():
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_worker_map_app'), type_='check')
        batch_op.drop_column('map_app')
