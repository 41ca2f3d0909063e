"""Monthly subsidy statements: live while the month is open, frozen rows once it is closed.

While a month is open its statement is computed from the proofs of service
(delivered stops, dine-in meals) and the rules in force. Closing it copies every
line into ``statement_line``; from then on the statement is read from those rows
only, so a later rule change, outcome or dine-in record cannot alter it. Only an
administrator can re-open a month, with a reason kept in the audit trail.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.meals import MealMode
from dispatch.models.site import MealSite, MealType
from dispatch.models.types import UTCDateTime, enum_type, utcnow


class StatementStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ProofKind(enum.StrEnum):
    """What proves the meal was served: a delivered stop or a counter record."""

    DELIVERY = "delivery"
    DINE_IN = "dine_in"


class StatementMonth(db.Model):
    """A site's month: open (computed live) or closed (lines frozen)."""

    __tablename__ = "statement_month"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "month", name="uq_statement_month_site_id_month"),
        sa.CheckConstraint("status <> 'closed' OR closed_dt IS NOT NULL", name="closed_has_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"))
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month
    status: Mapped[StatementStatus] = mapped_column(
        enum_type(StatementStatus, "status"), default=StatementStatus.OPEN,
        server_default=StatementStatus.OPEN.value,
    )
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    total_price_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    total_subsidy_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    total_copay_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    # The month's welfare visits and calls (``services.visitation.month``), frozen when the month closes.
    visitation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    site: Mapped[MealSite] = relationship()
    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(StatementLine.senior_id, StatementLine.service_date, StatementLine.id)",
    )

    @property
    def is_closed(self) -> bool:
        return self.status == StatementStatus.CLOSED


class StatementLine(db.Model):
    """One billed meal of a closed month, as it was priced when the month closed."""

    __tablename__ = "statement_line"
    __table_args__ = (
        sa.UniqueConstraint("statement_id", "proof_kind", "proof_id", name="uq_statement_line_proof"),
        sa.CheckConstraint("subsidy_cents + copay_cents = price_cents", name="subsidy_plus_copay_is_price"),
        sa.CheckConstraint("subsidy_cents >= 0 AND copay_cents >= 0", name="money_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statement_month.id", ondelete="CASCADE"), index=True)
    # Plain integers: the frozen statement must outlive edits elsewhere.
    senior_id: Mapped[int] = mapped_column(index=True)
    senior_name: Mapped[str] = mapped_column(sa.String(120))
    service_date: Mapped[date] = mapped_column(sa.Date)
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    mode: Mapped[MealMode] = mapped_column(enum_type(MealMode, "mode"))
    proof_kind: Mapped[ProofKind] = mapped_column(enum_type(ProofKind, "proof_kind"))
    proof_id: Mapped[int] = mapped_column()  # stop.id or dine_in_meal.id
    rule_id: Mapped[int | None] = mapped_column()
    band: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    price_cents: Mapped[int] = mapped_column()
    subsidy_cents: Mapped[int] = mapped_column()
    copay_cents: Mapped[int] = mapped_column()

    statement: Mapped[StatementMonth] = relationship(back_populates="lines")
