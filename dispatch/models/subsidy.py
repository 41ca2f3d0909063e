"""Subsidy rules: what a meal costs and how much of it the government pays.

Rules are matched by site, senior category, age and date; the highest
``precedence`` wins when several match (then a site's own rule over a
district-wide one, then the larger subsidy). Money is integer cents (fen),
never floats, so monthly statements add up exactly. A rule is never edited in
place once used: a new version starts on a later ``valid_from`` and the old one
ends the day before (``services.subsidies.supersede_rule``).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.extensions import db
from dispatch.models.senior import SeniorCategoryType
from dispatch.models.types import UTCDateTime, enum_type, utcnow


class SubsidyRule(db.Model):
    """Price and subsidy for meals matching a site/category/age/period (nulls match all)."""

    __tablename__ = "subsidy_rule"
    __table_args__ = (
        sa.CheckConstraint(
            "meal_price_cents >= 0 AND subsidy_cents >= 0 AND delivery_subsidy_cents >= 0"
            " AND (cap_per_meal_cents IS NULL OR cap_per_meal_cents >= 0)",
            name="money_nonneg",
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_to_not_before_from"),
        sa.CheckConstraint("min_age IS NULL OR max_age IS NULL OR max_age >= min_age", name="age_range"),
        sa.CheckConstraint(
            "delivery_fee_cents >= 0 AND (cap_per_month_cents IS NULL OR cap_per_month_cents >= 0)",
            name="fee_and_month_cap_nonneg",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What statements call the band, e.g. "Aged 75-84" or "Low income".
    name: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"), index=True)
    category: Mapped[SeniorCategoryType | None] = mapped_column(enum_type(SeniorCategoryType, "category"))
    min_age: Mapped[int | None] = mapped_column()
    max_age: Mapped[int | None] = mapped_column()
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    meal_price_cents: Mapped[int] = mapped_column()
    subsidy_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    delivery_subsidy_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    cap_per_meal_cents: Mapped[int | None] = mapped_column()
    # What a home delivery adds to the price (the delivery subsidy pays some or all of it).
    delivery_fee_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    # Most subsidy one senior may receive in a calendar month at the site; None: no cap.
    cap_per_month_cents: Mapped[int | None] = mapped_column()
    created_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    precedence: Mapped[int] = mapped_column(default=0, server_default="0")

    def applies(self, *, site_id: int, categories: set[SeniorCategoryType], age: int, day: date) -> bool:
        """Whether this rule matches a meal for a senior of these categories and age on ``day``."""
        return (
            (self.site_id is None or self.site_id == site_id)
            and (self.category is None or self.category in categories)
            and (self.min_age is None or age >= self.min_age)
            and (self.max_age is None or age <= self.max_age)
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )

    @property
    def label(self) -> str:
        return self.name or f"#{self.id}"

    def price_for(self, *, delivered: bool) -> int:
        """Cents one meal costs: the meal, plus the delivery fee when brought home."""
        return self.meal_price_cents + (self.delivery_fee_cents if delivered else 0)

    def subsidy_for(self, *, delivered: bool) -> int:
        """Cents of subsidy for one meal, before any monthly cap.

        The per-meal cap limits the meal's subsidy; a home delivery adds the
        delivery subsidy on top (Shenzhen: at most 15 yuan a meal, plus 2 yuan
        per delivery). Never more than the price, so the co-pay is never negative.
        """
        cents = self.subsidy_cents
        if self.cap_per_meal_cents is not None:
            cents = min(cents, self.cap_per_meal_cents)
        if delivered:
            cents += self.delivery_subsidy_cents
        return min(cents, self.price_for(delivered=delivered))


class SubsidyBudget(db.Model):
    """The subsidy money a site may spend in one month, drawn on the dashboard against actual spend."""

    __tablename__ = "subsidy_budget"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "month", name="uq_subsidy_budget_site_id_month"),
        sa.CheckConstraint("amount_cents >= 0", name="amount_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month
    amount_cents: Mapped[int] = mapped_column()
