"""The words pages show for stored enum values, in one place.

Enum values are stored in English snake case; every page, form and export
shows these (translatable) words instead. ``label(value)`` gives the words for
an enum member or its stored string; ``choices(Enum)`` gives WTForms choices.
"""
from __future__ import annotations

import enum
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from dispatch.models.alert import AlertKind, AlertStatus
from dispatch.models.meals import MealMode, MealOrderStatus
from dispatch.models.plan import PlanKind, PlanStatus, StopKind, StopOutcome
from dispatch.models.senior import Diet, Gender, GeocodeStatus, Mobility, SeniorCategoryType
from dispatch.models.service_request import RequestStatus, ServiceType
from dispatch.models.site import MealType, SiteKind, TravelMode
from dispatch.models.user import RoleName
from dispatch.models.village import VillagePointKind
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
        ServiceType.HOME_VISITATION: _l("Welfare visit"),
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
        AlertKind.VISIT_OVERDUE: _l("Welfare visit or call overdue"),
        AlertKind.VISIT_EMERGENCY: _l("Emergency found on a welfare visit"),
    },
    AlertStatus: {
        AlertStatus.OPEN: _l("Open"), AlertStatus.ACKNOWLEDGED: _l("Staff following up"),
        AlertStatus.RESOLVED: _l("Resolved"),
    },
    PlanKind: {PlanKind.MEALS: _l("Meals"), PlanKind.VISITS: _l("Visits"), PlanKind.DAY: _l("Whole day")},
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
        Skill.NURSING: _l("Nursing"), Skill.VISITATION: _l("Welfare visits"),
    },
    VillagePointKind: {VillagePointKind.HAPPINESS_HOME: _l("Rural happiness home"),
                       VillagePointKind.VILLAGE_COMMITTEE: _l("Village committee"), VillagePointKind.SHOP: _l("Shop")},
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


# Free-text fields that people fill with a few common words (a contact's relation, an allergen): the
# words we know are shown translated, anything else as it was typed. Matching ignores case and spaces.
WORDS: dict[str, Any] = {
    "son": _l("son"), "daughter": _l("daughter"), "niece": _l("niece"), "nephew": _l("nephew"),
    "neighbour": _l("neighbour"), "neighbor": _l("neighbour"), "wife": _l("wife"), "husband": _l("husband"),
    "spouse": _l("spouse"), "brother": _l("brother"), "sister": _l("sister"), "grandson": _l("grandson"),
    "granddaughter": _l("granddaughter"), "friend": _l("friend"), "carer": _l("carer"),
    "peanuts": _l("peanuts"), "shellfish": _l("shellfish"), "shrimp": _l("shrimp"), "eggs": _l("eggs"),
    "milk": _l("milk"), "sesame": _l("sesame"), "penicillin (medication)": _l("penicillin (medication)"),
}


def word(text: str | None) -> str:
    """A relation or allergen in the reader's language when it is one we know; else the text as typed."""
    if not text:
        return ""
    words = WORDS.get(" ".join(text.split()).lower())
    return str(words) if words is not None else text


def words(text: str | None) -> str:
    """``word`` for each item of a comma-separated list ("peanuts, eggs")."""
    if not text:
        return ""
    return ", ".join(word(part.strip()) for part in text.split(",") if part.strip())


def is_chinese_ui() -> bool:
    """Whether this request is read in Chinese (names and addresses then take their Chinese form)."""
    return str(get_locale() or "").startswith("zh")



def shown_name(thing: Any) -> str:
    """A site's, senior's or worker's name in the reader's language: the Chinese form on record
    (``name_zh`` / ``full_name_zh``) in the Chinese UI, else the name; "" for None."""
    if thing is None:
        return ""
    english = getattr(thing, "full_name", None) or getattr(thing, "name", None) or ""
    if is_chinese_ui():
        chinese = getattr(thing, "full_name_zh", None) or getattr(thing, "name_zh", None)
        if chinese:
            return chinese
    return english


def shown_address(thing: Any) -> str:
    """An address in the reader's language: ``address_zh`` in the Chinese UI when on record."""
    if thing is None:
        return ""
    return (is_chinese_ui() and getattr(thing, "address_zh", None)) or getattr(thing, "address", None) or ""


def second_form(thing: Any, field: str = "name", *, sep: str = " ", cls: str = "") -> Markup:
    """The Chinese form beside the English one, for English pages ("" in the Chinese UI, which shows
    only the Chinese; "" when there is none): ``field`` is "name" or "address"."""
    if thing is None or is_chinese_ui():
        return Markup("")
    if field == "address":
        chinese = getattr(thing, "address_zh", None)
    else:
        chinese = getattr(thing, "full_name_zh", None) or getattr(thing, "name_zh", None)
    if not chinese:
        return Markup("")
    attrs = Markup(' class="{}"').format(cls) if cls else Markup("")
    return Markup(sep) + Markup('<span{} lang="zh-Hans">{}</span>').format(attrs, chinese)
