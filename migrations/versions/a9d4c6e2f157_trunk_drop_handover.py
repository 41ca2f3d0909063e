"""Trunk drop hand-over: when the car driver handed a village point its batch (the server's time), who, the
tap's key (a retried tap is the same hand-over) and the phone's claimed time.

Revision ID: a9d4c6e2f157
Revises: 7c2f4e8a1b93
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d4c6e2f157'
down_revision = '7c2f4e8a1b93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trunk_drop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handed_over_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handover_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('handed_over_claimed_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_trunk_drop_handed_over_by_id_user'), 'user',
                                    ['handed_over_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_trunk_drop_handover_key', ['handover_key'])
        batch_op.create_check_constraint(op.f('ck_trunk_drop_handover_key_with_time'),
                                         '(handed_over_dt IS NULL AND handover_key IS NULL)'
                                         ' OR (handed_over_dt IS NOT NULL AND handover_key IS NOT NULL)')


def downgrade():
    with op.batch_alter_table('trunk_drop', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trunk_drop_handover_key_with_time'), type_='check')
        batch_op.drop_constraint('uq_trunk_drop_handover_key', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_trunk_drop_handed_over_by_id_user'), type_='foreignkey')
        batch_op.drop_column('handed_over_claimed_dt')
        batch_op.drop_column('handover_key')
        batch_op.drop_column('handed_over_by_id')
        batch_op.drop_column('handed_over_dt')
