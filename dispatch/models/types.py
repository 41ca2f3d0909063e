"""Column types and helpers shared by every aggregate.

Times are stored in UTC and always come back timezone-aware, whatever the
backend: SQLite has no timezone support, so a naive value read from it is
declared UTC here rather than left for each caller to guess.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.engine import Dialect

CLOCK_EXTENSION = "doorstep.clock"  # where platform.clock installs the app's clock


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime (the default for every ``*_dt``).

    Inside an app it is the app's clock (``platform.clock``, installed under this extension key), so
    a row's ``created_dt`` agrees with the "now" the services used; elsewhere the system clock.
    """
    if has_app_context():
        clock = current_app.extensions.get(CLOCK_EXTENSION)
        if clock is not None:
            return clock.now()
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored as UTC.

    Naive datetimes are refused: a wall-clock time without a zone is ambiguous
    (a site's local lunch time or the server's?), and guessing is how a meal
    ends up an hour late. Migrations render it as ``sa.DateTime(timezone=True)``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError("naive datetime refused: attach a timezone (e.g. timezone.utc)")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            # SQLite stores text; keep one canonical form so values sort and compare.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    @property
    def python_type(self) -> type[datetime]:
        return datetime


def enum_type(py_enum: type[enum.Enum], name: str) -> sa.Enum:
    """A string enum stored as VARCHAR(32) with a named CHECK of its values.

    Not a native PostgreSQL ENUM, so adding a value is the same small batch
    migration on SQLite and PostgreSQL. The stored strings are the enum *values*;
    ``name`` names the CHECK (``ck_<table>_<name>``), so pass the column name.
    """
    return sa.Enum(
        py_enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )
