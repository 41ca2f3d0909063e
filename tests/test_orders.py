"""Meal orders from enrollments and holds: idempotent, holds and ended enrollments left out."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealHold, MealMode, MealOrder, MealOrderStatus
from dispatch.models.site import MealType
from dispatch.services.meals import orders
from tests.factories import create_senior
from tests.planning_helpers import DAY, small_site


def _orders(site):
    return db.session.scalars(sa.select(MealOrder).where(MealOrder.site_id == site.id)
                              .order_by(MealOrder.id)).all()


def test_generating_twice_makes_the_same_rows(app):
    s = small_site(seniors=4)
    first = orders.generate_orders(s.site, DAY)
    rows = [(o.id, o.senior_id, o.status) for o in _orders(s.site)]
    second = orders.generate_orders(s.site, DAY)
    assert first.created == 4 and second.created == 0 and second.unchanged == 4
    assert [(o.id, o.senior_id, o.status) for o in _orders(s.site)] == rows


def test_held_senior_gets_no_order_and_a_new_hold_cancels_the_open_one(app):
    s = small_site(seniors=3)
    db.session.add(MealHold(senior_id=s.seniors[0].id, start_date=DAY - timedelta(days=1), end_date=DAY))
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    assert {o.senior_id for o in _orders(s.site)} == {s.seniors[1].id, s.seniors[2].id}
    db.session.add(MealHold(senior_id=s.seniors[1].id, start_date=DAY, end_date=DAY + timedelta(days=3)))
    db.session.commit()
    result = orders.generate_orders(s.site, DAY)
    assert result.cancelled == 1
    statuses = {o.senior_id: o.status for o in _orders(s.site)}
    assert statuses[s.seniors[1].id] == MealOrderStatus.CANCELLED
    assert orders.day_counts(s.site, DAY).delivery[MealType.LUNCH] == 1
    assert orders.day_counts(s.site, DAY).held_seniors == 2


def test_weekday_mask_inactive_and_ended_enrollments_are_respected(app):
    s = small_site(seniors=0)
    tuesday_only = create_senior(s.site)
    ended = create_senior(s.site)
    inactive = create_senior(s.site)
    dine_in = create_senior(s.site)
    db.session.add_all([
        MealEnrollment(senior_id=tuesday_only.id, site_id=s.site.id, meal=MealType.LUNCH, weekdays=0b10,
                       start_date=date(2030, 1, 1)),
        MealEnrollment(senior_id=ended.id, site_id=s.site.id, meal=MealType.LUNCH, start_date=date(2030, 1, 1),
                       end_date=DAY - timedelta(days=1)),
        MealEnrollment(senior_id=inactive.id, site_id=s.site.id, meal=MealType.LUNCH, start_date=date(2030, 1, 1),
                       is_active=False),
        MealEnrollment(senior_id=dine_in.id, site_id=s.site.id, meal=MealType.LUNCH, mode=MealMode.DINE_IN,
                       start_date=date(2030, 1, 1)),
    ])
    db.session.commit()
    orders.generate_orders(s.site, DAY)  # a Monday
    assert [o.senior_id for o in _orders(s.site)] == [dine_in.id]
    assert orders.open_orders(s.site, DAY, MealType.LUNCH) == []  # dine-in is not routed
    orders.generate_orders(s.site, DAY + timedelta(days=1))
    assert tuesday_only.id in {o.senior_id for o in _orders(s.site)}
