"""The one way a view shows a service's ``FieldError`` on its form."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch.platform import transaction
from dispatch.platform.errors import FieldError


def show_error(form: Any, error: FieldError, *, fields: Mapping[str, str] | None = None) -> None:
    """Show ``error`` next to the field it names (else above the form) and doom the unit.

    Whatever the service flushed before it refused is rolled back now and never
    committed, so the form is drawn again over the stored state. ``fields`` maps
    a service's field name to the form's where they differ (``site_ids`` → ``sites``).
    A form with nested fields names them its own way through its ``blame(field, message)``
    (``lunch-start``, ``shifts-2-start``); the others take ``contacts-0-phone`` style names.
    """
    transaction.doom()
    name = (fields or {}).get(error.field or "", error.field)
    message = str(error.message)
    blame = getattr(form, "blame", None)
    if blame is not None:
        blame(name or "", message)
    else:
        add_error(form, name, message)


def add_error(form: Any, name: str | None, message: str) -> None:
    """Attach a message to the named field (``contacts-0-phone`` style), else to the whole form."""
    field = None
    if name:
        parts = name.split("-")
        try:
            field = form[parts[0]]
            if len(parts) == 3:
                container = field
                field = container.entries[int(parts[1])].form[parts[2]]
                # A FieldList computes its errors during validate(); keep form.errors truthy.
                container.errors = [*container.errors, {parts[2]: [message]}]
        except (KeyError, IndexError, ValueError, TypeError):
            field = None
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
    if getattr(form, "_errors", None) is not None:
        form._errors = None  # ``errors`` is cached; recompute it with this message
