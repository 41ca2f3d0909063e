"""intake: geocode cache, rate-limit slot, volunteer shifts, worker onboarding

Geocoder answers cached by normalised address; one row per outside service holding when
its next call may start (a rate limit every process shares); dated volunteer shifts with
sign-ups and substitute offers; worker invitation links and skill certificates; a per-site late-cancellation cutoff; two notification events
for workers (shift offer, shift reminder), so the event CHECK is rebuilt.

Revision ID: ece9f487ffbd
Revises: fc1c8724ed60
Create Date: 2026-12-01 19:10:28.326082

"""
from alembic import op
import re

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ece9f487ffbd'
down_revision = 'fc1c8724ed60'
branch_labels = None
depends_on = None

NEW_EVENTS = ('shift_offer', 'shift_reminder')


def _events_now() -> list[str]:
    """The values the notification event CHECK allows today, read from the database.

    Read rather than listed here, so this revision adds its two events to whatever
    other revisions (merged before or after it) allowed, and takes away only its own.
    """
    for check in sa.inspect(op.get_bind()).get_check_constraints('notification'):
        if check['name'] == 'ck_notification_event':
            return list(dict.fromkeys(re.findall(r"'([a-z_]+)'", check['sqltext'])))
    raise RuntimeError('ck_notification_event not found')


def _event_check(values) -> str:
    return "event IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('geocode_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('address_key', sa.String(length=300), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('precise', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('display_name', sa.String(length=300), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(lat IS NULL) = (lon IS NULL)', name=op.f('ck_geocode_cache_lat_lon_together')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_geocode_cache')),
    sa.UniqueConstraint('provider', 'address_key', name=op.f('uq_geocode_cache_provider_address_key'))
    )
    op.create_table('rate_limit_slot',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('next_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rate_limit_slot'))
    )
    op.create_table('open_shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('role', sa.Enum('driver', 'server', 'caregiver', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('needed', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_open_shift_end_after_start')),
    sa.CheckConstraint('needed BETWEEN 1 AND 100', name=op.f('ck_open_shift_needed_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_open_shift_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_open_shift_site_id_meal_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_shift'))
    )
    with op.batch_alter_table('open_shift', schema=None) as batch_op:
        batch_op.create_index('ix_open_shift_site_date', ['site_id', 'service_date'], unique=False)

    op.create_table('shift_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'taken', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('knows_route', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('offered_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shift_id'], ['open_shift.id'], name=op.f('fk_shift_offer_shift_id_open_shift'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_shift_offer_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_offer')),
    sa.UniqueConstraint('shift_id', 'worker_id', name=op.f('uq_shift_offer_shift_id_worker_id'))
    )
    with op.batch_alter_table('shift_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_offer_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_offer_worker_id'), ['worker_id'], unique=False)

    op.create_table('shift_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('signed_up', 'cancelled', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('signed_up_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_cancel', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('reminded_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shift_id'], ['open_shift.id'], name=op.f('fk_shift_signup_shift_id_open_shift'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_shift_signup_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_signup')),
    sa.UniqueConstraint('shift_id', 'worker_id', name=op.f('uq_shift_signup_shift_id_worker_id'))
    )
    with op.batch_alter_table('shift_signup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_signup_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_signup_worker_id'), ['worker_id'], unique=False)

    op.create_table('worker_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.Enum('meal_delivery', 'bathing', 'cleaning', 'walking_assistance', 'medical_assistance', 'emergency_assistance', 'companionship', 'nursing', name='skill', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expires_on IS NULL OR expires_on >= issued_on', name=op.f('ck_worker_certificate_expires_after_issued')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_worker_certificate_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_certificate'))
    )
    with op.batch_alter_table('worker_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_certificate_worker_id'), ['worker_id'], unique=False)

    op.create_table('worker_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_dt', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('expires_dt > created_dt', name=op.f('ck_worker_invitation_expires_after_created')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_worker_invitation_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_worker_invitation_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_worker_invitation_token_hash'))
    )
    with op.batch_alter_table('worker_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_invitation_worker_id'), ['worker_id'], unique=False)

    with op.batch_alter_table('meal_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_cancel_cutoff_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.create_check_constraint(op.f('ck_meal_site_shift_cancel_cutoff_hours_range'),
                                         'shift_cancel_cutoff_hours BETWEEN 0 AND 168')

    events = _events_now()
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_event'),
                                         _event_check(events + [e for e in NEW_EVENTS if e not in events]))



def downgrade():
    with op.batch_alter_table('worker_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_invitation_worker_id'))

    op.drop_table('worker_invitation')
    with op.batch_alter_table('worker_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_certificate_worker_id'))

    op.drop_table('worker_certificate')

    op.execute(sa.text("DELETE FROM notification WHERE event IN ('shift_offer', 'shift_reminder')"))
    events = [e for e in _events_now() if e not in NEW_EVENTS]
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_event'), _event_check(events))

    with op.batch_alter_table('meal_site', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meal_site_shift_cancel_cutoff_hours_range'), type_='check')
        batch_op.drop_column('shift_cancel_cutoff_hours')

    with op.batch_alter_table('shift_signup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_signup_worker_id'))
        batch_op.drop_index(batch_op.f('ix_shift_signup_shift_id'))

    op.drop_table('shift_signup')
    with op.batch_alter_table('shift_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_offer_worker_id'))
        batch_op.drop_index(batch_op.f('ix_shift_offer_shift_id'))

    op.drop_table('shift_offer')
    with op.batch_alter_table('open_shift', schema=None) as batch_op:
        batch_op.drop_index('ix_open_shift_site_date')

    op.drop_table('open_shift')
    op.drop_table('rate_limit_slot')
    op.drop_table('geocode_cache')
