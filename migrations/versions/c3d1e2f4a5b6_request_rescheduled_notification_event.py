"""Request rescheduled: a notification event for a family whose visit staff moved.

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


def downgrade():
    op.execute("DELETE FROM notification WHERE event = 'request_rescheduled'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_event'), _event_check(BEFORE))
