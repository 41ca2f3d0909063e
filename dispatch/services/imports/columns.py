"""What an import's columns mean: matching a file's headers to fields, and reading a cell as a value.

Shared by the senior and worker imports. A header matches a field by its key,
its English or Chinese heading or a common alias, ignoring case, spaces and
punctuation, so "Date of birth", "date_of_birth" and "出生日期" all land in the
same place. Enum cells accept the stored value or the label in either UI language.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from dispatch.platform.errors import FieldError
from dispatch.platform.labels import LABELS

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d/%m/%Y", "%Y年%m月%d日")
YES = {"yes", "y", "true", "1", "x", "是", "对", "✓"}
NO = {"no", "n", "false", "0", "否", ""}
LIST_SPLIT = re.compile(r"[;,、，；|]")


def squash(text: str) -> str:
    """Lower-case, NFKC, without spaces or punctuation: the form headers and enum words are compared in."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text or "").casefold())


@dataclass(frozen=True)
class Column:
    """One importable field: its key, heading for export, the headers it matches and whether it is required."""

    key: str
    heading: str
    aliases: tuple[str, ...] = ()
    required: bool = False


def auto_map(headers: tuple[str, ...], columns: tuple[Column, ...]) -> dict[str, int | None]:
    """Field key -> index of the header that names it (first match wins), or None."""
    by_name: dict[str, int] = {}
    for i, header in enumerate(headers):
        by_name.setdefault(squash(header), i)
    mapping: dict[str, int | None] = {}
    used: set[int] = set()
    for column in columns:
        found = None
        for name in (column.key, column.heading, *column.aliases):
            i = by_name.get(squash(name))
            if i is not None and i not in used:
                found = i
                break
        mapping[column.key] = found
        if found is not None:
            used.add(found)
    return mapping


def parse_mapping(raw: dict[str, str], headers: tuple[str, ...], columns: tuple[Column, ...]) -> dict[str, int | None]:
    """A mapping chosen on the preview form; raise ``FieldError`` for a column used twice or out of range."""
    mapping: dict[str, int | None] = {}
    used: dict[int, str] = {}
    for column in columns:
        value = (raw.get(f"map_{column.key}") or "").strip()
        if not value:
            mapping[column.key] = None
            continue
        if not value.isdigit() or int(value) >= len(headers):
            raise FieldError(f"map_{column.key}", _("Not a valid choice."))
        index = int(value)
        if index in used:
            raise FieldError(f"map_{column.key}", _("The column “%(name)s” is already used for another field.",
                                                     name=headers[index]))
        used[index] = column.key
        mapping[column.key] = index
    return mapping


class EnumReader:
    """Reads an enum cell as its value or its label in English or Chinese (built once per import)."""

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.enum_class = enum_class
        self.words: dict[str, enum.Enum] = {}
        for member in enum_class:
            self.words[squash(member.value)] = member
        for locale in ("en", "zh_Hans_CN"):
            with force_locale(locale):
                for member, text in LABELS.get(enum_class, {}).items():
                    self.words.setdefault(squash(str(text)), member)

    def one(self, cell: str, field: str) -> enum.Enum | None:
        if not cell.strip():
            return None
        member = self.words.get(squash(cell))
        if member is None:
            raise FieldError(field, _("“%(value)s” is not one of the choices.", value=cell[:60]))
        return member

    def many(self, cell: str, field: str) -> frozenset:
        return frozenset(m for part in LIST_SPLIT.split(cell) if part.strip()
                         for m in [self.one(part, field)] if m is not None)


def read_date(cell: str, field: str) -> date | None:
    text = cell.strip()
    if not text:
        return None
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2} ", text) else text
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError(field, _("“%(value)s” is not a date: use YYYY-MM-DD.", value=text[:40]))


def read_bool(cell: str, field: str) -> bool:
    word = squash(cell)
    if word in YES:
        return True
    if word in NO:
        return False
    raise FieldError(field, _("Write yes or no."))


def read_float(cell: str, field: str) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FieldError(field, _("Must be a number between %(lo)s and %(hi)s.", lo=-180, hi=180)) from None


def read_int(cell: str, field: str) -> int | None:
    text = cell.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise FieldError(field, _("Must be a whole number.")) from None


def normal_text(text: str | None) -> str:
    """Case-, width- and spacing-insensitive form of a name or address, for spotting duplicates."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().replace(",", " ").split())


# Results every import shares --------------------------------------------------

@dataclass
class RowResult:
    """One data row: ``status`` is ``new``, ``existing`` (already in Doorstep) or ``error``."""

    line: int
    name: str
    status: str = "new"
    errors: list[tuple[str, str]] = field(default_factory=list)
    data: Any = None  # the row as the aggregate's checked data class
    key: tuple | None = None  # who counts as the same record


@dataclass
class ImportPreview:
    rows: list[RowResult]
    missing: list[str]  # required fields no column is mapped to

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def bad_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "error"]

    @property
    def can_import(self) -> bool:
        return not self.missing and self.count("new") > 0


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int
    errors: int
    ids: tuple[int, ...]


def mark_duplicates(rows: list[RowResult], existing: set[tuple], field_name: str) -> None:
    """A row repeating an earlier row of the file is an error; one matching a stored record is ``existing``."""
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.key is None:
            continue
        if row.key in seen:
            row.status = "error"
            row.errors.append((field_name, _("Same record as line %(line)s.", line=seen[row.key])))
        elif row.key in existing:
            row.status = "existing"
        seen.setdefault(row.key, row.line)
