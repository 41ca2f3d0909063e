"""Subsidy rules: which rule prices a senior's meal, what it costs, and who pays how much.

Rules are versioned by date, never rewritten once in use: ``supersede_rule``
ends the old version the day before the new one starts. A rule whose period
would reach into a month already closed at its site is refused, so a rule
change can never alter a closed statement (closed statements are frozen rows
anyway, see ``services.statements``).

Choosing among several matching rules (a 96-year-old on low income fits an age
band and a category): the highest ``precedence``; then a site's own rule over a
district-wide one; then the larger subsidy for the meal; then the newest.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.senior import Senior, SeniorCategoryType
from dispatch.models.statement import StatementMonth, StatementStatus
from dispatch.models.subsidy import SubsidyRule
from dispatch.models.user import RoleName, StaffSite
from dispatch.platform import audit
from dispatch.platform.access import has_role, is_admin, staff_site_ids
from dispatch.platform.datefmt import date_text, month_text
from dispatch.platform.errors import FieldError

MAX_CENTS = 1_000_000  # 10,000 yuan: far above any meal, low enough to catch a typo in fen
MAX_MONTH_CENTS = 100_000_000


@dataclass(frozen=True)
class Priced:
    """One meal's money: price = subsidy + co-pay, in cents; ``rule_id`` None when no rule matched."""

    rule_id: int | None
    band: str
    price_cents: int
    subsidy_cents: int

    @property
    def copay_cents(self) -> int:
        return self.price_cents - self.subsidy_cents


NO_RULE = Priced(rule_id=None, band="", price_cents=0, subsidy_cents=0)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (month_start(day) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _rank(rule: SubsidyRule, delivered: bool) -> tuple:
    return (rule.precedence, rule.site_id is not None, rule.subsidy_for(delivered=delivered),
            rule.valid_from, rule.id or 0)


def choose_rule(rules: Iterable[SubsidyRule], *, site_id: int, categories: set[SeniorCategoryType], age: int,
                day: date, delivered: bool = False) -> SubsidyRule | None:
    """The rule that prices this meal, or None when none matches (see the module's precedence)."""
    matching = [r for r in rules if r.applies(site_id=site_id, categories=categories, age=age, day=day)]
    return max(matching, key=lambda r: _rank(r, delivered), default=None)


def price_meal(rule: SubsidyRule | None, *, delivered: bool, subsidy_so_far_cents: int = 0,
               subsidised: bool = True) -> Priced:
    """Price one meal under ``rule``.

    ``subsidy_so_far_cents`` is what the senior already received this month under
    monthly caps; ``subsidised=False`` (an extra meal staff let through) bills the
    whole price to the senior.
    """
    if rule is None:
        return NO_RULE
    price = rule.price_for(delivered=delivered)
    subsidy = rule.subsidy_for(delivered=delivered) if subsidised else 0
    if rule.cap_per_month_cents is not None:
        subsidy = max(0, min(subsidy, rule.cap_per_month_cents - subsidy_so_far_cents))
    return Priced(rule_id=rule.id, band=rule.label, price_cents=price, subsidy_cents=subsidy)


def rules_in_force(site_id: int, first: date, last: date) -> list[SubsidyRule]:
    """Every rule for this site (or district-wide) valid at some day between ``first`` and ``last``."""
    return list(db.session.scalars(
        sa.select(SubsidyRule).where(
            sa.or_(SubsidyRule.site_id.is_(None), SubsidyRule.site_id == site_id),
            SubsidyRule.valid_from <= last,
            sa.or_(SubsidyRule.valid_to.is_(None), SubsidyRule.valid_to >= first),
        )
    ))


def quote(senior: Senior, site_id: int, day: date, *, delivered: bool, subsidy_so_far_cents: int = 0,
          subsidised: bool = True, rules: list[SubsidyRule] | None = None) -> Priced:
    """Price one meal for ``senior`` at a site on ``day`` (loads the rules unless given)."""
    if rules is None:
        rules = rules_in_force(site_id, day, day)
    rule = choose_rule(rules, site_id=site_id, categories=senior.category_values, age=senior.age_on(day),
                       day=day, delivered=delivered)
    return price_meal(rule, delivered=delivered, subsidy_so_far_cents=subsidy_so_far_cents, subsidised=subsidised)


# Listing and changing rules ------------------------------------------------------

def rules_visible_to(user) -> sa.Select:
    """Admins see every rule; staff the district-wide rules and their own sites' rules."""
    query = sa.select(SubsidyRule)
    if is_admin(user):
        return query
    if has_role(user, RoleName.STAFF):
        return query.where(sa.or_(SubsidyRule.site_id.is_(None), SubsidyRule.site_id.in_(staff_site_ids(user))))
    return query.where(sa.false())


def list_rules(user, *, site_id: int | None = None) -> list[SubsidyRule]:
    query = rules_visible_to(user)
    if site_id is not None:
        query = query.where(sa.or_(SubsidyRule.site_id.is_(None), SubsidyRule.site_id == site_id))
    return list(db.session.scalars(query.order_by(
        SubsidyRule.site_id.is_not(None), SubsidyRule.site_id, SubsidyRule.valid_from.desc(),
        SubsidyRule.precedence.desc(), SubsidyRule.min_age, SubsidyRule.id)))


def get_rule_or_404(rule_id, user) -> SubsidyRule:
    from dispatch.platform.access import one_or_404

    return one_or_404(rules_visible_to(user), SubsidyRule.id, rule_id)


def can_edit(user, site_id: int | None) -> bool:
    """District-wide rules are the administrators'; staff set rules for their own sites."""
    if is_admin(user):
        return True
    if site_id is None or not has_role(user, RoleName.STAFF):
        return False
    return db.session.scalar(staff_site_ids(user).where(StaffSite.site_id == site_id)) is not None


@dataclass(frozen=True)
class RuleData:
    name: str
    site_id: int | None
    category: SeniorCategoryType | None
    min_age: int | None
    max_age: int | None
    valid_from: date
    valid_to: date | None
    meal_price_cents: int
    subsidy_cents: int
    delivery_fee_cents: int = 0
    delivery_subsidy_cents: int = 0
    cap_per_meal_cents: int | None = None
    cap_per_month_cents: int | None = None
    precedence: int = 0


def _check(data: RuleData, by) -> None:
    if not data.name.strip():
        raise FieldError("name", _l("Give the rule a name, e.g. Aged 75-84."))
    for name in ("meal_price_cents", "subsidy_cents", "delivery_fee_cents", "delivery_subsidy_cents",
                 "cap_per_meal_cents"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= MAX_CENTS:
            raise FieldError(name, _l("Enter an amount between 0 and 10,000 yuan."))
    if data.cap_per_month_cents is not None and not 0 <= data.cap_per_month_cents <= MAX_MONTH_CENTS:
        raise FieldError("cap_per_month_cents", _l("Enter an amount between 0 and 1,000,000 yuan."))
    for name in ("min_age", "max_age"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 130:
            raise FieldError(name, _l("Enter an age between 0 and 130."))
    if data.min_age is not None and data.max_age is not None and data.max_age < data.min_age:
        raise FieldError("max_age", _l("The oldest age must not be below the youngest."))
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise FieldError("valid_to", _l("The rule must end on or after the day it starts."))
    if not can_edit(by, data.site_id):
        raise FieldError("site_id", _l("You may set rules only for your own sites."))
    closed = closed_month_overlapping(data.site_id, data.valid_from, data.valid_to)
    if closed is not None:
        raise FieldError("valid_from", _l("%(month)s is closed at this site; a rule may only start after it.",
                                          month=month_text(closed)))


def closed_month_overlapping(site_id: int | None, first: date, last: date | None) -> date | None:
    """The latest closed month (at this site, or anywhere for a district-wide rule) the period reaches."""
    query = sa.select(sa.func.max(StatementMonth.month)).where(
        StatementMonth.status == StatementStatus.CLOSED, StatementMonth.month >= month_start(first))
    if last is not None:
        query = query.where(StatementMonth.month <= last)
    if site_id is not None:
        query = query.where(StatementMonth.site_id == site_id)
    return db.session.scalar(query)


def _new_rule(data: RuleData, by) -> SubsidyRule:
    rule = SubsidyRule(
        name=data.name.strip(), site_id=data.site_id, category=data.category, min_age=data.min_age,
        max_age=data.max_age, valid_from=data.valid_from, valid_to=data.valid_to,
        meal_price_cents=data.meal_price_cents, subsidy_cents=data.subsidy_cents,
        delivery_fee_cents=data.delivery_fee_cents, delivery_subsidy_cents=data.delivery_subsidy_cents,
        cap_per_meal_cents=data.cap_per_meal_cents, cap_per_month_cents=data.cap_per_month_cents,
        precedence=data.precedence, created_by_id=getattr(by, "id", None),
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def create_rule(data: RuleData, *, by) -> SubsidyRule:
    """Add a rule (a new band, or a site's own price); one unit, audited."""
    _check(data, by)
    rule = _new_rule(data, by)
    audit.record("subsidy_rule.create", user=by, entity_type="subsidy_rule", entity_id=rule.id,
                 detail={"site_id": rule.site_id, "valid_from": rule.valid_from.isoformat()})
    db.session.flush()
    return rule


def supersede_rule(old: SubsidyRule, data: RuleData, *, by) -> SubsidyRule:
    """Start a new version of ``old`` on ``data.valid_from``; ``old`` ends the day before. One unit."""
    if data.site_id != old.site_id:
        raise FieldError("site_id", _l("A new version keeps the rule's site; add a new rule for another site."))
    if data.valid_from <= old.valid_from:
        raise FieldError("valid_from", _l("A new version must start after %(day)s.", day=date_text(old.valid_from)))
    if old.valid_to is not None and data.valid_from > old.valid_to + timedelta(days=1):
        raise FieldError("valid_from", _l("This rule already ended; add a new rule instead."))
    _check(data, by)
    ending = data.valid_from - timedelta(days=1)
    closed = closed_month_overlapping(old.site_id, data.valid_from, old.valid_to)
    if closed is not None:  # ending the old version early would re-price a closed month
        raise FieldError("valid_from", _l("%(month)s is closed at this site; a rule may only start after it.",
                                          month=month_text(closed)))
    old.valid_to = ending
    rule = _new_rule(data, by)
    audit.record("subsidy_rule.supersede", user=by, entity_type="subsidy_rule", entity_id=rule.id,
                 detail={"replaces": old.id, "valid_from": rule.valid_from.isoformat()})
    db.session.flush()
    return rule


# Budgets ---------------------------------------------------------------------------

def budget_for(site_id: int, month: date) -> int | None:
    from dispatch.models.subsidy import SubsidyBudget

    return db.session.scalar(sa.select(SubsidyBudget.amount_cents).where(
        SubsidyBudget.site_id == site_id, SubsidyBudget.month == month_start(month)))


def set_budget(site_id: int, month: date, amount_cents: int, *, by) -> None:
    """Set the site's subsidy budget for a month (administrators); one unit, audited."""
    from dispatch.models.subsidy import SubsidyBudget

    if not is_admin(by):
        raise FieldError("amount", _l("Only an administrator sets budgets."))
    if not 0 <= amount_cents <= MAX_MONTH_CENTS * 100:
        raise FieldError("amount", _l("Enter an amount between 0 and 100,000,000 yuan."))
    month = month_start(month)
    budget = db.session.scalar(sa.select(SubsidyBudget).where(SubsidyBudget.site_id == site_id,
                                                              SubsidyBudget.month == month))
    if budget is None:
        budget = SubsidyBudget(site_id=site_id, month=month, amount_cents=amount_cents)
        db.session.add(budget)
    before = budget.amount_cents if budget.id else None
    budget.amount_cents = amount_cents
    db.session.flush()
    audit.record("subsidy_budget.set", user=by, entity_type="subsidy_budget", entity_id=budget.id,
                 detail={"site_id": site_id, "month": month.isoformat(), "amount_cents": amount_cents,
                         "before_cents": before})
    db.session.flush()
