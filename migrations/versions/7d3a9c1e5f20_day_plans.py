"""Day plans: a plan of kind ``day`` holds a site's whole day (every meal window and the visits) with no
meal; its version numbers are counted apart from the visits plan's (the partial unique index of plans
without a meal includes the kind).

Revision ID: 7d3a9c1e5f20
Revises: 5b1e0c7d9a42
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d3a9c1e5f20'
down_revision = '5b1e0c7d9a42'
branch_labels = None
depends_on = None

KINDS_BEFORE = ('meals', 'visits')
KINDS_AFTER = KINDS_BEFORE + ('day',)
MATCH_BEFORE = "(kind = 'meals' AND meal IS NOT NULL) OR (kind = 'visits' AND meal IS NULL)"
MATCH_AFTER = "(kind = 'meals' AND meal IS NOT NULL) OR (kind IN ('visits', 'day') AND meal IS NULL)"
WHERE = sa.text('meal IS NULL')


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index('uq_plan_visits_version', sqlite_where=WHERE, postgresql_where=WHERE)
        batch_op.drop_constraint(op.f('ck_plan_meal_matches_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_plan_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_plan_kind'), _kinds(KINDS_AFTER))
        batch_op.create_check_constraint(op.f('ck_plan_meal_matches_kind'), MATCH_AFTER)
        batch_op.create_index('uq_plan_visits_version', ['site_id', 'service_date', 'kind', 'version_number'],
                              unique=True, sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade():
    # A day plan cannot be stored before this revision: its routes and stops go with it.
    op.execute("DELETE FROM stop WHERE route_id IN (SELECT route.id FROM route JOIN plan ON route.plan_id = plan.id"
               " WHERE plan.kind = 'day')")
    op.execute("DELETE FROM route WHERE plan_id IN (SELECT id FROM plan WHERE kind = 'day')")
    op.execute("DELETE FROM plan WHERE kind = 'day'")
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index('uq_plan_visits_version', sqlite_where=WHERE, postgresql_where=WHERE)
        batch_op.drop_constraint(op.f('ck_plan_meal_matches_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_plan_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_plan_kind'), _kinds(KINDS_BEFORE))
        batch_op.create_check_constraint(op.f('ck_plan_meal_matches_kind'), MATCH_BEFORE)
        batch_op.create_index('uq_plan_visits_version', ['site_id', 'service_date', 'version_number'],
                              unique=True, sqlite_where=WHERE, postgresql_where=WHERE)
