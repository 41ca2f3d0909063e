"""initial schema

Every aggregate's tables. Enums are VARCHAR(32) with a named CHECK (not native
PostgreSQL enums) so later changes migrate the same way on SQLite and PostgreSQL;
UTCDateTime columns are plain DateTime(timezone=True) here.

Revision ID: 953bfb1e24a5
Revises: 
Create Date: 2026-11-23 09:09:52.252092

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '953bfb1e24a5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('senior_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_entity_type_entity_id', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_event_dt'), ['event_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_user_id'), ['user_id'], unique=False)

    op.create_table('meal_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('canteen', 'central_kitchen', name=op.f('ck_meal_site_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('district', sa.String(length=80), nullable=True),
    sa.Column('neighbourhood', sa.String(length=80), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('daily_capacity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('hold_limit_minutes', sa.Integer(), server_default='45', nullable=False),
    sa.Column('circle_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('circle_mode', sa.Enum('walk', 'e_bike', 'car', name=op.f('ck_meal_site_circle_mode'), native_enum=False, create_constraint=True, length=32), server_default='walk', nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='Asia/Shanghai', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('circle_minutes BETWEEN 1 AND 120', name=op.f('ck_meal_site_circle_minutes_range')),
    sa.CheckConstraint('daily_capacity >= 0', name=op.f('ck_meal_site_capacity_nonneg')),
    sa.CheckConstraint('hold_limit_minutes BETWEEN 1 AND 240', name=op.f('ck_meal_site_hold_limit_range')),
    sa.CheckConstraint('lat >= -90 AND lat <= 90', name=op.f('ck_meal_site_lat_range')),
    sa.CheckConstraint('lon >= -180 AND lon <= 180', name=op.f('ck_meal_site_lon_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_site')),
    sa.UniqueConstraint('name', name=op.f('uq_meal_site_name'))
    )
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('permissions', sa.UnicodeText(), nullable=True),
    sa.Column('update_datetime', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
    sa.UniqueConstraint('name', name=op.f('uq_role_name'))
    )
    op.create_table('user',
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('fs_webauthn_user_handle', sa.String(length=64), nullable=True),
    sa.Column('mf_recovery_codes', sa.UnicodeText(), nullable=True),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('us_phone_number', sa.String(length=128), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('us_totp_secrets', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('fs_uniquifier', sa.String(length=64), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('current_login_at', sa.DateTime(), nullable=True),
    sa.Column('last_login_ip', sa.String(length=64), nullable=True),
    sa.Column('current_login_ip', sa.String(length=64), nullable=True),
    sa.Column('login_count', sa.Integer(), nullable=True),
    sa.Column('tf_primary_method', sa.String(length=64), nullable=True),
    sa.Column('tf_totp_secret', sa.String(length=255), nullable=True),
    sa.Column('tf_phone_number', sa.String(length=128), nullable=True),
    sa.Column('create_datetime', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.Column('update_datetime', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('fs_uniquifier', name=op.f('uq_user_fs_uniquifier')),
    sa.UniqueConstraint('fs_webauthn_user_handle', name=op.f('uq_user_fs_webauthn_user_handle')),
    sa.UniqueConstraint('us_phone_number', name=op.f('uq_user_us_phone_number')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('meal_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name=op.f('ck_meal_window_meal'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_meal_window_end_after_start')),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_meal_window_site_id_meal_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_window')),
    sa.UniqueConstraint('site_id', 'meal', name=op.f('uq_meal_window_site_id_meal'))
    )
    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('meals', 'visits', name=op.f('ck_plan_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name=op.f('ck_plan_meal'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('version_number', sa.Integer(), server_default='1', nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'in_progress', 'closed', name=op.f('ck_plan_status'), native_enum=False, create_constraint=True, length=32), server_default='draft', nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'meals' AND meal IS NOT NULL) OR (kind = 'visits' AND meal IS NULL)", name=op.f('ck_plan_meal_matches_kind')),
    sa.CheckConstraint('version_number >= 1', name=op.f('ck_plan_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_plan_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_plan_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sa.UniqueConstraint('site_id', 'service_date', 'kind', 'meal', 'version_number', name=op.f('uq_plan_site_id_service_date_kind_meal_version_number'))
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index('uq_plan_visits_version', ['site_id', 'service_date', 'version_number'], unique=True, sqlite_where=sa.text('meal IS NULL'), postgresql_where=sa.text('meal IS NULL'))

    op.create_table('roles_users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_roles_users_role_id_role'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_roles_users_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('pk_roles_users'))
    )
    op.create_table('senior',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('full_name_zh', sa.String(length=120), nullable=True),
    sa.Column('gender', sa.Enum('female', 'male', 'other', name=op.f('ck_senior_gender'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('neighbourhood', sa.String(length=80), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('geocode_status', sa.Enum('ok', 'pending', 'doubtful', 'failed', 'manual', name=op.f('ck_senior_geocode_status'), native_enum=False, create_constraint=True, length=32), server_default='pending', nullable=False),
    sa.Column('lives_alone', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('mobility', sa.Enum('independent', 'walker', 'wheelchair', 'bedridden', name=op.f('ck_senior_mobility'), native_enum=False, create_constraint=True, length=32), server_default='independent', nullable=False),
    sa.Column('diet', sa.Enum('regular', 'diabetic', 'low_salt', 'soft', 'minced', 'pureed', 'vegetarian', 'halal', name=op.f('ck_senior_diet'), native_enum=False, create_constraint=True, length=32), server_default='regular', nullable=False),
    sa.Column('allergies', sa.Text(), nullable=True),
    sa.Column('access_notes', sa.Text(), server_default='', nullable=False),
    sa.Column('home_site_id', sa.Integer(), nullable=True),
    sa.Column('home_site_overridden', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('(lat IS NULL) = (lon IS NULL)', name=op.f('ck_senior_lat_lon_together')),
    sa.CheckConstraint('lat IS NULL OR (lat >= -90 AND lat <= 90)', name=op.f('ck_senior_lat_range')),
    sa.CheckConstraint('lon IS NULL OR (lon >= -180 AND lon <= 180)', name=op.f('ck_senior_lon_range')),
    sa.ForeignKeyConstraint(['home_site_id'], ['meal_site.id'], name=op.f('fk_senior_home_site_id_meal_site'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_senior'))
    )
    with op.batch_alter_table('senior', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_senior_full_name'), ['full_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_senior_home_site_id'), ['home_site_id'], unique=False)

    op.create_table('staff_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_staff_site_site_id_meal_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_staff_site_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_site')),
    sa.UniqueConstraint('user_id', 'site_id', name=op.f('uq_staff_site_user_id_site_id'))
    )
    with op.batch_alter_table('staff_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_site_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_site_user_id'), ['user_id'], unique=False)

    op.create_table('subsidy_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('low_income', 'extreme_poverty', 'disabled', 'aged_80_plus', 'living_alone_priority', name=op.f('ck_subsidy_rule_category'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('meal_price_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('delivery_subsidy_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cap_per_meal_cents', sa.Integer(), nullable=True),
    sa.Column('precedence', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('meal_price_cents >= 0 AND subsidy_cents >= 0 AND delivery_subsidy_cents >= 0 AND (cap_per_meal_cents IS NULL OR cap_per_meal_cents >= 0)', name=op.f('ck_subsidy_rule_money_nonneg')),
    sa.CheckConstraint('min_age IS NULL OR max_age IS NULL OR max_age >= min_age', name=op.f('ck_subsidy_rule_age_range')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_subsidy_rule_valid_to_not_before_from')),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_subsidy_rule_site_id_meal_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_rule'))
    )
    with op.batch_alter_table('subsidy_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_rule_site_id'), ['site_id'], unique=False)

    op.create_table('webauthn',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=True),
    sa.Column('transports', sa.UnicodeText(), nullable=True),
    sa.Column('backup_state', sa.Boolean(), nullable=False),
    sa.Column('device_type', sa.String(length=64), nullable=False),
    sa.Column('extensions', sa.String(length=255), nullable=True),
    sa.Column('create_datetime', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.Column('lastuse_datetime', sa.DateTime(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('usage', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_webauthn_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn'))
    )
    with op.batch_alter_table('webauthn', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webauthn_credential_id'), ['credential_id'], unique=True)

    op.create_table('worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.Enum('driver', 'caregiver', 'nurse', 'volunteer', name=op.f('ck_worker_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('travel_mode', sa.Enum('walk', 'e_bike', 'car', name=op.f('ck_worker_travel_mode'), native_enum=False, create_constraint=True, length=32), server_default='e_bike', nullable=False),
    sa.Column('capacity_meals', sa.Integer(), server_default='0', nullable=False),
    sa.Column('home_site_id', sa.Integer(), nullable=False),
    sa.Column('max_minutes_per_day', sa.Integer(), server_default='480', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity_meals >= 0', name=op.f('ck_worker_capacity_nonneg')),
    sa.CheckConstraint('max_minutes_per_day > 0', name=op.f('ck_worker_max_minutes_positive')),
    sa.ForeignKeyConstraint(['home_site_id'], ['meal_site.id'], name=op.f('fk_worker_home_site_id_meal_site'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_worker_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker')),
    sa.UniqueConstraint('user_id', name=op.f('uq_worker_user_id'))
    )
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_home_site_id'), ['home_site_id'], unique=False)

    op.create_table('emergency_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('priority >= 1', name=op.f('ck_emergency_contact_priority_positive')),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_emergency_contact_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_contact'))
    )
    with op.batch_alter_table('emergency_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_contact_senior_id'), ['senior_id'], unique=False)

    op.create_table('family_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_family_link_senior_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_family_link_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_link')),
    sa.UniqueConstraint('user_id', 'senior_id', name=op.f('uq_family_link_user_id_senior_id'))
    )
    with op.batch_alter_table('family_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_link_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_link_user_id'), ['user_id'], unique=False)

    op.create_table('meal_enrollment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name=op.f('ck_meal_enrollment_meal'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('weekdays', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('delivery', 'dine_in', name=op.f('ck_meal_enrollment_mode'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_meal_enrollment_end_not_before_start')),
    sa.CheckConstraint('weekdays BETWEEN 1 AND 127', name=op.f('ck_meal_enrollment_weekdays_range')),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_meal_enrollment_senior_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_meal_enrollment_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_enrollment'))
    )
    with op.batch_alter_table('meal_enrollment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_enrollment_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meal_enrollment_site_id'), ['site_id'], unique=False)

    op.create_table('meal_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=255), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_meal_hold_end_not_before_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_meal_hold_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_meal_hold_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_hold'))
    )
    with op.batch_alter_table('meal_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_hold_senior_id'), ['senior_id'], unique=False)

    op.create_table('meal_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name=op.f('ck_meal_order_meal'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mode', sa.Enum('delivery', 'dine_in', name=op.f('ck_meal_order_mode'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('diet', sa.Enum('regular', 'diabetic', 'low_salt', 'soft', 'minced', 'pureed', 'vegetarian', 'halal', name=op.f('ck_meal_order_diet'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('ordered', 'cancelled', 'delivered', 'dined_in', 'missed', name=op.f('ck_meal_order_status'), native_enum=False, create_constraint=True, length=32), server_default='ordered', nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_meal_order_senior_id_senior'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_meal_order_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_order')),
    sa.UniqueConstraint('senior_id', 'service_date', 'meal', name=op.f('uq_meal_order_senior_id_service_date_meal'))
    )
    with op.batch_alter_table('meal_order', schema=None) as batch_op:
        batch_op.create_index('ix_meal_order_service_date_site_id', ['service_date', 'site_id'], unique=False)

    op.create_table('route',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('travel_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('distance_m', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('distance_m >= 0', name=op.f('ck_route_distance_nonneg')),
    sa.CheckConstraint('end_dt IS NULL OR start_dt IS NULL OR end_dt >= start_dt', name=op.f('ck_route_end_not_before_start')),
    sa.CheckConstraint('travel_seconds >= 0', name=op.f('ck_route_travel_seconds_nonneg')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_route_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_route_worker_id_worker'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route')),
    sa.UniqueConstraint('plan_id', 'position', name=op.f('uq_route_plan_id_position'))
    )
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_worker_id'), ['worker_id'], unique=False)

    op.create_table('senior_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('low_income', 'extreme_poverty', 'disabled', 'aged_80_plus', 'living_alone_priority', name=op.f('ck_senior_category_category'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_senior_category_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_senior_category')),
    sa.UniqueConstraint('senior_id', 'category', name=op.f('uq_senior_category_senior_id_category'))
    )
    op.create_table('service_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.Enum('bathing', 'cleaning', 'walking_assistance', 'medical_assistance', 'emergency_assistance', 'companionship', name=op.f('ck_service_request_service_type'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_date', sa.Date(), nullable=False),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('required_skill', sa.Enum('meal_delivery', 'bathing', 'cleaning', 'walking_assistance', 'medical_assistance', 'emergency_assistance', 'companionship', 'nursing', name=op.f('ck_service_request_required_skill'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('priority', sa.Integer(), server_default='3', nullable=False),
    sa.Column('recurrence', sa.Enum('none', 'weekly', name=op.f('ck_service_request_recurrence'), native_enum=False, create_constraint=True, length=32), server_default='none', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('requested', 'approved', 'scheduled', 'en_route', 'in_progress', 'completed', 'declined', 'cancelled', 'missed', name=op.f('ck_service_request_status'), native_enum=False, create_constraint=True, length=32), server_default='requested', nullable=False),
    sa.Column('status_reason', sa.String(length=255), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('duration_minutes BETWEEN 1 AND 480', name=op.f('ck_service_request_duration_range')),
    sa.CheckConstraint('priority BETWEEN 1 AND 5', name=op.f('ck_service_request_priority_range')),
    sa.CheckConstraint('window_end > window_start', name=op.f('ck_service_request_window_end_after_start')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_service_request_requested_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_service_request_senior_id_senior'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_service_request_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_request'))
    )
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_request_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index('ix_service_request_site_id_requested_date_status', ['site_id', 'requested_date', 'status'], unique=False)

    op.create_table('worker_shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('break_minutes', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('break_minutes >= 0', name=op.f('ck_worker_shift_break_nonneg')),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_worker_shift_end_after_start')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_worker_shift_weekday_range')),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_worker_shift_site_id_meal_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_worker_shift_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_shift'))
    )
    with op.batch_alter_table('worker_shift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_shift_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_worker_shift_worker_id'), ['worker_id'], unique=False)

    op.create_table('worker_skill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.Enum('meal_delivery', 'bathing', 'cleaning', 'walking_assistance', 'medical_assistance', 'emergency_assistance', 'companionship', 'nursing', name=op.f('ck_worker_skill_skill'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_worker_skill_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_skill')),
    sa.UniqueConstraint('worker_id', 'skill', name=op.f('uq_worker_skill_worker_id_skill'))
    )
    op.create_table('stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('meal', 'visit', name=op.f('ck_stop_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('meal_order_id', sa.Integer(), nullable=True),
    sa.Column('service_request_id', sa.Integer(), nullable=True),
    sa.Column('window_start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('eta_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrival_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('departure_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Enum('delivered', 'not_home', 'refused', 'hospitalised', 'could_not_access', 'completed', 'could_not_complete', name=op.f('ck_stop_outcome'), native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('outcome_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_by_id', sa.Integer(), nullable=True),
    sa.Column('is_locked', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'meal' AND meal_order_id IS NOT NULL AND service_request_id IS NULL) OR (kind = 'visit' AND service_request_id IS NOT NULL AND meal_order_id IS NULL)", name=op.f('ck_stop_one_subject_matching_kind')),
    sa.CheckConstraint('departure_dt IS NULL OR arrival_dt IS NULL OR departure_dt >= arrival_dt', name=op.f('ck_stop_departure_not_before_arrival')),
    sa.CheckConstraint('position >= 0', name=op.f('ck_stop_position_nonneg')),
    sa.CheckConstraint('window_end_dt >= window_start_dt', name=op.f('ck_stop_window_end_not_before_start')),
    sa.ForeignKeyConstraint(['meal_order_id'], ['meal_order.id'], name=op.f('fk_stop_meal_order_id_meal_order'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['outcome_by_id'], ['user.id'], name=op.f('fk_stop_outcome_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_stop_route_id_route'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_stop_senior_id_senior'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_request.id'], name=op.f('fk_stop_service_request_id_service_request'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stop')),
    sa.UniqueConstraint('route_id', 'position', name=op.f('uq_stop_route_id_position'))
    )
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stop_meal_order_id'), ['meal_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stop_route_id'), ['route_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stop_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stop_service_request_id'), ['service_request_id'], unique=False)

    op.create_table('welfare_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('stop_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('not_home_lives_alone', 'no_answer', 'concern', 'missed_meals', 'overdue_stop', name=op.f('ck_welfare_alert_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('severity', sa.Enum('high', 'medium', 'low', name=op.f('ck_welfare_alert_severity'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', name=op.f('ck_welfare_alert_status'), native_enum=False, create_constraint=True, length=32), server_default='open', nullable=False),
    sa.Column('raised_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'resolved' OR resolved_dt IS NOT NULL", name=op.f('ck_welfare_alert_resolved_has_dt')),
    sa.CheckConstraint("status = 'open' OR acknowledged_dt IS NOT NULL", name=op.f('ck_welfare_alert_acknowledged_has_dt')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user.id'], name=op.f('fk_welfare_alert_acknowledged_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_welfare_alert_resolved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_welfare_alert_senior_id_senior'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_welfare_alert_site_id_meal_site'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stop_id'], ['stop.id'], name=op.f('fk_welfare_alert_stop_id_stop'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welfare_alert'))
    )
    with op.batch_alter_table('welfare_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_welfare_alert_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_welfare_alert_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_welfare_alert_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_welfare_alert_stop_id'), ['stop_id'], unique=False)

    op.create_table('alert_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('called_senior', 'called_contact', 'called_supervisor', 'called_emergency_services', 'visited', 'note', name=op.f('ck_alert_action_kind'), native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['welfare_alert.id'], name=op.f('fk_alert_action_alert_id_welfare_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_alert_action_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_action'))
    )
    with op.batch_alter_table('alert_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_action_alert_id'), ['alert_id'], unique=False)



def downgrade():
    with op.batch_alter_table('alert_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_action_alert_id'))

    op.drop_table('alert_action')
    with op.batch_alter_table('welfare_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_welfare_alert_stop_id'))
        batch_op.drop_index(batch_op.f('ix_welfare_alert_status'))
        batch_op.drop_index(batch_op.f('ix_welfare_alert_site_id'))
        batch_op.drop_index(batch_op.f('ix_welfare_alert_senior_id'))

    op.drop_table('welfare_alert')
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stop_service_request_id'))
        batch_op.drop_index(batch_op.f('ix_stop_senior_id'))
        batch_op.drop_index(batch_op.f('ix_stop_route_id'))
        batch_op.drop_index(batch_op.f('ix_stop_meal_order_id'))

    op.drop_table('stop')
    op.drop_table('worker_skill')
    with op.batch_alter_table('worker_shift', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_shift_worker_id'))
        batch_op.drop_index(batch_op.f('ix_worker_shift_site_id'))

    op.drop_table('worker_shift')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_site_id_requested_date_status')
        batch_op.drop_index(batch_op.f('ix_service_request_senior_id'))

    op.drop_table('service_request')
    op.drop_table('senior_category')
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_worker_id'))

    op.drop_table('route')
    with op.batch_alter_table('meal_order', schema=None) as batch_op:
        batch_op.drop_index('ix_meal_order_service_date_site_id')

    op.drop_table('meal_order')
    with op.batch_alter_table('meal_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_hold_senior_id'))

    op.drop_table('meal_hold')
    with op.batch_alter_table('meal_enrollment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_enrollment_site_id'))
        batch_op.drop_index(batch_op.f('ix_meal_enrollment_senior_id'))

    op.drop_table('meal_enrollment')
    with op.batch_alter_table('family_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_family_link_senior_id'))

    op.drop_table('family_link')
    with op.batch_alter_table('emergency_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_contact_senior_id'))

    op.drop_table('emergency_contact')
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_home_site_id'))

    op.drop_table('worker')
    with op.batch_alter_table('webauthn', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webauthn_credential_id'))

    op.drop_table('webauthn')
    with op.batch_alter_table('subsidy_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_rule_site_id'))

    op.drop_table('subsidy_rule')
    with op.batch_alter_table('staff_site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_site_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_site_site_id'))

    op.drop_table('staff_site')
    with op.batch_alter_table('senior', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_senior_home_site_id'))
        batch_op.drop_index(batch_op.f('ix_senior_full_name'))

    op.drop_table('senior')
    op.drop_table('roles_users')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index('uq_plan_visits_version', sqlite_where=sa.text('meal IS NULL'), postgresql_where=sa.text('meal IS NULL'))

    op.drop_table('plan')
    op.drop_table('meal_window')
    op.drop_table('user')
    op.drop_table('role')
    op.drop_table('meal_site')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_senior_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_event_dt'))
        batch_op.drop_index('ix_audit_event_entity_type_entity_id')

    op.drop_table('audit_event')
