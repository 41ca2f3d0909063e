"""One id rule: a record id is an integer from 1 to 2**31 - 1 (a PostgreSQL ``integer``).

Anything else never reaches the database, where an out-of-range value is an
error (``NumericValueOutOfRange``, a 500) rather than "no such row".

* In a URL rule, write ``<id:senior_id>``: ``IdConverter`` is Werkzeug's
  ``IntegerConverter`` with those bounds, so ``/seniors/0`` or
  ``/plans/99999999999`` simply match no rule (404).
* An id that arrives in a form, a query string or JSON goes through
  ``parse_id(value, field)``, which raises the project's ``FieldError`` naming
  the field (the API answers 422); ``is_id`` is the same rule as a test.
* The API's marshmallow schemas use ``fields.Integer(strict=True, validate=INT32)``.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from dispatch.platform.errors import FieldError

MAX_ID = 2**31 - 1


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
