"""What families submit besides service requests: the double-tap guard and meal-enrolment asks.

``RequestSubmission`` remembers each form's client-generated idempotency key,
so a second tap on *Send* finds the first request instead of making another.
``EnrollmentRequest`` is a family asking for meal delivery: enrolment needs
staff decisions (site, meal, diet, subsidy) that a family cannot make, so the
ask is recorded for the site's staff, who are notified, and enrol by hand.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.meals import ALL_WEEKDAYS
from dispatch.models.senior import Senior
from dispatch.models.site import MealType
from dispatch.models.types import UTCDateTime, enum_type, utcnow


class EnrollmentRequestStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class EnrollmentRequest(db.Model):
    """A family's ask for meal delivery, for staff to act on."""

    __tablename__ = "enrollment_request"
    __table_args__ = (sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"), index=True)
    meal: Mapped[MealType] = mapped_column(enum_type(MealType, "meal"))
    weekdays: Mapped[int] = mapped_column(default=ALL_WEEKDAYS)
    start_date: Mapped[date] = mapped_column(sa.Date)
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[EnrollmentRequestStatus] = mapped_column(
        enum_type(EnrollmentRequestStatus, "status"),
        default=EnrollmentRequestStatus.OPEN, server_default=EnrollmentRequestStatus.OPEN.value,
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    senior: Mapped[Senior] = relationship()


class RequestSubmission(db.Model):
    """One submitted family form, keyed by the idempotency key the form carried."""

    __tablename__ = "request_submission"
    __table_args__ = (sa.UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    service_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_request.id", ondelete="CASCADE"))
    enrollment_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enrollment_request.id", ondelete="CASCADE"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
