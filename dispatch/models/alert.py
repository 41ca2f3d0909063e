"""Welfare alerts: a senior may be at risk, and someone must follow up and say how.

Raised from a stop's outcome (not home and lives alone, no answer) or from a
pattern (missed meals); acknowledged and resolved by staff, with each call or
visit recorded as an ``AlertAction`` so the trail survives shift changes.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.plan import Stop
    from dispatch.models.senior import Senior


class AlertKind(enum.StrEnum):
    NOT_HOME_LIVES_ALONE = "not_home_lives_alone"
    NO_ANSWER = "no_answer"
    CONCERN = "concern"
    MISSED_MEALS = "missed_meals"
    OVERDUE_STOP = "overdue_stop"
    VISIT_OVERDUE = "visit_overdue"  # a due welfare visit or call passed its latest date
    VISIT_EMERGENCY = "visit_emergency"  # a visitor marked a checklist item as an emergency


class AlertSeverity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertActionKind(enum.StrEnum):
    CALLED_SENIOR = "called_senior"
    CALLED_CONTACT = "called_contact"
    CALLED_SUPERVISOR = "called_supervisor"
    CALLED_EMERGENCY_SERVICES = "called_emergency_services"
    VISITED = "visited"
    NOTE = "note"


class WelfareAlert(db.Model):
    """A senior who may be at risk, open until staff resolve it with a note."""

    __tablename__ = "welfare_alert"
    __table_args__ = (
        sa.CheckConstraint("status = 'open' OR acknowledged_dt IS NOT NULL", name="acknowledged_has_dt"),
        sa.CheckConstraint("status <> 'resolved' OR resolved_dt IS NOT NULL", name="resolved_has_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="RESTRICT"), index=True)
    # The board is per site: the stop's plan site, else the senior's home site.
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"), index=True)
    stop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stop.id", ondelete="SET NULL"), index=True)
    kind: Mapped[AlertKind] = mapped_column(enum_type(AlertKind, "kind"))
    severity: Mapped[AlertSeverity] = mapped_column(enum_type(AlertSeverity, "severity"))
    status: Mapped[AlertStatus] = mapped_column(
        enum_type(AlertStatus, "status"), default=AlertStatus.OPEN, server_default=AlertStatus.OPEN.value,
        index=True,
    )
    raised_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    resolved_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    senior: Mapped[Senior] = relationship()
    stop: Mapped[Stop | None] = relationship()
    actions: Mapped[list[AlertAction]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", passive_deletes=True, order_by="AlertAction.dt"
    )

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.RESOLVED

    @property
    def answering_site_id(self) -> int | None:
        """The site whose staff answer for this alert: the stop's site, else the senior's home site."""
        return self.site_id if self.site_id is not None else self.senior.home_site_id

    def __repr__(self) -> str:
        return f"<WelfareAlert {self.id} {self.kind} {self.severity} {self.status}>"


class AlertAction(db.Model):
    """One follow-up step on an alert: a call, a visit or a note."""

    __tablename__ = "alert_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("welfare_alert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AlertActionKind] = mapped_column(enum_type(AlertActionKind, "kind"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[WelfareAlert] = relationship(back_populates="actions")
