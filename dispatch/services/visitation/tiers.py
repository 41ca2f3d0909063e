"""Each senior's visitation tier: computed from what Doorstep knows, unless staff judged otherwise.

The computed tier follows the field's risk levels (MZ/T 237-2024 and the provinces' rules): **tier 1**
(high risk) for seniors who live alone and are 80 or over, frail, or disabled, and for anyone with a
recent welfare alert or just back from a hospital stay; **tier 2** (key) for those who live alone, are
80 or over, disabled, in extreme poverty, of low mobility, or missing meals; **tier 3** (general) for
everyone else on the books. Staff may set a tier with a reason (audited); it wins until they clear it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, WelfareAlert
from dispatch.models.meals import MealHold, MealOrder, MealOrderStatus
from dispatch.models.senior import Mobility, Senior, SeniorCategoryType
from dispatch.models.visitation import TIERS, VisitationTierOverride
from dispatch.platform import audit, clock
from dispatch.platform.errors import FieldError

RECENT_ALERT_DAYS = 30
BACK_FROM_STAY_DAYS = 30
MISSED_MEALS_DAYS = 14
MISSED_MEALS_COUNT = 2
MAX_REASON = 500

# Why a tier was computed, in words staff read on the senior's page.
REASONS = {
    "lives_alone_80": _l("lives alone, aged 80 or over"),
    "lives_alone_frail": _l("lives alone with a disability or low mobility"),
    "recent_alert": _l("a welfare alert in the last 30 days"),
    "back_from_stay": _l("back from a hospital stay or time away in the last 30 days"),
    "lives_alone": _l("lives alone"),
    "aged_80": _l("aged 80 or over"),
    "disabled": _l("disabled"),
    "extreme_poverty": _l("extreme poverty"),
    "low_mobility": _l("uses a wheelchair or is bedridden"),
    "missed_meals": _l("missed meals in the last two weeks"),
    "general": _l("on the books, no particular risk known"),
}
# Alerts about the programme itself do not raise the risk that made them.
_RISK_ALERTS = tuple(k for k in AlertKind if k not in (AlertKind.VISIT_OVERDUE, AlertKind.OVERDUE_STOP))


@dataclass(frozen=True)
class TierView:
    """A senior's tier, the tier the facts give, why, and staff's judgement if any."""

    tier: int
    computed: int
    reasons: tuple[str, ...]
    override: VisitationTierOverride | None = None

    @property
    def reason_texts(self) -> list[Any]:
        return [REASONS[r] for r in self.reasons]


@dataclass
class _Facts:
    recent_alert: bool = False
    back_from_stay: bool = False
    missed_meals: int = 0


def compute(senior: Senior, facts: _Facts, today: date) -> tuple[int, tuple[str, ...]]:
    """The tier the facts give, and the reasons (keys of ``REASONS``) for it."""
    age = senior.age_on(today)
    categories = senior.category_values
    frail = senior.mobility in (Mobility.WHEELCHAIR, Mobility.BEDRIDDEN)
    disabled = SeniorCategoryType.DISABLED in categories
    alone = senior.lives_alone or SeniorCategoryType.LIVING_ALONE_PRIORITY in categories
    old = age >= 80 or SeniorCategoryType.AGED_80_PLUS in categories
    high = []
    if alone and old:
        high.append("lives_alone_80")
    if alone and (frail or disabled):
        high.append("lives_alone_frail")
    if facts.recent_alert:
        high.append("recent_alert")
    if facts.back_from_stay:
        high.append("back_from_stay")
    if high:
        return 1, tuple(high)
    key = []
    if alone:
        key.append("lives_alone")
    if old:
        key.append("aged_80")
    if disabled:
        key.append("disabled")
    if SeniorCategoryType.EXTREME_POVERTY in categories:
        key.append("extreme_poverty")
    if frail:
        key.append("low_mobility")
    if facts.missed_meals >= MISSED_MEALS_COUNT:
        key.append("missed_meals")
    if key:
        return 2, tuple(key)
    return 3, ("general",)


def _facts(senior_ids: set[int], today: date) -> dict[int, _Facts]:
    facts: dict[int, _Facts] = defaultdict(_Facts)
    if not senior_ids:
        return facts
    since = clock.at_local(today - timedelta(days=RECENT_ALERT_DAYS), time(0), clock.default_zone())
    for sid in db.session.scalars(sa.select(WelfareAlert.senior_id).where(
            WelfareAlert.senior_id.in_(senior_ids), WelfareAlert.kind.in_(_RISK_ALERTS),
            WelfareAlert.raised_dt >= since).distinct()):
        facts[sid].recent_alert = True
    for sid in db.session.scalars(sa.select(MealHold.senior_id).where(
            MealHold.senior_id.in_(senior_ids), MealHold.away.is_(True),
            MealHold.end_date < today, MealHold.end_date >= today - timedelta(days=BACK_FROM_STAY_DAYS)).distinct()):
        facts[sid].back_from_stay = True
    rows = db.session.execute(sa.select(MealOrder.senior_id, sa.func.count(MealOrder.id)).where(
        MealOrder.senior_id.in_(senior_ids), MealOrder.status == MealOrderStatus.MISSED,
        MealOrder.service_date >= today - timedelta(days=MISSED_MEALS_DAYS), MealOrder.service_date < today,
    ).group_by(MealOrder.senior_id))
    for sid, count in rows:
        facts[sid].missed_meals = count
    return facts


def tiers_for(seniors: Iterable[Senior], *, today: date) -> dict[int, TierView]:
    """Each senior's tier view, in a fixed number of queries however many seniors there are."""
    seniors = list(seniors)
    ids = {s.id for s in seniors}
    facts = _facts(ids, today)
    overrides = {o.senior_id: o for o in db.session.scalars(
        sa.select(VisitationTierOverride).where(VisitationTierOverride.senior_id.in_(ids)))} if ids else {}
    views = {}
    for senior in seniors:
        computed, reasons = compute(senior, facts[senior.id], today)
        override = overrides.get(senior.id)
        views[senior.id] = TierView(override.tier if override else computed, computed, reasons, override)
    return views


def tier_of(senior: Senior, *, today: date) -> TierView:
    return tiers_for([senior], today=today)[senior.id]


def set_tier(senior: Senior, tier: Any, reason: Any, *, by: Any) -> VisitationTierOverride:
    """Staff's judgement of ``senior``'s tier, with a reason; audited. ``FieldError`` on bad input."""
    try:
        tier = int(tier)
    except (TypeError, ValueError):
        raise FieldError("tier", _l("Unknown tier.")) from None
    if tier not in TIERS:
        raise FieldError("tier", _l("Unknown tier."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise FieldError("reason", _l("Say why the tier differs from the computed one."))
    if len(reason) > MAX_REASON:
        raise FieldError("reason", _l("Keep the reason under %(n)s characters.", n=MAX_REASON))
    override = db.session.scalar(sa.select(VisitationTierOverride).where(
        VisitationTierOverride.senior_id == senior.id))
    before = override.tier if override else None
    if override is None:
        override = VisitationTierOverride(senior_id=senior.id, tier=tier, reason=reason)
        db.session.add(override)
    override.tier, override.reason = tier, reason
    override.set_by_id = getattr(by, "id", None)
    override.set_dt = clock.now()
    db.session.flush()
    audit.record("visitation.tier_set", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id,
                 detail={"tier": tier, "before": before, "fields": ["reason"]})
    return override


def clear_tier(senior: Senior, *, by: Any) -> bool:
    """Go back to the computed tier; False if staff had not set one."""
    override = db.session.scalar(sa.select(VisitationTierOverride).where(
        VisitationTierOverride.senior_id == senior.id))
    if override is None:
        return False
    audit.record("visitation.tier_clear", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id,
                 detail={"before": override.tier})
    db.session.delete(override)
    db.session.flush()
    return True
