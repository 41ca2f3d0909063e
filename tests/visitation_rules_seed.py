"""The district's visitation rules as the migration seeds them; the suite empties every table between tests."""
from __future__ import annotations

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.visitation import MealCheckCounts, VisitationRule

DISTRICT_RULES = ((1, 7, 1), (2, 14, 7), (3, None, 30))


def seed_district_rules() -> dict[int, VisitationRule]:
    found = {r.tier: r for r in db.session.scalars(sa.select(VisitationRule).where(VisitationRule.site_id.is_(None)))}
    for tier, visit_days, call_days in DISTRICT_RULES:
        if tier not in found:
            found[tier] = VisitationRule(tier=tier, visit_days=visit_days, call_days=call_days,
                                         meal_check_counts=MealCheckCounts.CALL)
            db.session.add(found[tier])
    db.session.commit()
    return found
