"""geocode cache and shared rate-limit slot

Geocoder answers cached by normalised address; one row per external service
holding when its next call may start (a rate limit every process shares).

Revision ID: 88dfc99db43a
Revises: fb06e3ad0d80
Create Date: 2026-12-01 18:59:43.752409

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '88dfc99db43a'
down_revision = 'fb06e3ad0d80'
branch_labels = None
depends_on = None


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


def downgrade():
    op.drop_table('rate_limit_slot')
    op.drop_table('geocode_cache')
