"""Plans, routes and stops: what the solver proposed and what workers then did.

A ``Plan`` is one site's routes for one date and meal window (or the day's
visits, or the whole day: every window and the visits in one plan); re-planning makes a new ``version_number`` rather than rewriting a
published plan. A ``Stop`` is where planned times meet recorded outcomes.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.site import MealType
from dispatch.models.types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from dispatch.models.meals import MealOrder
    from dispatch.models.senior import Senior
    from dispatch.models.service_request import ServiceRequest
    from dispatch.models.site import MealSite
    from dispatch.models.village import VillagePoint
    from dispatch.models.worker import Worker


class PlanKind(enum.StrEnum):
    MEALS = "meals"
    VISITS = "visits"
    DAY = "day"  # the whole day of a site: every meal window and the visits, one route per worker


class RouteLeg(enum.StrEnum):
    """Which leg of a county plan a route is (None: an ordinary route from the kitchen to the doors)."""

    TRUNK = "trunk"
    LAST_MILE = "last_mile"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


LIVE_STATUSES = (PlanStatus.PUBLISHED, PlanStatus.IN_PROGRESS)  # what workers, families and the board act on


class StopKind(enum.StrEnum):
    MEAL = "meal"
    VISIT = "visit"


class StopOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    NOT_HOME = "not_home"
    REFUSED = "refused"
    HOSPITALISED = "hospitalised"
    COULD_NOT_ACCESS = "could_not_access"
    COMPLETED = "completed"
    COULD_NOT_COMPLETE = "could_not_complete"


class Plan(db.Model):
    """One version of a site's routes for a date and a meal window (or the day's visits)."""

    __tablename__ = "plan"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "service_date", "kind", "meal", "version_number"),
        # NULLs are distinct in a UNIQUE, so plans without a meal (visits, day) need their own index.
        sa.Index(
            "uq_plan_visits_version", "site_id", "service_date", "kind", "version_number", unique=True,
            sqlite_where=sa.text("meal IS NULL"), postgresql_where=sa.text("meal IS NULL"),
        ),
        sa.CheckConstraint(
            "(kind = 'meals' AND meal IS NOT NULL) OR (kind IN ('visits', 'day') AND meal IS NULL)",
            name="meal_matches_kind",
        ),
        sa.CheckConstraint("version_number >= 1", name="version_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_site.id", ondelete="RESTRICT"))
    service_date: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[PlanKind] = mapped_column(enum_type(PlanKind, "kind"))
    meal: Mapped[MealType | None] = mapped_column(enum_type(MealType, "meal"))
    version_number: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "status"), default=PlanStatus.DRAFT, server_default=PlanStatus.DRAFT.value
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Solver statistics and unassigned stops with reasons, as shown to staff.
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    site: Mapped[MealSite] = relationship()
    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True, order_by="Route.position"
    )

    @property
    def is_editable(self) -> bool:
        """Only drafts may be rearranged; published plans change through a new version."""
        return self.status == PlanStatus.DRAFT

    def __repr__(self) -> str:
        return f"<Plan {self.id} site={self.site_id} {self.service_date} {self.kind} v{self.version_number}>"


class Route(db.Model):
    """One worker's ordered stops within a plan."""

    __tablename__ = "route"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "position"),
        sa.CheckConstraint("end_dt IS NULL OR start_dt IS NULL OR end_dt >= start_dt", name="end_not_before_start"),
        sa.CheckConstraint("travel_seconds >= 0", name="travel_seconds_nonneg"),
        sa.CheckConstraint("distance_m >= 0", name="distance_nonneg"),
        sa.CheckConstraint("break_minutes >= 0", name="break_minutes_nonneg"),
        # A last-mile round walks from one village point; a trunk run and an ordinary route from the kitchen.
        sa.CheckConstraint("(leg = 'last_mile' AND village_point_id IS NOT NULL AND held_from_dt IS NOT NULL)"
                           " OR ((leg IS NULL OR leg = 'trunk') AND village_point_id IS NULL)",
                           name="point_matches_leg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column()
    start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    travel_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    # The worker's rest on this route (visit shifts with a break), placed where it breaks no window.
    break_start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    break_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    distance_m: Mapped[int] = mapped_column(default=0, server_default="0")
    # With reload trips: when each load leaves the kitchen (ISO datetimes in UTC, load 0 first); a stop's
    # ``trip`` indexes it. None for a route of one load, which leaves at ``start_dt``.
    trip_departures: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # In a county plan (``models.village``): the trunk run or a last-mile round; None for an ordinary route.
    leg: Mapped[RouteLeg | None] = mapped_column(enum_type(RouteLeg, "leg"))
    village_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("village_point.id", ondelete="RESTRICT"), index=True
    )
    # A last-mile round's meals are held from when their car left the kitchen, not from the round's start.
    held_from_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship(back_populates="routes")
    worker: Mapped[Worker] = relationship()
    stops: Mapped[list[Stop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", passive_deletes=True, order_by="Stop.position"
    )
    drops: Mapped[list[TrunkDrop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", passive_deletes=True, order_by="TrunkDrop.position"
    )
    village_point: Mapped[VillagePoint | None] = relationship()

    def departure_of(self, stop: Stop) -> datetime | None:
        """When the load that carries ``stop`` left the kitchen: its hot meal is held from then."""
        if self.held_from_dt is not None:
            return self.held_from_dt
        trips = self.trip_departures or []
        if stop.trip and stop.trip < len(trips):
            return datetime.fromisoformat(trips[stop.trip])
        return self.start_dt

    @property
    def trips(self) -> int:
        return max(1, len(self.trip_departures or []))

    def break_window(self, zone: tzinfo | None) -> tuple[datetime, datetime] | None:
        """(start, end) of the worker's break in ``zone``, or None when this route has none."""
        if self.break_start_dt is None or not self.break_minutes or zone is None:
            return None
        start = self.break_start_dt.astimezone(zone)
        return start, start + timedelta(minutes=self.break_minutes)


class Stop(db.Model):
    """A meal drop or a service visit on a route: planned window and ETA, then the outcome."""

    __tablename__ = "stop"
    __table_args__ = (
        sa.UniqueConstraint("route_id", "position"),
        sa.CheckConstraint(
            "(kind = 'meal' AND meal_order_id IS NOT NULL AND service_request_id IS NULL)"
            " OR (kind = 'visit' AND service_request_id IS NOT NULL AND meal_order_id IS NULL)",
            name="one_subject_matching_kind",
        ),
        sa.CheckConstraint("window_end_dt >= window_start_dt", name="window_end_not_before_start"),
        sa.CheckConstraint(
            "departure_dt IS NULL OR arrival_dt IS NULL OR departure_dt >= arrival_dt",
            name="departure_not_before_arrival",
        ),
        sa.CheckConstraint("position >= 0", name="position_nonneg"),
        sa.CheckConstraint("trip >= 0", name="trip_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("route.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    trip: Mapped[int] = mapped_column(default=0, server_default="0")  # the load it rides in (0: the first)
    kind: Mapped[StopKind] = mapped_column(enum_type(StopKind, "kind"))
    senior_id: Mapped[int] = mapped_column(sa.ForeignKey("senior.id", ondelete="RESTRICT"), index=True)
    meal_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meal_order.id", ondelete="RESTRICT"), index=True
    )
    service_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_request.id", ondelete="RESTRICT"), index=True
    )
    window_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    eta_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrival_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departure_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[StopOutcome | None] = mapped_column(enum_type(StopOutcome, "outcome"))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    outcome_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Staff pinned this stop to its route and position; re-planning keeps it there.
    is_locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column()  # optimistic lock, managed by the mapper

    __mapper_args__ = {"version_id_col": version}

    route: Mapped[Route] = relationship(back_populates="stops")
    senior: Mapped[Senior] = relationship()
    meal_order: Mapped[MealOrder | None] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship()

    def is_late(self, now: datetime) -> bool:
        """Late: the ETA has passed with no outcome, or the worker arrived after the window closed."""
        if self.outcome is None and self.eta_dt is not None and self.eta_dt < now:
            return True
        return self.arrival_dt is not None and self.arrival_dt > self.window_end_dt

    @property
    def is_done(self) -> bool:
        return self.outcome is not None

    def __repr__(self) -> str:
        return f"<Stop {self.id} route={self.route_id} #{self.position} {self.kind}>"


class TrunkDrop(db.Model):
    """One village point's batch on a trunk route: how many meals, when the car is there, when it is off."""

    __tablename__ = "trunk_drop"
    __table_args__ = (
        sa.UniqueConstraint("route_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_nonneg"),
        sa.CheckConstraint("dine_in >= 0 AND door_meals >= 0 AND meals = dine_in + door_meals", name="meals_add_up"),
        sa.CheckConstraint("ready_dt >= eta_dt", name="ready_not_before_eta"),
        sa.CheckConstraint("window_end_dt >= window_start_dt", name="window_end_not_before_start"),
        # The phone's key for the hand-over tap: a retry of it is recognised (``services.rounds.handover``).
        sa.UniqueConstraint("handover_key", name="uq_trunk_drop_handover_key"),
        sa.CheckConstraint("(handed_over_dt IS NULL AND handover_key IS NULL)"
                           " OR (handed_over_dt IS NOT NULL AND handover_key IS NOT NULL)",
                           name="handover_key_with_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("route.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    village_point_id: Mapped[int] = mapped_column(sa.ForeignKey("village_point.id", ondelete="RESTRICT"), index=True)
    meals: Mapped[int] = mapped_column()
    dine_in: Mapped[int] = mapped_column(default=0, server_default="0")
    door_meals: Mapped[int] = mapped_column(default=0, server_default="0")
    eta_dt: Mapped[datetime] = mapped_column(UTCDateTime)  # the car at the point
    ready_dt: Mapped[datetime] = mapped_column(UTCDateTime)  # the boxes handed over: rounds may set out
    window_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    # The driver handed the batch over: the server's clock when the tap arrived (the proof), who tapped,
    # the tap's key (a retry is the same hand-over) and the phone's own time for it (a claim, never proof).
    handed_over_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    handover_key: Mapped[str | None] = mapped_column(sa.String(64))
    handed_over_claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    route: Mapped[Route] = relationship(back_populates="drops")
    village_point: Mapped[VillagePoint] = relationship()
