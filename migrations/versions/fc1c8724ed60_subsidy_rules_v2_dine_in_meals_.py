"""subsidy rules v2, dine-in meals, statements, budgets

Subsidy rules gain a name, a delivery fee, a monthly cap and who created them;
new tables for counter (dine-in) meals, monthly statements with frozen lines,
and per-site monthly subsidy budgets.

Revision ID: fc1c8724ed60
Revises: c3d1e2f4a5b6
Create Date: 2026-12-01 18:53:37.663651

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fc1c8724ed60'
down_revision = 'c3d1e2f4a5b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statement_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='status', native_enum=False, create_constraint=True, length=32), server_default='open', nullable=False),
    sa.Column('closed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('total_price_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_subsidy_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_copay_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'closed' OR closed_dt IS NOT NULL", name=op.f('ck_statement_month_closed_has_dt')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_statement_month_closed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_statement_month_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_month')),
    sa.UniqueConstraint('site_id', 'month', name='uq_statement_month_site_id_month')
    )
    op.create_table('subsidy_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_subsidy_budget_amount_nonneg')),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_subsidy_budget_site_id_meal_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_budget')),
    sa.UniqueConstraint('site_id', 'month', name='uq_subsidy_budget_site_id_month')
    )
    op.create_table('dine_in_meal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name='meal', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('seq', sa.Integer(), server_default='1', nullable=False),
    sa.Column('override_reason', sa.String(length=255), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('seq = 1 OR override_reason IS NOT NULL', name=op.f('ck_dine_in_meal_extra_meal_has_reason')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_dine_in_meal_seq_positive')),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_dine_in_meal_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_dine_in_meal_senior_id_senior'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['meal_site.id'], name=op.f('fk_dine_in_meal_site_id_meal_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dine_in_meal')),
    sa.UniqueConstraint('client_id', name='uq_dine_in_meal_client_id'),
    sa.UniqueConstraint('senior_id', 'service_date', 'meal', 'seq', name='uq_dine_in_meal_one_per_window')
    )
    with op.batch_alter_table('dine_in_meal', schema=None) as batch_op:
        batch_op.create_index('ix_dine_in_meal_site_id_service_date', ['site_id', 'service_date'], unique=False)

    op.create_table('statement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('senior_name', sa.String(length=120), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name='meal', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mode', sa.Enum('delivery', 'dine_in', name='mode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proof_kind', sa.Enum('delivery', 'dine_in', name='proof_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proof_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=80), server_default='', nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    sa.Column('copay_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('subsidy_cents + copay_cents = price_cents', name=op.f('ck_statement_line_subsidy_plus_copay_is_price')),
    sa.CheckConstraint('subsidy_cents >= 0 AND copay_cents >= 0', name=op.f('ck_statement_line_money_nonneg')),
    sa.ForeignKeyConstraint(['statement_id'], ['statement_month.id'], name=op.f('fk_statement_line_statement_id_statement_month'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_line')),
    sa.UniqueConstraint('statement_id', 'proof_kind', 'proof_id', name='uq_statement_line_proof')
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_line_senior_id'), ['senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_statement_id'), ['statement_id'], unique=False)

    with op.batch_alter_table('subsidy_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('delivery_fee_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('cap_per_month_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_subsidy_rule_created_by_id_user'), 'user', ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            op.f('ck_subsidy_rule_fee_and_month_cap_nonneg'),
            'delivery_fee_cents >= 0 AND (cap_per_month_cents IS NULL OR cap_per_month_cents >= 0)')



def downgrade():
    with op.batch_alter_table('subsidy_rule', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_subsidy_rule_fee_and_month_cap_nonneg'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_subsidy_rule_created_by_id_user'), type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('created_dt')
        batch_op.drop_column('cap_per_month_cents')
        batch_op.drop_column('delivery_fee_cents')
        batch_op.drop_column('name')

    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_line_statement_id'))
        batch_op.drop_index(batch_op.f('ix_statement_line_senior_id'))

    op.drop_table('statement_line')
    with op.batch_alter_table('dine_in_meal', schema=None) as batch_op:
        batch_op.drop_index('ix_dine_in_meal_site_id_service_date')

    op.drop_table('dine_in_meal')
    op.drop_table('subsidy_budget')
    op.drop_table('statement_month')
