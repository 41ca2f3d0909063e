"""Marshmallow schemas of the JSON API: what integrations send and get back.

Output schemas list fields explicitly (never "every column"), so adding a
column to a model never leaks it. Input schemas reject unknown fields.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from dispatch.models.outcome import ConcernKind, StopEventKind
from dispatch.models.plan import PlanKind, PlanStatus, StopKind, StopOutcome
from dispatch.models.senior import Diet, Gender, Mobility, SeniorCategoryType
from dispatch.models.service_request import Recurrence, RequestStatus, ServiceType
from dispatch.models.site import MealType, SiteKind, TravelMode
from dispatch.models.worker import Skill, WorkerKind
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import MAX_ID, check_day
from dispatch.services.people.seniors import MAX_AGE, MIN_AGE

INT32 = validate.Range(min=1, max=MAX_ID)
# The age rule the senior service enforces, said in the OpenAPI document (a 422 naming date_of_birth otherwise).
AGE_RULE = (f"In the past, and the senior aged {MIN_AGE} to {MAX_AGE} on the server's today "
            "(else 422 naming `date_of_birth`).")
SENIOR_INVALID = ("Invalid input: `errors` names each field, e.g. `date_of_birth` outside the age rule "
                  f"({MIN_AGE} to {MAX_AGE} years on the server's today) or a `home_site_id` the token cannot reach.")
# Lifecycle refusals are 422 naming `status`, not 409 (409 is a stale `version` or a busy idempotency key).
STATE_CONFLICT = ("Invalid input (422, `errors` names each field), or the record's state does not allow this "
                  "action: the error names the field `status`, e.g. approving a request that is already declined "
                  "(service requests: requested → approved → scheduled → en route → in progress → completed; or "
                  "declined, cancelled, missed), or publishing a plan that is not a draft the checker passes.")
# JSON bodies take integers strictly (``strict=True``): 1.5 or "1" is a 422 naming the field, never
# silently 1. Query-string integers arrive as text, so their schemas are not strict.


class Day(fields.Date):
    """A day the client sends: ISO ``YYYY-MM-DD`` within the one day rule (``validation.check_day``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_day(day, attr)
        except FieldError as error:
            raise ma.ValidationError(str(error.message)) from None


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _enum(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


# Sites and workers -------------------------------------------------------------

class SiteOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    name_zh = fields.String(allow_none=True)
    kind = _enum(SiteKind)
    address = fields.String()
    district = fields.String(allow_none=True)
    neighbourhood = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    daily_capacity = fields.Integer()
    hold_limit_minutes = fields.Integer()
    circle_minutes = fields.Integer()
    circle_mode = _enum(TravelMode)
    timezone = fields.String(allow_none=True)
    is_active = fields.Boolean()


class WorkerOut(ma.Schema):
    id = fields.Integer()
    full_name = fields.String()
    kind = _enum(WorkerKind)
    travel_mode = _enum(TravelMode)
    capacity_meals = fields.Integer()
    home_site_id = fields.Integer()
    max_minutes_per_day = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    skills = fields.Function(lambda w: sorted(s.value for s in w.skill_values), metadata={"type": "array"})


# Seniors ----------------------------------------------------------------------

class ContactSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    relation = fields.String(required=True, validate=validate.Length(min=1, max=60))
    phone = fields.String(required=True, validate=validate.Length(min=5, max=20))


class SeniorOut(ma.Schema):
    id = fields.Integer()
    full_name = fields.String()
    full_name_zh = fields.String(allow_none=True)
    gender = _enum(Gender, allow_none=True)
    date_of_birth = fields.Date()
    phone = fields.String(allow_none=True)
    address = fields.String()
    address_zh = fields.String(allow_none=True)
    neighbourhood = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    lives_alone = fields.Boolean()
    mobility = _enum(Mobility)
    diet = _enum(Diet)
    allergies = fields.String(allow_none=True)
    access_notes = fields.String(allow_none=True)
    home_site_id = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    categories = fields.Function(lambda s: sorted(c.value for c in s.category_values))
    contacts = fields.Function(lambda s: [{"name": c.name, "relation": c.relation, "phone": c.phone}
                                          for c in s.contacts])
    version = fields.Integer()


class SeniorIn(StrictSchema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    date_of_birth = fields.Date(required=True, metadata={"description": AGE_RULE})
    address = fields.String(required=True, validate=validate.Length(min=1, max=255))
    full_name_zh = fields.String(allow_none=True, validate=validate.Length(max=120))
    gender = _enum(Gender, allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    address_zh = fields.String(allow_none=True, validate=validate.Length(max=255))
    neighbourhood = fields.String(allow_none=True, validate=validate.Length(max=80))
    lat = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lives_alone = fields.Boolean()
    mobility = _enum(Mobility)
    diet = _enum(Diet)
    allergies = fields.String(allow_none=True, validate=validate.Length(max=2000))
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    home_site_id = fields.Integer(strict=True, allow_none=True, validate=INT32, metadata={"description": (
        "Left out or null: the nearest active site of the token's with room for one more senior, "
        "not stored as an override. A site given here is a staff override.")})
    categories = fields.List(_enum(SeniorCategoryType), validate=validate.Length(max=10))
    contacts = fields.List(fields.Nested(ContactSchema), validate=validate.Length(max=3))


class SeniorPatch(SeniorIn):
    """Only the fields sent change; ``version`` is the one the client read (409 if stale)."""

    version = fields.Integer(strict=True, required=True, validate=INT32)
    home_site_id = fields.Integer(strict=True, allow_none=True, validate=INT32)
    full_name = fields.String(validate=validate.Length(min=1, max=120))
    date_of_birth = fields.Date(metadata={"description": AGE_RULE})
    address = fields.String(validate=validate.Length(min=1, max=255))


class SeniorQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=100))
    site_id = fields.Integer(validate=INT32)


# Service requests ---------------------------------------------------------------

class RequestOut(ma.Schema):
    id = fields.Integer()
    senior_id = fields.Integer()
    site_id = fields.Integer()
    service_type = _enum(ServiceType)
    requested_date = fields.Date()
    window_start = fields.Time()
    window_end = fields.Time()
    duration_minutes = fields.Integer()
    required_skill = _enum(Skill, allow_none=True)
    priority = fields.Integer()
    recurrence = _enum(Recurrence)
    notes = fields.String()
    status = _enum(RequestStatus)
    status_reason = fields.String(allow_none=True)
    version = fields.Integer()


class RequestIn(StrictSchema):
    senior_id = fields.Integer(strict=True, required=True, validate=INT32)
    service_type = _enum(ServiceType, required=True)
    requested_date = Day(required=True)
    window_start = fields.Time(required=True)
    window_end = fields.Time(required=True)
    duration_minutes = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=480))
    required_skill = _enum(Skill, allow_none=True)
    priority = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=1, max=5))
    recurrence = _enum(Recurrence, load_default=Recurrence.NONE)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class RequestPatch(StrictSchema):
    """A review step: approve, decline (with a reason) or reschedule (day and window)."""

    version = fields.Integer(strict=True, required=True, validate=INT32)
    action = fields.String(required=True, validate=validate.OneOf(["approve", "decline", "reschedule"]))
    reason = fields.String(validate=validate.Length(max=255))
    requested_date = Day()
    window_start = fields.Time()
    window_end = fields.Time()


class RequestQuery(PageArgs):
    site_id = fields.Integer(validate=INT32)
    status = _enum(RequestStatus)
    date = Day()


# Plans, routes, stops -----------------------------------------------------------

class StopOut(ma.Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = _enum(StopKind)
    senior_id = fields.Integer()
    service_request_id = fields.Integer(allow_none=True)
    window_start_dt = fields.AwareDateTime()
    window_end_dt = fields.AwareDateTime()
    eta_dt = fields.AwareDateTime(allow_none=True)
    arrival_dt = fields.AwareDateTime(allow_none=True)
    departure_dt = fields.AwareDateTime(allow_none=True)
    outcome = _enum(StopOutcome, allow_none=True)
    outcome_dt = fields.AwareDateTime(allow_none=True)
    is_locked = fields.Boolean()
    version = fields.Integer()


class RouteOut(ma.Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    worker_id = fields.Integer()
    position = fields.Integer()
    start_dt = fields.AwareDateTime(allow_none=True)
    end_dt = fields.AwareDateTime(allow_none=True)
    travel_seconds = fields.Integer()
    distance_m = fields.Integer()
    stops = fields.List(fields.Nested(StopOut))


class PlanOut(ma.Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    service_date = fields.Date()
    kind = _enum(PlanKind)
    meal = _enum(MealType, allow_none=True)
    version_number = fields.Integer()
    status = _enum(PlanStatus)
    published_dt = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()


class PlanDetailOut(PlanOut):
    routes = fields.List(fields.Nested(RouteOut))


class PlanQuery(PageArgs):
    site_id = fields.Integer(validate=INT32)
    date = Day()


class LockIn(StrictSchema):
    version = fields.Integer(strict=True, required=True, validate=INT32)
    locked = fields.Boolean(required=True)


class PublishIn(StrictSchema):
    version = fields.Integer(strict=True, required=True, validate=INT32)


class OutcomeIn(StrictSchema):
    """One tap, as the phone sends it; ``client_id`` may come as the Idempotency-Key header instead."""

    client_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$"))
    kind = _enum(StopEventKind, load_default=StopEventKind.OUTCOME)
    outcome = _enum(StopOutcome, allow_none=True)
    concern = _enum(ConcernKind, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    tasks_done = fields.List(fields.String(validate=validate.Length(max=40)), allow_none=True,
                             validate=validate.Length(max=20))
    recorded_dt = fields.AwareDateTime(allow_none=True)
    device = fields.String(load_default="", validate=validate.Length(max=200))


class OutcomeOut(ma.Schema):
    event_id = fields.Integer()
    client_id = fields.String()
    stop_id = fields.Integer()
    kind = fields.String()
    stop_outcome = fields.String(allow_none=True)
    alerts = fields.List(fields.Integer())
    recorded_dt = fields.String()
    replay = fields.Boolean()


class ErrorItem(ma.Schema):
    field = fields.String(allow_none=True)
    location = fields.String()
    reason = fields.String()


class ErrorOut(ma.Schema):
    status = fields.Integer()
    error = fields.String()
    message = fields.String()
    errors = fields.List(fields.Nested(ErrorItem))
