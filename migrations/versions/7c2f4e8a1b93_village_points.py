"""Village points: a kitchen's village meal points (trunk run by car, last mile walked), a senior's and a
volunteer's village point, a kitchen's insulated-box hold limit and trunk trip size, and a county plan's legs
(a route's leg, a last-mile round's point and held-from time, a trunk run's drops).

Revision ID: 7c2f4e8a1b93
Revises: 7d3a9c1e5f20
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c2f4e8a1b93'
down_revision = '7d3a9c1e5f20'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table('village_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=True),
    sa.Column('kind', _enum('kind', 'happiness_home', 'village_committee', 'shop'), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('address_zh', sa.String(length=255), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('dine_in', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('unload_minutes', sa.Integer(), server_default='5', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat >= -90 AND lat <= 90', name=op.f('ck_village_point_lat_range')),
    sa.CheckConstraint('lon >= -180 AND lon <= 180', name=op.f('ck_village_point_lon_range')),
    sa.CheckConstraint('(dine_in AND seats IS NOT NULL AND seats >= 1) OR (NOT dine_in AND seats IS NULL)',
                       name=op.f('ck_village_point_seats_with_dine_in')),
    sa.CheckConstraint('unload_minutes BETWEEN 0 AND 60', name=op.f('ck_village_point_unload_minutes_range')),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_village_point_site_id_meal_site'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_village_point')),
    sa.UniqueConstraint('site_id', 'name', name=op.f('uq_village_point_site_id_name'))
    )
    with op.batch_alter_table('village_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_village_point_site_id'), ['site_id'], unique=False)

    with op.batch_alter_table('meal_site') as batch:
        batch.add_column(sa.Column('insulated_hold_minutes', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('trunk_trip_meals', sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f('ck_meal_site_insulated_hold_range'),
                                      'insulated_hold_minutes IS NULL OR (insulated_hold_minutes > hold_limit_minutes'
                                      ' AND insulated_hold_minutes <= 480)')
        batch.create_check_constraint(op.f('ck_meal_site_trunk_trip_meals_range'),
                                      'trunk_trip_meals IS NULL OR trunk_trip_meals BETWEEN 1 AND 2000')
    for table in ('senior', 'worker'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('village_point_id', sa.Integer(), nullable=True))
            batch.create_index(batch.f(f'ix_{table}_village_point_id'), ['village_point_id'], unique=False)
            batch.create_foreign_key(batch.f(f'fk_{table}_village_point_id_village_point'), 'village_point',
                                     ['village_point_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('route') as batch:
        batch.add_column(sa.Column('leg', _enum('leg', 'trunk', 'last_mile'), nullable=True))
        batch.add_column(sa.Column('village_point_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('held_from_dt', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f('ix_route_village_point_id'), ['village_point_id'], unique=False)
        batch.create_foreign_key(batch.f('fk_route_village_point_id_village_point'), 'village_point',
                                 ['village_point_id'], ['id'], ondelete='RESTRICT')
        batch.create_check_constraint(op.f('ck_route_point_matches_leg'),
                                      "(leg = 'last_mile' AND village_point_id IS NOT NULL AND held_from_dt IS NOT NULL)"
                                      " OR ((leg IS NULL OR leg = 'trunk') AND village_point_id IS NULL)")

    op.create_table('trunk_drop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('village_point_id', sa.Integer(), nullable=False),
    sa.Column('meals', sa.Integer(), nullable=False),
    sa.Column('dine_in', sa.Integer(), server_default='0', nullable=False),
    sa.Column('door_meals', sa.Integer(), server_default='0', nullable=False),
    sa.Column('eta_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_trunk_drop_position_nonneg')),
    sa.CheckConstraint('dine_in >= 0 AND door_meals >= 0 AND meals = dine_in + door_meals',
                       name=op.f('ck_trunk_drop_meals_add_up')),
    sa.CheckConstraint('ready_dt >= eta_dt', name=op.f('ck_trunk_drop_ready_not_before_eta')),
    sa.CheckConstraint('window_end_dt >= window_start_dt', name=op.f('ck_trunk_drop_window_end_not_before_start')),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_trunk_drop_route_id_route'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_point_id'], ['village_point.id'],
                            name=op.f('fk_trunk_drop_village_point_id_village_point'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trunk_drop')),
    sa.UniqueConstraint('route_id', 'position', name=op.f('uq_trunk_drop_route_id_position'))
    )
    with op.batch_alter_table('trunk_drop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trunk_drop_route_id'), ['route_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trunk_drop_village_point_id'), ['village_point_id'], unique=False)


def downgrade():
    with op.batch_alter_table('trunk_drop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trunk_drop_village_point_id'))
        batch_op.drop_index(batch_op.f('ix_trunk_drop_route_id'))
    op.drop_table('trunk_drop')
    with op.batch_alter_table('route') as batch:
        batch.drop_constraint(op.f('ck_route_point_matches_leg'), type_='check')
        batch.drop_constraint(op.f('ck_route_leg'), type_='check')
        batch.drop_constraint(batch.f('fk_route_village_point_id_village_point'), type_='foreignkey')
        batch.drop_index(batch.f('ix_route_village_point_id'))
        batch.drop_column('held_from_dt')
        batch.drop_column('village_point_id')
        batch.drop_column('leg')
    for table in ('worker', 'senior'):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f'fk_{table}_village_point_id_village_point'), type_='foreignkey')
            batch.drop_index(batch.f(f'ix_{table}_village_point_id'))
            batch.drop_column('village_point_id')
    with op.batch_alter_table('meal_site') as batch:
        batch.drop_constraint(op.f('ck_meal_site_trunk_trip_meals_range'), type_='check')
        batch.drop_constraint(op.f('ck_meal_site_insulated_hold_range'), type_='check')
        batch.drop_column('trunk_trip_meals')
        batch.drop_column('insulated_hold_minutes')
    with op.batch_alter_table('village_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_village_point_site_id'))
    op.drop_table('village_point')
