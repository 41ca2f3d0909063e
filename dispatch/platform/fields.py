"""Text that people type or import, cleaned the same way on every page, API call and import.

Each cleaner returns the stored form or raises ``FieldError`` naming the field, so a form shows
the reason beside the field and an import beside the row.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from dispatch.platform.errors import FieldError

PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")
# The columns' lengths, for fields people type; others get DEFAULT_LENGTH.
LENGTHS = {"full_name": 120, "full_name_zh": 120, "address": 255, "address_zh": 255, "neighbourhood": 80,
           "allergies": 2000, "access_notes": 2000}
DEFAULT_LENGTH = 120


def clean_text(value: Any, name: str, *, required: bool = False, limit: int | None = None) -> str | None:
    """Trimmed text within the field's length, or None when empty and optional."""
    text = ("" if value is None else str(value)).strip()
    if "\x00" in text:
        raise FieldError(name, _("Contains characters that are not allowed."))
    if required and not text:
        raise FieldError(name, _("This field is required."))
    limit = limit or LENGTHS.get(name, DEFAULT_LENGTH)
    if len(text) > limit:
        raise FieldError(name, _("At most %(n)s characters.", n=limit))
    return text or None


def clean_phone(value: Any, name: str, *, required: bool = False) -> str | None:
    """A phone number as people write it (digits, spaces, dashes, a leading +), or None when optional."""
    text = ("" if value is None else str(value)).strip()
    if not text:
        if required:
            raise FieldError(name, _("This field is required."))
        return None
    if not PHONE_RE.match(text) or not any(c.isdigit() for c in text):
        raise FieldError(name, _("Use 5 to 20 digits, spaces, dashes or a leading +."))
    return text


def clean_email(email: str | None, name: str = "email") -> str:
    """A lower-cased e-mail address with an @ and no spaces."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 255 or any(c.isspace() for c in email):
        raise FieldError(name, _("Enter a valid e-mail address."))
    return email
