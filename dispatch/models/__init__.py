"""Doorstep's data model, one module per aggregate; import models and enums from here.

Importing this package registers every table on ``db.metadata``, which is what
Alembic compares against.
"""
from dispatch.models.alert import AlertAction, AlertActionKind, AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.api_token import ApiIdempotency, ApiToken
from dispatch.models.audit import AuditEvent
from dispatch.models.dine_in import DineInMeal
from dispatch.models.family_request import EnrollmentRequest, EnrollmentRequestStatus, RequestSubmission
from dispatch.models.geocode import GeocodeCache, RateLimitSlot
from dispatch.models.invitation import Invitation, InvitationState
from dispatch.models.meals import (
    ALL_WEEKDAYS,
    MealEnrollment,
    MealHold,
    MealMode,
    MealOrder,
    MealOrderStatus,
    weekdays_to_mask,
)
from dispatch.models.notification import (
    Channel,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationStatus,
)
from dispatch.models.onboarding import WorkerCertificate, WorkerInvitation
from dispatch.models.outcome import AlertReraise, ConcernKind, StopEvent, StopEventKind
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, RouteLeg, Stop, StopKind, StopOutcome, TrunkDrop
from dispatch.models.senior import (
    Diet,
    EmergencyContact,
    FamilyLink,
    Gender,
    GeocodeStatus,
    Mobility,
    Senior,
    SeniorCategory,
    SeniorCategoryType,
)
from dispatch.models.service_request import (
    STATUSES_NEEDING_REASON,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Recurrence,
    RequestStatus,
    ServiceRequest,
    ServiceType,
)
from dispatch.models.site import MealSite, MealType, MealWindow, SiteKind, TravelMode
from dispatch.models.statement import ProofKind, StatementLine, StatementMonth, StatementStatus
from dispatch.models.subsidy import SubsidyBudget, SubsidyRule
from dispatch.models.types import UTCDateTime, utcnow
from dispatch.models.user import RevokedSession, Role, RoleName, StaffSite, User, WebAuthn, roles_users
from dispatch.models.village import VillagePoint, VillagePointKind
from dispatch.models.visitation import (
    OPEN_DUE_STATUSES,
    TIERS,
    CheckItem,
    CheckStatus,
    Contact,
    ContactKind,
    DueKind,
    DueReason,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    MealCheckCounts,
    VisitationRule,
    VisitationTierOverride,
    VisitRecord,
)
from dispatch.models.volunteer_shift import OfferStatus, OpenShift, ShiftOffer, ShiftRole, ShiftSignup, SignupStatus
from dispatch.models.worker import Skill, Worker, WorkerKind, WorkerShift, WorkerSkill

__all__ = [
    "EnrollmentRequest", "EnrollmentRequestStatus", "RequestSubmission", "Invitation", "InvitationState",
    "Channel", "Notification", "NotificationEvent", "NotificationPreference", "NotificationStatus",
    "ALL_WEEKDAYS", "STATUSES_NEEDING_REASON", "TERMINAL_STATUSES", "TRANSITIONS",
    "AlertAction", "AlertActionKind", "AlertKind", "AlertReraise", "AlertSeverity", "AlertStatus",
    "ApiIdempotency", "ApiToken", "AuditEvent",
    "ConcernKind", "Diet", "EmergencyContact", "FamilyLink", "Gender", "GeocodeCache", "GeocodeStatus",
    "MealEnrollment", "MealHold", "MealMode", "MealOrder", "MealOrderStatus", "MealSite", "MealType", "MealWindow",
    "Mobility", "Plan", "PlanKind", "PlanStatus", "RateLimitSlot", "Recurrence", "RequestStatus", "RevokedSession", "Role", "RoleName", "Route",
    "Senior", "SeniorCategory", "SeniorCategoryType", "ServiceRequest", "ServiceType", "SiteKind", "Skill",
    "StaffSite", "Stop", "SubsidyBudget", "DineInMeal", "ProofKind", "StatementLine", "StatementMonth",
    "StatementStatus", "StopEvent", "StopEventKind", "StopKind", "StopOutcome", "SubsidyRule", "TravelMode", "User", "UTCDateTime",
    "OfferStatus", "OpenShift", "ShiftOffer", "ShiftRole", "ShiftSignup", "SignupStatus",
    "WebAuthn", "WelfareAlert", "WorkerCertificate", "WorkerInvitation", "Worker", "WorkerKind", "WorkerShift", "WorkerSkill",
    "roles_users", "utcnow", "weekdays_to_mask",
    "OPEN_DUE_STATUSES", "TIERS", "CheckItem", "CheckStatus", "Contact", "ContactKind", "DueKind", "DueReason",
    "DueStatus", "DueVisit", "FollowUp", "FollowUpKind", "FollowUpStatus", "MealCheckCounts", "VisitationRule",
    "VisitationTierOverride", "VisitRecord", "RouteLeg", "TrunkDrop", "VillagePoint", "VillagePointKind",
]
