"""revoked sessions and the TOTP replay guard

``revoked_session`` keeps the (hashed) ``dispatch_sid`` of each session ended
by logging out, so a copy of its cookie is refused; ``user.tf_totp_last_counter``
is the time step of the last authenticator code accepted, so a code works once.

Revision ID: d4e8a1b2c3f5
Revises: 5b7e2c9d41a0
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8a1b2c3f5'
down_revision = '5b7e2c9d41a0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revoked_session',
    sa.Column('sid_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_revoked_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sid_hash', name=op.f('pk_revoked_session'))
    )
    with op.batch_alter_table('revoked_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_session_expires_dt'), ['expires_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_revoked_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tf_totp_last_counter', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('tf_totp_last_counter')

    with op.batch_alter_table('revoked_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_revoked_session_expires_dt'))

    op.drop_table('revoked_session')
