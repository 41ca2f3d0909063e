"""Fields, filters and validators every form shares.

``text_field`` and ``phone_field`` build a trimmed, length-limited text input
that refuses control characters; ``MultiCheckboxField`` is a set of
checkboxes; ``optional_int`` coerces a select whose empty choice means None;
``DayField`` is every date a person types except a date of birth, held to the
one day rule (``platform.validation.check_day``).
"""
from __future__ import annotations

import math
import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import DateField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from dispatch.platform.errors import FieldError
from dispatch.platform.validation import check_day

PHONE_PATTERN = r"^[0-9+()\- ]*$"


class FilterForm(FlaskForm):
    """A list page's search and filters, read from the query string (GET, no CSRF: it changes nothing).

    An argument that is absent or empty means "any" and is never an error: a select
    with no value fails WTForms' choice check ("Not a valid choice."), so a list page
    opened without arguments showed a red error under every filter whose field
    lacked ``Optional()``. Here no field can forget it. A value that is present and
    bad still gets its error, and the views drop that filter.
    """

    class Meta:
        csrf = False

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for field in self._fields.values():
            if field.errors and not any(str(v).strip() for v in field.raw_data or ()):
                field.errors = []
        return not any(field.errors for field in self._fields.values())


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (``_forms.render_field`` draws it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DayField(DateField):
    """A date field whose day must lie within the day rule's range (a far date is refused beside the field)."""

    def pre_validate(self, form) -> None:
        super().pre_validate(form)
        if self.data is not None:
            try:
                check_day(self.data, self.name)
            except FieldError as error:
                self.data = None  # a view that reads a refused field gets nothing, never the far day
                raise ValidationError(str(error.message)) from None


def optional_int(value: Any) -> int | None:
    """Coerce a select's value: empty is None, anything else must be an integer."""
    if value in (None, "", "None"):
        return None
    return int(value)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def none_if_empty(value):
    return value or None


def no_control_chars(form, field) -> None:
    """Refuse NUL and other control characters: PostgreSQL rejects NUL, and none belong in a name."""
    if isinstance(field.data, str) and any(
        unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in field.data
    ):
        raise ValidationError(_("Contains characters that are not allowed."))


def finite(form, field) -> None:
    """``float('nan')`` passes a NumberRange; refuse it (and infinity) here."""
    if isinstance(field.data, float) and not math.isfinite(field.data):
        raise ValidationError(_("Enter a number."))


def text_field(label, max_length: int, *, required: bool = False, **kwargs) -> StringField:
    validators = [DataRequired() if required else Optional(), Length(max=max_length), no_control_chars]
    filters = [strip] if required else [strip, none_if_empty]
    return StringField(label, validators=validators + kwargs.pop("validators", []), filters=filters,
                       render_kw={"maxlength": max_length, **kwargs.pop("render_kw", {})}, **kwargs)


def phone_field(label) -> StringField:
    return text_field(label, 32, validators=[Regexp(PHONE_PATTERN, message=_l("Use digits, spaces, +, - and brackets only."))],
                      render_kw={"type": "tel", "autocomplete": "off"})
