"""api tokens, idempotency, audit hash chain

API tokens (hashed) and the replies remembered per idempotency key; the audit
trail gets its hash chain (existing rows are chained in id order here) and a
trigger that refuses UPDATE and DELETE on it.

Revision ID: 217223175b96
Revises: ece9f487ffbd
Create Date: 2026-12-01 18:53:22.700082

"""
import hashlib

from alembic import op
import sqlalchemy as sa

from dispatch.models.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL, GENESIS, AuditEvent
from dispatch.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '217223175b96'
down_revision = 'ece9f487ffbd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('site_ids', sa.JSON(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_token_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('api_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_api_idempotency_token_id_api_token'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
    sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_idempotency_token_id_key'))
    )
    with op.batch_alter_table('api_idempotency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_idempotency_created_dt'), ['created_dt'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _chain_existing_events()
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_DDL.get(dialect, ()):
        op.execute(statement)


def _chain_existing_events():
    """Chain the events written before this revision, oldest first.

    With this revision's unkeyed sha256 (frozen here: c9e4a7b2d1f0 re-chains with the key).
    """
    bind = op.get_bind()
    events = sa.table(
        'audit_event', sa.column('id', sa.Integer), sa.column('event_dt', UTCDateTime),
        sa.column('user_id', sa.Integer), sa.column('action', sa.String), sa.column('entity_type', sa.String),
        sa.column('entity_id', sa.Integer), sa.column('senior_id', sa.Integer), sa.column('detail', sa.JSON),
        sa.column('ip', sa.String), sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
    )
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        event = AuditEvent(**{k: row[k] for k in (
            'event_dt', 'user_id', 'action', 'entity_type', 'entity_id', 'senior_id', 'detail', 'ip')})
        digest = hashlib.sha256((prev + event.canonical()).encode("utf-8")).hexdigest()
        bind.execute(events.update().where(events.c.id == row['id']).values(prev_hash=prev, hash=digest))
        prev = digest


def downgrade():
    for statement in DROP_APPEND_ONLY_DDL.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')

    with op.batch_alter_table('api_idempotency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotency_created_dt'))

    op.drop_table('api_idempotency')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
