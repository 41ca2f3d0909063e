"""family invitations, enrollment requests, request submissions, site request cutoff

Additive: three new tables and meal_site.request_cutoff_hours (default 12 h).

Revision ID: fb06e3ad0d80
Revises: 58f4e1c901e5
Create Date: 2026-11-23 10:44:55.508812

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fb06e3ad0d80'
down_revision = '58f4e1c901e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enrollment_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name='meal', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('weekdays', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'cancelled', name='status', native_enum=False, create_constraint=True, length=32), server_default='open', nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weekdays BETWEEN 1 AND 127', name=op.f('ck_enrollment_request_weekdays_range')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_enrollment_request_requested_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_enrollment_request_senior_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_enrollment_request_site_id_meal_site'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_request'))
    )
    with op.batch_alter_table('enrollment_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollment_request_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrollment_request_site_id'), ['site_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('expires_dt > created_dt', name=op.f('ck_invitation_expires_after_created')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_invitation_accepted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_invitation_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_invitation_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_senior_id'), ['senior_id'], unique=False)

    op.create_table('request_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('service_request_id', sa.Integer(), nullable=True),
    sa.Column('enrollment_request_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_request_id'], ['enrollment_request.id'], name=op.f('fk_request_submission_enrollment_request_id_enrollment_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_request.id'], name=op.f('fk_request_submission_service_request_id_service_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_request_submission_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_submission')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_request_submission_user_id_idempotency_key'))
    )
    with op.batch_alter_table('meal_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_cutoff_hours', sa.Integer(), server_default='12', nullable=False))
        batch_op.create_check_constraint(op.f('ck_meal_site_request_cutoff_hours_range'),
                                         'request_cutoff_hours BETWEEN 0 AND 168')



def downgrade():
    with op.batch_alter_table('meal_site', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meal_site_request_cutoff_hours_range'), type_='check')
        batch_op.drop_column('request_cutoff_hours')

    op.drop_table('request_submission')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_senior_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('enrollment_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_request_site_id'))
        batch_op.drop_index(batch_op.f('ix_enrollment_request_senior_id'))

    op.drop_table('enrollment_request')
