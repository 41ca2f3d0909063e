"""notification outbox and preferences

The outbox (one row per message, person and channel) and each person's channel choices.

Revision ID: 58f4e1c901e5
Revises: 52032b045272
Create Date: 2026-11-23 10:41:02.324262

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '58f4e1c901e5'
down_revision = '52032b045272'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email_enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('sms_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('wechat_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('wechat_id', sa.String(length=64), nullable=True),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_preference_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preference')),
    sa.UniqueConstraint('user_id', name=op.f('uq_notification_preference_user_id'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.Enum('request_approved', 'request_declined', 'request_cancelled', 'visit_scheduled', 'on_the_way', 'visit_completed', 'meal_delivered', 'not_home', 'welfare_alert', 'staff_urgent_request', 'staff_enrollment_request', name='event', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('email', 'sms', 'wechat', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='status', native_enum=False, create_constraint=True, length=32), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notification_attempts_nonneg')),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_notification_senior_id_senior'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index('ix_notification_status_next_attempt_dt', ['status', 'next_attempt_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
        batch_op.drop_index('ix_notification_status_next_attempt_dt')
        batch_op.drop_index(batch_op.f('ix_notification_senior_id'))

    op.drop_table('notification')
    op.drop_table('notification_preference')
