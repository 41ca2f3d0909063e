"""The words pages show for stored enum values, in one place.

Enum values are stored in English snake case; every page, form and export
shows these (translatable) words instead. ``label(value)`` gives the words for
an enum member or its stored string; ``choices(Enum)`` gives WTForms choices.
"""
from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from dispatch.models.alert import AlertKind, AlertStatus
from dispatch.models.meals import MealMode, MealOrderStatus
from dispatch.models.plan import PlanKind, PlanStatus, StopKind, StopOutcome
from dispatch.models.senior import Diet, Gender, GeocodeStatus, Mobility, SeniorCategoryType
from dispatch.models.service_request import RequestStatus, ServiceType
from dispatch.models.site import MealType, SiteKind, TravelMode
from dispatch.models.user import RoleName
from dispatch.models.volunteer_shift import ShiftRole
from dispatch.models.worker import MapApp, Skill, WorkerKind

# Per enum, in the order forms offer them. When a bare string is looked up,
# the first enum here that defines it wins (``in_progress`` of a request
# before that of a plan: pass the member to get the plan's words).
LABELS: dict[type[enum.Enum], dict[Any, Any]] = {
    Diet: {
        Diet.REGULAR: _l("Regular diet"), Diet.DIABETIC: _l("Diabetic"), Diet.LOW_SALT: _l("Low salt"),
        Diet.SOFT: _l("Soft"), Diet.MINCED: _l("Minced"), Diet.PUREED: _l("Pureed"),
        Diet.VEGETARIAN: _l("Vegetarian"), Diet.HALAL: _l("Halal"),
    },
    MealType: {MealType.BREAKFAST: _l("Breakfast"), MealType.LUNCH: _l("Lunch"), MealType.DINNER: _l("Dinner")},
    MealMode: {MealMode.DELIVERY: _l("Delivered to the door"), MealMode.DINE_IN: _l("Eats at the canteen")},
    MealOrderStatus: {
        MealOrderStatus.ORDERED: _l("Ordered"), MealOrderStatus.CANCELLED: _l("Cancelled"),
        MealOrderStatus.DELIVERED: _l("Delivered"), MealOrderStatus.DINED_IN: _l("Ate at the canteen"),
        MealOrderStatus.MISSED: _l("Missed"),
    },
    ServiceType: {
        ServiceType.BATHING: _l("Bathing"), ServiceType.CLEANING: _l("Cleaning"),
        ServiceType.WALKING_ASSISTANCE: _l("Walking assistance"),
        ServiceType.MEDICAL_ASSISTANCE: _l("Medical assistance"),
        ServiceType.EMERGENCY_ASSISTANCE: _l("Emergency assistance"), ServiceType.COMPANIONSHIP: _l("Companionship"),
    },
    RequestStatus: {
        RequestStatus.REQUESTED: _l("Requested"), RequestStatus.APPROVED: _l("Approved"),
        RequestStatus.SCHEDULED: _l("Scheduled"), RequestStatus.EN_ROUTE: _l("On the way"),
        RequestStatus.IN_PROGRESS: _l("In progress"), RequestStatus.COMPLETED: _l("Completed"),
        RequestStatus.DECLINED: _l("Declined"), RequestStatus.CANCELLED: _l("Cancelled"),
        RequestStatus.MISSED: _l("Missed"),
    },
    StopOutcome: {
        StopOutcome.DELIVERED: _l("Delivered"), StopOutcome.NOT_HOME: _l("Not home"),
        StopOutcome.REFUSED: _l("Refused"), StopOutcome.HOSPITALISED: _l("Hospitalised"),
        StopOutcome.COULD_NOT_ACCESS: _l("Could not get in"), StopOutcome.COMPLETED: _l("Completed"),
        StopOutcome.COULD_NOT_COMPLETE: _l("Could not complete"),
    },
    AlertKind: {
        AlertKind.NOT_HOME_LIVES_ALONE: _l("Not home (lives alone)"), AlertKind.NO_ANSWER: _l("No answer"),
        AlertKind.CONCERN: _l("Concern"), AlertKind.MISSED_MEALS: _l("Missed meals"),
        AlertKind.OVERDUE_STOP: _l("Visit overdue"),
    },
    AlertStatus: {
        AlertStatus.OPEN: _l("Open"), AlertStatus.ACKNOWLEDGED: _l("Staff following up"),
        AlertStatus.RESOLVED: _l("Resolved"),
    },
    PlanKind: {PlanKind.MEALS: _l("Meals"), PlanKind.VISITS: _l("Visits")},
    StopKind: {StopKind.MEAL: _l("Meal"), StopKind.VISIT: _l("Visit")},
    PlanStatus: {
        PlanStatus.DRAFT: _l("Draft"), PlanStatus.PUBLISHED: _l("Published"),
        PlanStatus.IN_PROGRESS: _l("Under way"), PlanStatus.CLOSED: _l("Closed"),
    },
    RoleName: {
        RoleName.ADMIN: _l("Administrator"), RoleName.STAFF: _l("Staff (meal site coordinator)"),
        RoleName.WORKER: _l("Worker (driver, caregiver, nurse, volunteer)"), RoleName.FAMILY: _l("Family member"),
    },
    Gender: {Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male"), Gender.OTHER: _l("Other")},
    Mobility: {
        Mobility.INDEPENDENT: _l("Independent"), Mobility.WALKER: _l("Uses a walker"),
        Mobility.WHEELCHAIR: _l("Wheelchair"), Mobility.BEDRIDDEN: _l("Bedridden"),
    },
    SeniorCategoryType: {
        SeniorCategoryType.LOW_INCOME: _l("Low income"), SeniorCategoryType.EXTREME_POVERTY: _l("Extreme poverty"),
        SeniorCategoryType.DISABLED: _l("Disabled"), SeniorCategoryType.AGED_80_PLUS: _l("Aged 80+"),
        SeniorCategoryType.LIVING_ALONE_PRIORITY: _l("Living alone (priority)"),
    },
    GeocodeStatus: {
        GeocodeStatus.OK: _l("Located"), GeocodeStatus.PENDING: _l("Not located yet"),
        GeocodeStatus.DOUBTFUL: _l("Location doubtful"), GeocodeStatus.FAILED: _l("Location failed"),
        GeocodeStatus.MANUAL: _l("Located by hand"),
    },
    SiteKind: {SiteKind.CANTEEN: _l("Community canteen"), SiteKind.CENTRAL_KITCHEN: _l("Central kitchen")},
    TravelMode: {TravelMode.WALK: _l("Walking"), TravelMode.E_BIKE: _l("E-bike"), TravelMode.CAR: _l("Car")},
    MapApp: {MapApp.OPENSTREETMAP: _l("OpenStreetMap"), MapApp.AMAP: _l("Amap"),
             MapApp.PHONE: _l("The phone's map app")},
    WorkerKind: {
        WorkerKind.DRIVER: _l("Driver"), WorkerKind.CAREGIVER: _l("Caregiver"),
        WorkerKind.NURSE: _l("Nurse"), WorkerKind.VOLUNTEER: _l("Volunteer"),
    },
    ShiftRole: {ShiftRole.DRIVER: _l("Driver"), ShiftRole.SERVER: _l("Server (canteen)"),
                ShiftRole.CAREGIVER: _l("Caregiver")},
    Skill: {
        Skill.MEAL_DELIVERY: _l("Meal delivery"), Skill.BATHING: _l("Bathing"), Skill.CLEANING: _l("Cleaning"),
        Skill.WALKING_ASSISTANCE: _l("Walking assistance"), Skill.MEDICAL_ASSISTANCE: _l("Medical assistance"),
        Skill.EMERGENCY_ASSISTANCE: _l("Emergency assistance"), Skill.COMPANIONSHIP: _l("Companionship"),
        Skill.NURSING: _l("Nursing"),
    },
}

# Weekday 0 is Monday, as ``date.weekday()``, shifts and enrollments count.
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
WEEKDAYS_SHORT = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))

_BY_VALUE: dict[str, Any] = {}
for _words in LABELS.values():
    for _member, _text in _words.items():
        _BY_VALUE.setdefault(_member.value, _text)


def label(value: Any) -> str:
    """The words for an enum member or its stored string ("" for None; the raw value when none are defined)."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        words = LABELS.get(type(value), {}).get(value)
        return str(words) if words is not None else str(value.value)
    return str(_BY_VALUE.get(value, value))


def choices(enum_class: type[enum.Enum], *, blank: Any = None) -> list[SelectChoice]:
    """WTForms choices for every labelled member of ``enum_class``, after an empty ``blank`` choice if given."""
    options = [SelectChoice(member.value, words) for member, words in LABELS[enum_class].items()]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


def yuan(cents: int | None) -> str:
    """Integer fen shown as yuan with two decimals ("¥12.50"); "" for None. Never via float."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, fen = divmod(abs(int(cents)), 100)
    return f"{sign}¥{whole:,}.{fen:02d}"
