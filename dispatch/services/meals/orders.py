"""Each day's meal orders, made from standing enrollments minus holds.

Generating is idempotent: an order is keyed by (senior, day, meal), so running
it twice changes nothing, and running it after a hold was added cancels the
held senior's still-open order instead of leaving a meal nobody will eat.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealHold, MealMode, MealOrder, MealOrderStatus
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite, MealType
from dispatch.platform import audit


@dataclass(frozen=True)
class GenerateResult:
    created: int
    cancelled: int
    reopened: int
    unchanged: int


@dataclass
class DayCounts:
    """What the Today page shows for a site and date, per meal."""

    delivery: dict[MealType, int] = field(default_factory=dict)
    dine_in: dict[MealType, int] = field(default_factory=dict)
    held_seniors: int = 0
    generated: bool = False

    def total(self, meal: MealType) -> int:
        return self.delivery.get(meal, 0) + self.dine_in.get(meal, 0)


def _held_senior_ids(senior_ids: set[int], day: date) -> set[int]:
    if not senior_ids:
        return set()
    return set(db.session.scalars(
        sa.select(MealHold.senior_id).where(
            MealHold.senior_id.in_(senior_ids), MealHold.start_date <= day, MealHold.end_date >= day)
    ))


def wanted_orders(site: MealSite, day: date) -> dict[tuple[int, MealType], MealEnrollment]:
    """(senior, meal) -> the enrollment asking for it on ``day``, holds and inactive seniors left out."""
    enrollments = db.session.scalars(
        sa.select(MealEnrollment).join(Senior, MealEnrollment.senior_id == Senior.id).where(
            MealEnrollment.site_id == site.id, MealEnrollment.is_active.is_(True),
            MealEnrollment.start_date <= day,
            sa.or_(MealEnrollment.end_date.is_(None), MealEnrollment.end_date >= day),
            Senior.is_active.is_(True),
        ).order_by(MealEnrollment.id)
    ).all()
    applying = [e for e in enrollments if e.applies_on(day)]
    held = _held_senior_ids({e.senior_id for e in applying}, day)
    wanted: dict[tuple[int, MealType], MealEnrollment] = {}
    for e in applying:
        if e.senior_id not in held:
            wanted.setdefault((e.senior_id, e.meal), e)  # overlapping enrollments still make one meal
    return wanted


def generate_orders(site: MealSite, day: date, *, by=None) -> GenerateResult:
    """Make ``day``'s orders for ``site`` match its enrollments and holds; safe to run again."""
    wanted = wanted_orders(site, day)
    existing = {
        (o.senior_id, o.meal): o
        for o in db.session.scalars(sa.select(MealOrder).where(
            MealOrder.site_id == site.id, MealOrder.service_date == day))
    }
    created = cancelled = reopened = unchanged = 0
    for key, enrollment in wanted.items():
        order = existing.get(key)
        if order is None:
            # The unique key (senior, day, meal) spans sites: another site may already feed this senior.
            clash = db.session.scalar(sa.select(MealOrder.id).where(
                MealOrder.senior_id == key[0], MealOrder.service_date == day, MealOrder.meal == key[1]))
            if clash is not None:
                unchanged += 1
                continue
            db.session.add(MealOrder(senior_id=key[0], site_id=site.id, service_date=day, meal=key[1],
                                     mode=enrollment.mode, diet=enrollment.senior.diet))
            created += 1
        elif order.status == MealOrderStatus.CANCELLED:
            order.status, order.mode = MealOrderStatus.ORDERED, enrollment.mode
            reopened += 1
        else:
            if order.status == MealOrderStatus.ORDERED and order.mode != enrollment.mode:
                order.mode = enrollment.mode
            unchanged += 1
    for key, order in existing.items():
        if key not in wanted and order.status == MealOrderStatus.ORDERED:
            order.status = MealOrderStatus.CANCELLED  # on hold now, or the enrollment ended
            cancelled += 1
    result = GenerateResult(created, cancelled, reopened, unchanged)
    audit.record("meal_orders.generate", user=by, entity_type="meal_site", entity_id=site.id,
                 detail={"date": day.isoformat(), **result.__dict__})
    db.session.flush()
    return result


def open_orders(site: MealSite, day: date, meal: MealType, *, mode: MealMode | None = MealMode.DELIVERY
                ) -> list[MealOrder]:
    """The orders still to be served for one meal (delivered ones by default), in a stable order."""
    query = sa.select(MealOrder).where(
        MealOrder.site_id == site.id, MealOrder.service_date == day, MealOrder.meal == meal,
        MealOrder.status == MealOrderStatus.ORDERED)
    if mode is not None:
        query = query.where(MealOrder.mode == mode)
    return list(db.session.scalars(query.order_by(MealOrder.id)))


def day_counts(site: MealSite, day: date) -> DayCounts:
    counts = DayCounts()
    rows = db.session.execute(
        sa.select(MealOrder.meal, MealOrder.mode, sa.func.count()).where(
            MealOrder.site_id == site.id, MealOrder.service_date == day,
            MealOrder.status != MealOrderStatus.CANCELLED,
        ).group_by(MealOrder.meal, MealOrder.mode)
    ).all()
    for meal, mode, n in rows:
        target = counts.delivery if mode == MealMode.DELIVERY else counts.dine_in
        target[MealType(meal)] = n
        counts.generated = True
    enrolled = set(db.session.scalars(sa.select(MealEnrollment.senior_id).where(
        MealEnrollment.site_id == site.id, MealEnrollment.is_active.is_(True))))
    counts.held_seniors = len(_held_senior_ids(enrolled, day))
    return counts
