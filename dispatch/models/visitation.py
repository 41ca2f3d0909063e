"""Home visitation (探访关爱): who is contacted how often, what is due, what visitors found, what follows.

A senior's **tier** (1 high risk, 2 key, 3 general) comes from what Doorstep knows, unless staff set it
with a reason. The **rules** table says per tier, for the district or one site, how many days may pass
between in-person visits and between calls, and which kind of contact a meal drop with a face-to-face
check stands for. **Contacts** are every time someone saw or spoke to the senior; **due visits** are
made when an interval runs out (or within a day of an event such as a hospital discharge); a **visit
record** holds the visitor's checklist, and each concern in it opens a **follow-up** with an owner and a
deadline that closes only with an action and a note.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.plan import Stop
    from dispatch.models.senior import Senior
    from dispatch.models.service_request import ServiceRequest
    from dispatch.models.site import MealSite
    from dispatch.models.user import User

TIERS = (1, 2, 3)


class ContactKind(enum.StrEnum):
    HOME_VISIT = "home_visit"  # someone went in and looked (a visitation visit or another home service)
    CALL = "call"  # a phone or video call that reached the senior
    MEAL_CHECK = "meal_check"  # a meal drop where the worker saw the senior and they looked well


class MealCheckCounts(enum.StrEnum):
    """What a meal drop with a face-to-face check stands for under a tier's rule."""

    NOTHING = "nothing"
    CALL = "call"
    VISIT = "visit"


class DueKind(enum.StrEnum):
    HOME_VISIT = "home_visit"
    CALL = "call"


class DueReason(enum.StrEnum):
    INTERVAL = "interval"  # the tier's interval ran out
    EVENT = "event"  # a major event (hospital discharge, alert resolved "hospitalised"): within 24 hours
    STAFF = "staff"  # staff asked for one


class DueStatus(enum.StrEnum):
    OPEN = "open"  # to be done; overdue once its latest date has passed
    PLANNED = "planned"  # on a visits plan (its service request)
    DONE = "done"  # a contact of the right kind satisfied it
    CANCELLED = "cancelled"  # e.g. the senior left the programme; needs a reason


OPEN_DUE_STATUSES = (DueStatus.OPEN, DueStatus.PLANNED)


class CheckItem(enum.StrEnum):
    """The visitor's checklist, after the field's lists (health, economy, family, safety, needs)."""

    HEALTH_MOOD = "health_mood"
    FOOD = "food"
    MEDICINES = "medicines"
    FALLS = "falls"
    GAS_FIRE = "gas_fire"
    HEATING_COOLING = "heating_cooling"
    HYGIENE = "hygiene"
    ABUSE_NEGLECT = "abuse_neglect"
    FAMILY_SUPPORT = "family_support"
    NEEDS = "needs"


class CheckStatus(enum.StrEnum):
    FINE = "fine"
    CONCERN = "concern"
    EMERGENCY = "emergency"  # raises an urgent welfare alert at once


class FollowUpKind(enum.StrEnum):
    SERVICE_REQUEST = "service_request"  # e.g. cleaning, bathing, medical assistance
    FAMILY_REFERRAL = "family_referral"
    TIER_CHANGE = "tier_change"
    MEAL_ENROLLMENT = "meal_enrollment"
    URGENT_ALERT = "urgent_alert"
    OTHER = "other"


class FollowUpStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class VisitationRule(db.Model):
    """One tier's contact intervals, for all sites (``site_id`` NULL) or one site that differs."""

    __tablename__ = "visitation_rule"
    __table_args__ = (
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),
        sa.CheckConstraint("visit_days IS NULL OR visit_days > 0", name="visit_days_positive"),
        sa.CheckConstraint("call_days IS NULL OR call_days > 0", name="call_days_positive"),
        sa.CheckConstraint("visit_days IS NOT NULL OR call_days IS NOT NULL", name="some_contact"),
        # Site rows are unique per tier here; the district rows (site NULL) are the three the migration
        # seeds, which the app only ever updates.
        sa.UniqueConstraint("site_id", "tier", name="uq_visitation_rule_site_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column()
    visit_days: Mapped[int | None] = mapped_column()  # at most this many days between in-person visits
    call_days: Mapped[int | None] = mapped_column()  # at most this many days between contacts of any kind
    meal_check_counts: Mapped[MealCheckCounts] = mapped_column(
        enum_type(MealCheckCounts, "meal_check_counts"),
        default=MealCheckCounts.CALL, server_default=MealCheckCounts.CALL.value,
    )
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    site: Mapped[MealSite | None] = relationship()

    def __repr__(self) -> str:
        return f"<VisitationRule tier={self.tier} site={self.site_id} visit={self.visit_days} call={self.call_days}>"


class VisitationTierOverride(db.Model):
    """Staff's judgement of a senior's tier, with the reason; it wins over the computed tier."""

    __tablename__ = "visitation_tier_override"
    __table_args__ = (sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), unique=True)
    tier: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    set_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    senior: Mapped[Senior] = relationship()
    set_by: Mapped[User | None] = relationship()


class Contact(db.Model):
    """One time someone saw or spoke to a senior; the visitation clock restarts from these."""

    __tablename__ = "visitation_contact"
    __table_args__ = (sa.Index("ix_visitation_contact_senior_dt", "senior_id", "contact_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"), index=True)
    kind: Mapped[ContactKind] = mapped_column(enum_type(ContactKind, "kind"))
    # The server's clock when it was recorded (the proof of time).
    contact_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stop.id", ondelete="SET NULL"), index=True)
    # The due visit or call this contact satisfied, if any.
    due_visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("due_visit.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    senior: Mapped[Senior] = relationship()


class DueVisit(db.Model):
    """A visit or call that has to happen by ``latest_date``; overdue after it, and escalated."""

    __tablename__ = "due_visit"
    __table_args__ = (
        sa.CheckConstraint("latest_date >= due_date", name="latest_not_before_due"),
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),
        sa.CheckConstraint("escalation_level BETWEEN 0 AND 2", name="escalation_range"),
        sa.CheckConstraint("status <> 'cancelled' OR status_reason IS NOT NULL", name="cancelled_has_reason"),
        sa.Index("ix_due_visit_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"))
    kind: Mapped[DueKind] = mapped_column(enum_type(DueKind, "kind"))
    reason: Mapped[DueReason] = mapped_column(enum_type(DueReason, "reason"))
    reason_note: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    tier: Mapped[int] = mapped_column()  # the tier when it was made
    due_date: Mapped[date] = mapped_column(sa.Date)
    latest_date: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[DueStatus] = mapped_column(
        enum_type(DueStatus, "status"), default=DueStatus.OPEN, server_default=DueStatus.OPEN.value,
    )
    status_reason: Mapped[str | None] = mapped_column(sa.String(255))
    # The visits plan's handle on an in-person visit (a service request of type home_visitation).
    service_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_request.id", ondelete="SET NULL"), index=True
    )
    # 0 not escalated, 1 site staff told (a welfare alert), 2 the district told.
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    senior: Mapped[Senior] = relationship()
    site: Mapped[MealSite | None] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship()

    def is_overdue(self, today: date) -> bool:
        return self.status in OPEN_DUE_STATUSES and self.latest_date < today

    def __repr__(self) -> str:
        return f"<DueVisit {self.id} senior={self.senior_id} {self.kind} by {self.latest_date} {self.status}>"


class VisitRecord(db.Model):
    """What a visitor found: seen or not, the checklist item by item, and their own words."""

    __tablename__ = "visit_record"
    __table_args__ = (sa.UniqueConstraint("client_id", name="uq_visit_record_client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"), index=True)
    # One record per visit stop (a call from the call list has no stop).
    stop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stop.id", ondelete="SET NULL"), unique=True)
    due_visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("due_visit.id", ondelete="SET NULL"), index=True)
    contact_kind: Mapped[ContactKind] = mapped_column(enum_type(ContactKind, "contact_kind"))
    seen: Mapped[bool] = mapped_column()
    # {item: {"status": "fine" | "concern" | "emergency", "note": str, "confidential": bool}}
    items: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    client_id: Mapped[str] = mapped_column(sa.String(64))
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # what the first request got back

    senior: Mapped[Senior] = relationship()
    stop: Mapped[Stop | None] = relationship()
    by: Mapped[User | None] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="visit_record", order_by="FollowUp.id")


class FollowUp(db.Model):
    """A concern turned into work: an owner, a deadline, and a close that names what was done."""

    __tablename__ = "follow_up"
    __table_args__ = (
        sa.CheckConstraint(
            "status <> 'closed' OR (closed_dt IS NOT NULL AND action IS NOT NULL AND close_note IS NOT NULL)",
            name="closed_has_action_and_note",
        ),
        sa.Index("ix_follow_up_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="SET NULL"))
    visit_record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visit_record.id", ondelete="SET NULL"), index=True
    )
    item: Mapped[CheckItem | None] = mapped_column(enum_type(CheckItem, "item"))
    kind: Mapped[FollowUpKind] = mapped_column(enum_type(FollowUpKind, "kind"))
    finding: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    confidential: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    deadline: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_type(FollowUpStatus, "status"), default=FollowUpStatus.OPEN, server_default=FollowUpStatus.OPEN.value,
    )
    action: Mapped[str | None] = mapped_column(sa.String(255))
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    service_request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_request.id", ondelete="SET NULL"))
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("welfare_alert.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    senior: Mapped[Senior] = relationship()
    visit_record: Mapped[VisitRecord | None] = relationship(back_populates="follow_ups")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
