"""Errors every use case shares: bad input for a field, and a record someone else changed.

Views show a ``FieldError`` next to the form field it names (``field`` None:
above the whole form) and answer a ``StaleRecord`` with HTTP 409.
"""
from __future__ import annotations

from typing import Any


class FieldError(ValueError):
    """Bad input: ``field`` names the form field at fault (None: the whole form), ``message`` says why."""

    def __init__(self, field: str | None, message: Any) -> None:
        super().__init__(f"{field}: {message}" if field else str(message))
        self.field = field
        self.message = message


class StaleRecord(RuntimeError):
    """Someone else saved the record after the user loaded it."""
