"""Reading one spreadsheet row into an aggregate's checked data: the shape every import uses.

An import names which reader fills which field (``take``); every refusal is kept with the column
it came from, so the preview shows all of a row's problems at once instead of the first.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask_babel import gettext as _

from dispatch.platform.errors import FieldError
from dispatch.services.imports.columns import RowResult, normal_text


class RowReader:
    """One data row being read: its cells by column key, the values read so far, the errors found."""

    def __init__(self, cells: tuple[str, ...], line: int, mapping: Mapping[str, int | None], *,
                 field_to_column: Mapping[str, str] | None = None) -> None:
        self.cells, self.mapping = cells, mapping
        self.field_to_column = field_to_column or {}
        self.values: dict[str, Any] = {}
        self.result = RowResult(line=line, name=self.cell("full_name")[:120])

    def cell(self, key: str) -> str:
        """The text in the column mapped to ``key`` ("" when no column is)."""
        index = self.mapping.get(key)
        return self.cells[index] if index is not None else ""

    def refuse(self, error: FieldError) -> None:
        self.result.errors.append((self.field_to_column.get(error.field, error.field), str(error.message)))

    def take(self, key: str, read: Callable[[], Any]) -> None:
        """Store ``read()`` as the value of ``key``, or keep its refusal."""
        try:
            self.values[key] = read()
        except FieldError as error:
            self.refuse(error)

    def home_site(self, sites: Mapping[str, int], default_site_id: int | None, *, required: bool = True) -> int | None:
        """The site named in the row (one of ``sites``, by normalised name), else the import's default."""
        name = self.cell("home_site").strip()
        if not name:
            if default_site_id is None and required:
                raise FieldError("home_site", _("Choose one of your sites."))
            return default_site_id
        site_id = sites.get(normal_text(name))
        if site_id is None:
            raise FieldError("home_site", _("“%(value)s” is not one of your sites.", value=name[:60]))
        return site_id

    def finish(self, build: Callable[[dict[str, Any]], Any], key: Callable[[Any], tuple]) -> RowResult:
        """Check the whole row with ``build`` (the aggregate's data class) and name its duplicate key."""
        result = self.result
        if not result.errors:
            try:
                result.data = build(self.values)
            except FieldError as error:
                self.refuse(error)
        if result.errors:
            result.status = "error"
        else:
            result.key = key(result.data)
        return result
