"""The rules for values people type: one id rule, one day rule, one month rule.

Ids: a record id is an integer from 1 to 2**31 - 1 (a PostgreSQL ``integer``).

Anything else never reaches the database, where an out-of-range value is an
error (``NumericValueOutOfRange``, a 500) rather than "no such row".

* In a URL rule, write ``<id:senior_id>``: ``IdConverter`` is Werkzeug's
  ``IntegerConverter`` with those bounds, so ``/seniors/0`` or
  ``/plans/99999999999`` simply match no rule (404).
* An id that arrives in a form, a query string or JSON goes through
  ``parse_id(value, field)``, which raises the project's ``FieldError`` naming
  the field (the API answers 422); ``is_id`` is the same rule as a test.
* The API's marshmallow schemas use ``fields.Integer(strict=True, validate=INT32)``.

Days and months: a day someone types (a service day, a hold, a shift, a report's end, a
filter) lies within ``DAY_RANGE_YEARS`` years of the clock's today, and a month likewise.
Python's ``date`` ends at 9999-12-31, so "the day after" a far date is an ``OverflowError``
(a 500) and a far date stored is a meal order for the year 9999. Every door uses this rule:
``parse_day``/``parse_month`` for query strings, ``check_day`` for a date already parsed
(WTForms' ``DayField`` in ``dispatch/forms/fields.py``, the API's ``Day`` field in
``dispatch/api/schemas.py``, services that take a date). A date of birth is not a day of
service: the age rule of ``services.people.seniors`` bounds it.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from dispatch.platform import clock
from dispatch.platform.errors import FieldError

MAX_ID = 2**31 - 1
DAY_RANGE_YEARS = 5
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class IdConverter(IntegerConverter):
    """``<id:name>`` in a URL rule: a positive 32-bit integer, else the rule does not match (404).

    The bounds are in the pattern as well as in ``min``/``max``: Werkzeug checks the
    bounds only after it has picked a rule, so ``PATCH /seniors/0`` would be a 405
    (a GET rule matched the path) instead of a 404. No leading zeros, ASCII digits only.
    """

    regex = (r"(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
             r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])")

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - Werkzeug's name
        super().__init__(map, min=1, max=MAX_ID)


def is_id(value: Any) -> bool:
    """True for an ``int`` (not a bool) within the id range."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def parse_id(value: Any, field: str | None) -> int:
    """``value`` (an int, or a string of digits from a form or query string) as an id.

    Raises ``FieldError(field, ...)`` for anything else: a float, a bool, a
    non-numeric string, zero, a negative number or a number beyond 2**31 - 1.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 10:
            value = int(text)
    if not is_id(value):
        raise FieldError(field, _l("Not a valid id."))
    return value


def id_or_none(value: Any) -> int | None:
    """``parse_id`` for optional hints (a pre-filled form field): None instead of an error."""
    try:
        return parse_id(value, None)
    except FieldError:
        return None


def id_schema(converter: IdConverter) -> dict[str, Any]:
    """The OpenAPI schema of an ``<id:...>`` path parameter (flask-smorest's ``register_converter``)."""
    return {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID}


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def day_range(today: date | None = None) -> tuple[date, date]:
    """The first and last day a person may type: ``DAY_RANGE_YEARS`` either side of today."""
    today = today or clock.now().date()
    return _years_from(today, -DAY_RANGE_YEARS), _years_from(today, DAY_RANGE_YEARS)


def check_day(day: date, field: str | None, *, today: date | None = None) -> date:
    """``day`` itself when it lies within the range, else ``FieldError`` naming ``field``."""
    first, last = day_range(today)
    if not first <= day <= last:
        raise FieldError(field, _l("Choose a day between %(first)s and %(last)s.",
                                   first=first.isoformat(), last=last.isoformat()))
    return day


def parse_day(raw: Any, field: str | None, *, default: date | None = None) -> date | None:
    """A ``YYYY-MM-DD`` text (a query string, a form, JSON) as a day within the range.

    Empty gives ``default``; anything else that is not such a day is a ``FieldError``.
    """
    text = raw.strip() if isinstance(raw, str) else raw
    if text in (None, ""):
        return default
    if not isinstance(text, str) or not _DAY_RE.match(text):
        raise FieldError(field, _l("The date must look like 2024-05-31."))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, _l("The date must look like 2024-05-31.")) from None
    return check_day(day, field)


def parse_month(raw: Any, field: str | None, *, default: date) -> date:
    """A ``YYYY-MM`` text as the first day of that month, within the range; empty: ``default``'s month."""
    text = raw.strip() if isinstance(raw, str) else raw
    if text in (None, ""):
        return default.replace(day=1)
    match = _MONTH_RE.match(text[:7] if isinstance(text, str) and _DAY_RE.match(text) else text) \
        if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise FieldError(field, _l("The month must look like 2024-05."))
    month = date(int(match.group(1)), int(match.group(2)), 1)
    first, last = day_range()
    if not first.replace(day=1) <= month <= last:
        raise FieldError(field, _l("Choose a month between %(first)s and %(last)s.",
                                   first=f"{first:%Y-%m}", last=f"{last:%Y-%m}"))
    return month


MAX_PAGE = 100_000


def parse_page(raw: Any) -> int:
    """A list's ``page`` argument: 1 to ``MAX_PAGE``; anything else is the nearest page (a bad page is not an error).

    A page number becomes an SQL ``OFFSET``; 10**20 does not fit one (a 500 on SQLite, an error on PostgreSQL).
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text[:7]), 1), MAX_PAGE)
