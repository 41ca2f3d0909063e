"""Subsidy rules: what a meal costs and how much of it the government pays.

Rules are matched by site, senior category, age and date; the highest
``precedence`` wins when several match. Money is integer cents (fen), never
floats, so monthly statements add up exactly.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.extensions import db
from dispatch.models.senior import SeniorCategoryType
from dispatch.models.types import enum_type


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
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

    def subsidy_for(self, *, delivered: bool) -> int:
        """Cents of subsidy for one meal, capped, and never more than its price."""
        cents = self.subsidy_cents + (self.delivery_subsidy_cents if delivered else 0)
        if self.cap_per_meal_cents is not None:
            cents = min(cents, self.cap_per_meal_cents)
        return min(cents, self.meal_price_cents)
