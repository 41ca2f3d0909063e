"""Reload trips: how many loads a site's riders may take per meal and how long a reload takes, how many
meals the kitchen hands out per 10 minutes from when cooking ends; the load each stop rides in, and when
each load of a route leaves the kitchen.

Revision ID: 5b1e0c7d9a42
Revises: 39398294b8a1
Create Date: 2026-12-04 02:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b1e0c7d9a42'
down_revision = '39398294b8a1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meal_site') as batch:
        batch.add_column(sa.Column('reload_trips', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('load_minutes', sa.Integer(), server_default='5', nullable=False))
        batch.add_column(sa.Column('packing_rate', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ready_lead_minutes', sa.Integer(), server_default='30', nullable=False))
        batch.create_check_constraint(op.f('ck_meal_site_packing_rate_range'),
                                      'packing_rate IS NULL OR packing_rate BETWEEN 1 AND 1000')
        batch.create_check_constraint(op.f('ck_meal_site_ready_lead_range'), 'ready_lead_minutes BETWEEN 0 AND 180')
        batch.create_check_constraint(op.f('ck_meal_site_reload_trips_range'), 'reload_trips BETWEEN 1 AND 6')
        batch.create_check_constraint(op.f('ck_meal_site_load_minutes_range'), 'load_minutes BETWEEN 0 AND 60')
    with op.batch_alter_table('route') as batch:
        batch.add_column(sa.Column('trip_departures', sa.JSON(), nullable=True))
    with op.batch_alter_table('stop') as batch:
        batch.add_column(sa.Column('trip', sa.Integer(), server_default='0', nullable=False))
        batch.create_check_constraint(op.f('ck_stop_trip_nonneg'), 'trip >= 0')


def downgrade():
    with op.batch_alter_table('stop') as batch:
        batch.drop_constraint(op.f('ck_stop_trip_nonneg'), type_='check')
        batch.drop_column('trip')
    with op.batch_alter_table('route') as batch:
        batch.drop_column('trip_departures')
    with op.batch_alter_table('meal_site') as batch:
        batch.drop_constraint(op.f('ck_meal_site_ready_lead_range'), type_='check')
        batch.drop_constraint(op.f('ck_meal_site_packing_rate_range'), type_='check')
        batch.drop_column('ready_lead_minutes')
        batch.drop_column('packing_rate')
        batch.drop_constraint(op.f('ck_meal_site_load_minutes_range'), type_='check')
        batch.drop_constraint(op.f('ck_meal_site_reload_trips_range'), type_='check')
        batch.drop_column('load_minutes')
        batch.drop_column('reload_trips')
