"""The visitation rules: per tier, how often a senior is visited and contacted, for the district or a site.

The district's rows (``site_id`` NULL) start as ``DEFAULTS`` (the migration seeds the same values; a
missing row reads as its default and is written on its first edit); a site that differs gets rows of
its own, which win for its seniors. Days are "at most this many days between":
``visit_days`` between in-person visits, ``call_days`` between contacts of any kind (a visit is a contact
too). ``meal_check_counts`` says what a meal drop where the worker saw the senior stands for.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.visitation import TIERS, ContactKind, DueKind, MealCheckCounts, VisitationRule
from dispatch.platform import audit
from dispatch.platform.errors import FieldError, StaleRecord

MAX_DAYS = 366

# tier: (days between in-person visits, days between contacts, what a face-to-face meal drop counts as).
# After the field's levels: high risk visited weekly and contacted daily; key visited every two weeks;
# general contacted monthly (the monthly visitation rate covers everyone on the list).
DEFAULTS = {1: (7, 1, MealCheckCounts.CALL), 2: (14, 7, MealCheckCounts.CALL), 3: (None, 30, MealCheckCounts.CALL)}

TIER_NAMES = {1: _l("Tier 1 · high risk"), 2: _l("Tier 2 · key"), 3: _l("Tier 3 · general")}


def _default(tier: int) -> VisitationRule:
    visit, call, counts = DEFAULTS[tier]
    return VisitationRule(tier=tier, site_id=None, visit_days=visit, call_days=call, meal_check_counts=counts)


def district_rules() -> dict[int, VisitationRule]:
    """The district's rule per tier (a default, not in the session, where no row was written)."""
    rows = db.session.scalars(sa.select(VisitationRule).where(VisitationRule.site_id.is_(None))).all()
    found = {r.tier: r for r in rows}
    return {tier: found.get(tier) or _default(tier) for tier in TIERS}


def rules_for_sites(site_ids) -> dict[tuple[int | None, int], VisitationRule]:
    """Every rule that applies to these sites: ``(site_id, tier)`` -> rule, the district's under ``None``."""
    ids = {i for i in site_ids if i is not None}
    query = sa.select(VisitationRule).where(
        sa.or_(VisitationRule.site_id.is_(None), VisitationRule.site_id.in_(ids) if ids else sa.false()))
    table = {(r.site_id, r.tier): r for r in db.session.scalars(query)}
    for tier in TIERS:
        table.setdefault((None, tier), _default(tier))
    return table


def pick(table: dict[tuple[int | None, int], VisitationRule], site_id: int | None, tier: int) -> VisitationRule:
    """The site's own rule for ``tier`` if it has one, else the district's."""
    return table.get((site_id, tier)) or table[(None, tier)]


def rule_for(tier: int, site_id: int | None) -> VisitationRule:
    """The rule a senior of ``tier`` at ``site_id`` is contacted by."""
    return pick(rules_for_sites([site_id]), site_id, tier)


def satisfies(contact: ContactKind, rule: VisitationRule) -> set[DueKind]:
    """Which kinds of due contact a contact of this kind fulfils under ``rule``."""
    if contact == ContactKind.HOME_VISIT:
        return {DueKind.HOME_VISIT, DueKind.CALL}
    if contact == ContactKind.CALL:
        return {DueKind.CALL}
    if rule.meal_check_counts == MealCheckCounts.VISIT:
        return {DueKind.HOME_VISIT, DueKind.CALL}
    if rule.meal_check_counts == MealCheckCounts.CALL:
        return {DueKind.CALL}
    return set()


def counting_kinds(due: DueKind, rule: VisitationRule) -> set[ContactKind]:
    """Which contact kinds restart the interval of a ``due`` kind under ``rule``."""
    return {kind for kind in ContactKind if due in satisfies(kind, rule)}


def _days(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise FieldError(field, _l("Give a whole number of days.")) from None
    if isinstance(value, float) and value != days:
        raise FieldError(field, _l("Give a whole number of days."))
    if not 1 <= days <= MAX_DAYS:
        raise FieldError(field, _l("Give between 1 and %(n)s days.", n=MAX_DAYS))
    return days


def set_rule(tier: Any, *, site_id: int | None, visit_days: Any, call_days: Any, meal_check_counts: Any,
             by: Any, expected_version: int | None = None) -> VisitationRule:
    """Change a tier's rule for the district (``site_id`` None) or create/change one site's own rule.

    Raises ``FieldError`` naming the bad field; nothing changes then. Audited."""
    try:
        tier = int(tier)
    except (TypeError, ValueError):
        raise FieldError("tier", _l("Unknown tier.")) from None
    if tier not in TIERS:
        raise FieldError("tier", _l("Unknown tier."))
    visit = _days("visit_days", visit_days)
    call = _days("call_days", call_days)
    if visit is None and call is None:
        raise FieldError("visit_days", _l("A tier needs visits, calls or both."))
    try:
        counts = MealCheckCounts(meal_check_counts or MealCheckCounts.CALL)
    except ValueError:
        raise FieldError("meal_check_counts", _l("Unknown choice.")) from None
    rule = db.session.scalar(sa.select(VisitationRule).where(
        VisitationRule.tier == tier,
        VisitationRule.site_id.is_(None) if site_id is None else VisitationRule.site_id == site_id))
    if rule is None:
        rule = VisitationRule(tier=tier, site_id=site_id)
        db.session.add(rule)
    elif expected_version is not None and rule.version != expected_version:
        raise StaleRecord()
    before = {"visit_days": rule.visit_days, "call_days": rule.call_days,
              "meal_check_counts": rule.meal_check_counts and str(rule.meal_check_counts)}
    rule.visit_days, rule.call_days, rule.meal_check_counts = visit, call, counts
    rule.updated_by_id = getattr(by, "id", None) if by is not None and not isinstance(by, int) else by
    db.session.flush()
    audit.record("visitation.rule_update", user=by, entity_type="visitation_rule", entity_id=rule.id,
                 detail={"tier": tier, "site_id": site_id, "before": before,
                         "after": {"visit_days": visit, "call_days": call, "meal_check_counts": str(counts)}})
    return rule


def clear_site_rule(tier: int, site_id: int, *, by: Any) -> bool:
    """Drop a site's own rule for ``tier`` so the district's applies again; False if it had none."""
    rule = db.session.scalar(sa.select(VisitationRule).where(
        VisitationRule.tier == tier, VisitationRule.site_id == site_id))
    if rule is None:
        return False
    audit.record("visitation.rule_clear", user=by, entity_type="visitation_rule", entity_id=rule.id,
                 detail={"tier": tier, "site_id": site_id})
    db.session.delete(rule)
    db.session.flush()
    return True
