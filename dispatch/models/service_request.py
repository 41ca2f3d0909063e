"""Home-service requests (bathing, cleaning, companionship...) and their lifecycle.

A request is asked for by staff or family, approved by staff, then scheduled
onto a route as a visit stop. ``TRANSITIONS`` is the one place that says which
status may follow which, so services and views agree.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow
from dispatch.models.worker import Skill

if TYPE_CHECKING:
    from dispatch.models.senior import Senior
    from dispatch.models.site import MealSite
    from dispatch.models.user import User


class ServiceType(enum.StrEnum):
    BATHING = "bathing"
    CLEANING = "cleaning"
    WALKING_ASSISTANCE = "walking_assistance"
    MEDICAL_ASSISTANCE = "medical_assistance"
    EMERGENCY_ASSISTANCE = "emergency_assistance"
    COMPANIONSHIP = "companionship"
    HOME_VISITATION = "home_visitation"  # a welfare visit the visitation programme made due


class Recurrence(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    EN_ROUTE = "en_route"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    MISSED = "missed"


_S = RequestStatus
# Which status may follow which. Scheduled may fall back to approved when a
# plan is discarded; terminal statuses lead nowhere.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    _S.REQUESTED: frozenset({_S.APPROVED, _S.DECLINED, _S.CANCELLED}),
    _S.APPROVED: frozenset({_S.SCHEDULED, _S.CANCELLED}),
    _S.SCHEDULED: frozenset({_S.EN_ROUTE, _S.APPROVED, _S.CANCELLED, _S.MISSED}),
    _S.EN_ROUTE: frozenset({_S.IN_PROGRESS, _S.CANCELLED, _S.MISSED}),
    _S.IN_PROGRESS: frozenset({_S.COMPLETED, _S.MISSED}),
    _S.COMPLETED: frozenset(),
    _S.DECLINED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.MISSED: frozenset(),
}
TERMINAL_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
# Moving to one of these must say why (shown to the family).
STATUSES_NEEDING_REASON = frozenset({_S.DECLINED, _S.CANCELLED, _S.MISSED})


class ServiceRequest(db.Model):
    """A home service asked for one senior on one day, within a time window (site-local)."""

    __tablename__ = "service_request"
    __table_args__ = (
        sa.CheckConstraint("window_end > window_start", name="window_end_after_start"),
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 480", name="duration_range"),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        sa.Index("ix_service_request_site_id_requested_date_status", "site_id", "requested_date", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"))
    service_type: Mapped[ServiceType] = mapped_column(enum_type(ServiceType, "service_type"))
    requested_date: Mapped[date] = mapped_column(sa.Date)
    window_start: Mapped[time] = mapped_column(sa.Time)
    window_end: Mapped[time] = mapped_column(sa.Time)
    duration_minutes: Mapped[int] = mapped_column()
    required_skill: Mapped[Skill | None] = mapped_column(enum_type(Skill, "required_skill"))
    priority: Mapped[int] = mapped_column(default=3, server_default="3")  # 1 = most urgent
    recurrence: Mapped[Recurrence] = mapped_column(
        enum_type(Recurrence, "recurrence"), default=Recurrence.NONE, server_default=Recurrence.NONE.value
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "status"), default=RequestStatus.REQUESTED, server_default=RequestStatus.REQUESTED.value
    )
    status_reason: Mapped[str | None] = mapped_column(sa.String(255))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    senior: Mapped[Senior] = relationship()
    site: Mapped[MealSite] = relationship()
    requested_by: Mapped[User | None] = relationship()

    def can_move_to(self, status: RequestStatus) -> bool:
        """Whether the lifecycle allows going from the current status to ``status``."""
        return RequestStatus(status) in TRANSITIONS[self.status]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.id} {self.service_type} {self.status}>"
