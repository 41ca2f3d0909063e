"""Request rescheduled: a notification event for a family whose visit staff moved; a route's break.

Revision ID: c3d1e2f4a5b6
Revises: fb06e3ad0d80
Create Date: 2026-12-01 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d1e2f4a5b6'
down_revision = 'fb06e3ad0d80'
branch_labels = None
depends_on = None

BEFORE = ('request_approved', 'request_declined', 'request_cancelled', 'visit_scheduled', 'on_the_way',
          'visit_completed', 'meal_delivered', 'not_home', 'welfare_alert', 'staff_urgent_request',
          'staff_enrollment_request')
AFTER = BEFORE[:3] + ('request_rescheduled',) + BEFORE[3:]


def _event_check(values):
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"event IN ({quoted})"


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_event'), _event_check(AFTER))
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.add_column(sa.Column('break_start_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('break_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_route_break_minutes_nonneg'), 'break_minutes >= 0')


def downgrade():
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_route_break_minutes_nonneg'), type_='check')
        batch_op.drop_column('break_minutes')
        batch_op.drop_column('break_start_dt')
    op.execute("DELETE FROM notification WHERE event = 'request_rescheduled'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_event'), _event_check(BEFORE))
