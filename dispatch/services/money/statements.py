"""Monthly subsidy statements: what each senior's meals cost, who paid, and the proof of each.

Only a proof of service is billed: a meal stop whose outcome is *delivered*,
or a dine-in record from the counter. An ordered meal without either (not
home, refused, never planned) is not on the statement.

While a month is open, its lines are computed on demand from those proofs and
the rules in force on each meal's day; monthly caps are applied per senior in
date order. ``close_month`` freezes the lines into ``statement_line`` rows;
from then on the statement is read only from them. Re-opening is an
administrator's act with a reason in the audit trail.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.dine_in import DineInMeal
from dispatch.models.meals import MealMode, MealOrder
from dispatch.models.plan import Stop, StopKind, StopOutcome
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite, MealType
from dispatch.models.statement import ProofKind, StatementLine, StatementMonth, StatementStatus
from dispatch.platform import audit, clock, transaction, validation
from dispatch.platform.access import is_admin
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.money import subsidies
from dispatch.services.visitation import month as visitation_month

MEAL_ORDER = {MealType.BREAKFAST: 0, MealType.LUNCH: 1, MealType.DINNER: 2}


@dataclass(frozen=True)
class Line:
    """One billed meal: what proves it, and its price split into subsidy and co-pay (cents)."""

    senior_id: int
    senior_name: str
    service_date: date
    meal: MealType
    mode: MealMode
    proof_kind: ProofKind
    proof_id: int
    rule_id: int | None
    band: str
    price_cents: int
    subsidy_cents: int
    copay_cents: int


@dataclass(frozen=True)
class Proof:
    senior_id: int
    service_date: date
    meal: MealType
    mode: MealMode
    kind: ProofKind
    proof_id: int
    subsidised: bool = True


@dataclass
class Totals:
    meals: int = 0
    price_cents: int = 0
    subsidy_cents: int = 0
    copay_cents: int = 0

    def add(self, line: Line) -> None:
        self.meals += 1
        self.price_cents += line.price_cents
        self.subsidy_cents += line.subsidy_cents
        self.copay_cents += line.copay_cents


@dataclass
class Statement:
    site: MealSite
    month: date
    record: StatementMonth | None
    lines: list[Line]
    total: Totals = field(default_factory=Totals)
    by_band: dict[str, Totals] = field(default_factory=dict)
    by_senior: dict[int, Totals] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    visitation: dict[str, Any] | None = None  # the month's welfare visits and calls (visitation.month)

    @property
    def visitation_rate(self) -> float | None:
        return visitation_month.rate(self.visitation)

    @property
    def is_closed(self) -> bool:
        return self.record is not None and self.record.is_closed


def parse_month(raw: str | None, *, default: date) -> date:
    """``YYYY-MM`` to the first day of that month (the one month rule); raises ``FieldError`` naming ``month``."""
    return validation.parse_month(raw, "month", default=subsidies.month_start(default))


# Proofs of service ----------------------------------------------------------------

def proofs(site_id: int, first: date, last: date, *, senior_id: int | None = None) -> list[Proof]:
    """Every delivered meal stop and dine-in record of the site between the two days (inclusive)."""
    delivered = (
        sa.select(sa.func.min(Stop.id), MealOrder.senior_id, MealOrder.service_date, MealOrder.meal, MealOrder.mode)
        .join(MealOrder, Stop.meal_order_id == MealOrder.id)
        .where(Stop.kind == StopKind.MEAL, Stop.outcome == StopOutcome.DELIVERED, MealOrder.site_id == site_id,
               MealOrder.service_date.between(first, last))
        .group_by(MealOrder.id, MealOrder.senior_id, MealOrder.service_date, MealOrder.meal, MealOrder.mode)
    )
    dined = sa.select(DineInMeal.id, DineInMeal.senior_id, DineInMeal.service_date, DineInMeal.meal,
                      DineInMeal.seq).where(DineInMeal.site_id == site_id,
                                            DineInMeal.service_date.between(first, last))
    if senior_id is not None:
        delivered = delivered.where(MealOrder.senior_id == senior_id)
        dined = dined.where(DineInMeal.senior_id == senior_id)
    out = [Proof(s, d, m, MealMode.DELIVERY, ProofKind.DELIVERY, stop_id)
           for stop_id, s, d, m, _mode in db.session.execute(delivered)]
    # An extra meal staff let through is served, and billed, but not subsidised.
    out += [Proof(s, d, m, MealMode.DINE_IN, ProofKind.DINE_IN, i, subsidised=seq == 1)
            for i, s, d, m, seq in db.session.execute(dined)]
    return out


def compute_lines(site: MealSite, month: date, *, senior_id: int | None = None,
                  until: date | None = None) -> list[Line]:
    """Price every proof of the month (or up to ``until``) under the rules in force on its day."""
    first, last = month, subsidies.month_end(month)
    if until is not None:
        last = min(last, until)
    found = proofs(site.id, first, last, senior_id=senior_id)
    if not found:
        return []
    seniors = {s.id: s for s in db.session.scalars(
        sa.select(Senior).where(Senior.id.in_({p.senior_id for p in found})).options(selectinload(Senior.categories)))}
    rules = subsidies.rules_in_force(site.id, first, last)
    found.sort(key=lambda p: (p.senior_id, p.service_date, MEAL_ORDER.get(p.meal, 9), p.kind.value, p.proof_id))
    so_far: dict[int, int] = defaultdict(int)
    lines = []
    for p in found:
        senior = seniors[p.senior_id]
        priced = subsidies.quote(senior, site.id, p.service_date, delivered=p.mode == MealMode.DELIVERY,
                                 subsidy_so_far_cents=so_far[p.senior_id], subsidised=p.subsidised, rules=rules)
        so_far[p.senior_id] += priced.subsidy_cents
        lines.append(Line(
            senior_id=p.senior_id, senior_name=senior.full_name, service_date=p.service_date, meal=p.meal,
            mode=p.mode, proof_kind=p.kind, proof_id=p.proof_id, rule_id=priced.rule_id, band=priced.band,
            price_cents=priced.price_cents, subsidy_cents=priced.subsidy_cents, copay_cents=priced.copay_cents,
        ))
    return lines


def subsidy_so_far(senior: Senior, site: MealSite, day: date) -> int:
    """Subsidy the senior already received at the site this month, up to and including ``day``."""
    month = subsidies.month_start(day)
    record = _record(site.id, month)
    if record is not None and record.is_closed:
        return sum(line.subsidy_cents for line in record.lines if line.senior_id == senior.id)
    return sum(line.subsidy_cents for line in compute_lines(site, month, senior_id=senior.id, until=day))


# Reading a statement ------------------------------------------------------------

def _record(site_id: int, month: date) -> StatementMonth | None:
    return db.session.scalar(sa.select(StatementMonth).where(StatementMonth.site_id == site_id,
                                                             StatementMonth.month == month))


def _frozen(record: StatementMonth, senior_id: int | None) -> list[Line]:
    return [Line(senior_id=r.senior_id, senior_name=r.senior_name, service_date=r.service_date, meal=r.meal,
                 mode=r.mode, proof_kind=r.proof_kind, proof_id=r.proof_id, rule_id=r.rule_id, band=r.band,
                 price_cents=r.price_cents, subsidy_cents=r.subsidy_cents, copay_cents=r.copay_cents)
            for r in record.lines if senior_id is None or r.senior_id == senior_id]


def statement(site: MealSite, month: date, *, senior_id: int | None = None) -> Statement:
    """The site's statement for ``month`` (one senior's lines with ``senior_id``): frozen if closed, else live."""
    month = subsidies.month_start(month)
    record = _record(site.id, month)
    if record is not None and record.is_closed:
        lines = _frozen(record, senior_id)
    else:
        lines = compute_lines(site, month, senior_id=senior_id)
    frozen = record is not None and record.is_closed
    visits = (record.visitation if frozen else visitation_month.month_counts(site, month)) if senior_id is None else None
    result = Statement(site=site, month=month, record=record, lines=lines, visitation=visits)
    for line in lines:
        result.total.add(line)
        result.by_band.setdefault(line.band, Totals()).add(line)
        result.by_senior.setdefault(line.senior_id, Totals()).add(line)
        result.names.setdefault(line.senior_id, line.senior_name)
    return result


# Closing and re-opening -----------------------------------------------------------

def close_month(site: MealSite, month: date, *, by, today: date) -> StatementMonth:
    """Freeze the month's lines and totals; refused before the month has ended. One unit, audited."""
    month = subsidies.month_start(month)
    if subsidies.month_end(month) >= today:
        raise FieldError("month", _l("A month can be closed only after its last day."))
    record = _record(site.id, month)
    if record is None:
        record = StatementMonth(site_id=site.id, month=month)
        db.session.add(record)
    elif record.is_closed:
        raise StaleRecord(str(_l("This month is already closed.")))
    lines = compute_lines(site, month)
    record.lines = [StatementLine(
        senior_id=ln.senior_id, senior_name=ln.senior_name[:120], service_date=ln.service_date, meal=ln.meal,
        mode=ln.mode, proof_kind=ln.proof_kind, proof_id=ln.proof_id, rule_id=ln.rule_id, band=ln.band[:80],
        price_cents=ln.price_cents, subsidy_cents=ln.subsidy_cents, copay_cents=ln.copay_cents) for ln in lines]
    record.total_price_cents = sum(ln.price_cents for ln in lines)
    record.total_subsidy_cents = sum(ln.subsidy_cents for ln in lines)
    record.total_copay_cents = sum(ln.copay_cents for ln in lines)
    record.visitation = visitation_month.month_counts(site, month)
    record.status, record.closed_dt, record.closed_by_id = StatementStatus.CLOSED, clock.now(), getattr(by, "id", None)
    try:
        db.session.flush()
    except IntegrityError:
        transaction.doom()
        raise StaleRecord(str(_l("Someone else closed this month meanwhile."))) from None
    audit.record("statement.close", user=by, entity_type="statement_month", entity_id=record.id,
                 detail={"site_id": site.id, "month": month.isoformat(), "lines": len(lines),
                         "total_subsidy_cents": record.total_subsidy_cents})
    db.session.flush()
    return record


class NotAllowed(PermissionError):
    """Only an administrator may re-open a closed month."""


def reopen_month(site: MealSite, month: date, *, reason: str, by) -> StatementMonth:
    """Unfreeze a closed month (administrators only), keeping the reason in the audit trail."""
    if not is_admin(by):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", _l("Say why the month is re-opened."))
    if len(reason) > 500:
        raise FieldError("reason", _l("Keep the reason under 500 characters."))
    record = _record(site.id, subsidies.month_start(month))
    if record is None or not record.is_closed:
        raise StaleRecord(str(_l("This month is not closed.")))
    lines = len(record.lines)
    frozen_totals = {"frozen_price_cents": record.total_price_cents,
                     "frozen_subsidy_cents": record.total_subsidy_cents,
                     "frozen_copay_cents": record.total_copay_cents}
    record.lines = []
    record.status, record.closed_dt, record.closed_by_id = StatementStatus.OPEN, None, None
    record.total_price_cents = record.total_subsidy_cents = record.total_copay_cents = 0
    audit.record("statement.reopen", user=by, entity_type="statement_month", entity_id=record.id,
                 detail={"site_id": site.id, "month": record.month.isoformat(), "reason": reason,
                         "frozen_lines": lines, **frozen_totals})
    db.session.flush()
    return record


def record_export(st: Statement, kind: str, *, by, senior_id: int | None = None) -> None:
    """Statements name seniors: note who downloaded which (one unit)."""
    audit.record(f"statement.export_{kind}", user=by, entity_type="meal_site", entity_id=st.site.id,
                 senior_id=senior_id, detail={"month": st.month.isoformat(), "lines": len(st.lines)})
    db.session.flush()
