"""The notification outbox and each person's channel preferences.

A service that changes something a family should hear about adds
``Notification`` rows in the *same* transaction as the change; a rolled-back
change therefore never leaves a message behind. Rows are sent only after the
commit (``services.notifications.deliver_pending``), retried with their
attempts counted, and a row that keeps failing is marked ``failed``, never
deleted, so nothing is lost silently.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow
from dispatch.models.user import User


class NotificationEvent(enum.StrEnum):
    """What happened. Family events go to a senior's linked family; ``staff_*`` to a site's staff."""

    REQUEST_APPROVED = "request_approved"
    REQUEST_DECLINED = "request_declined"
    REQUEST_CANCELLED = "request_cancelled"
    REQUEST_RESCHEDULED = "request_rescheduled"
    VISIT_SCHEDULED = "visit_scheduled"
    ON_THE_WAY = "on_the_way"
    VISIT_COMPLETED = "visit_completed"
    MEAL_DELIVERED = "meal_delivered"
    NOT_HOME = "not_home"
    WELFARE_ALERT = "welfare_alert"
    STAFF_URGENT_REQUEST = "staff_urgent_request"
    STAFF_ENROLLMENT_REQUEST = "staff_enrollment_request"
    SHIFT_OFFER = "shift_offer"  # to a worker: a place freed by a late cancellation
    SHIFT_REMINDER = "shift_reminder"  # to a worker: their volunteer shift is soon
    DISTRICT_VISIT_OVERDUE = "district_visit_overdue"  # to the district's administrators: a welfare visit long overdue


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(db.Model):
    """One message to one person on one channel, waiting to be sent or already sent.

    ``address`` is copied when the row is made, so a later change of e-mail
    address does not redirect a message about an earlier event.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        sa.Index("ix_notification_status_next_attempt_dt", "status", "next_attempt_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[NotificationEvent] = mapped_column(enum_type(NotificationEvent, "event"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    senior_id: Mapped[int | None] = mapped_column(sa.ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    address: Mapped[str] = mapped_column(sa.String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_type(NotificationStatus, "status"),
        default=NotificationStatus.PENDING, server_default=NotificationStatus.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.event} {self.channel} {self.status}>"


class NotificationPreference(db.Model):
    """Which channels one person wants, with the addresses to use.

    A person without a row gets e-mail at their account address, which is
    what a family member who never opened the settings expects.
    """

    __tablename__ = "notification_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    email_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    sms_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    wechat_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    email: Mapped[str | None] = mapped_column(sa.String(255))  # None: the account's e-mail
    phone: Mapped[str | None] = mapped_column(sa.String(32))  # None: the account's phone
    wechat_id: Mapped[str | None] = mapped_column(sa.String(64))
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
