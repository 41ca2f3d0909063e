"""Reading an uploaded spreadsheet (CSV or XLSX) into plain rows of text, or refusing it whole.

Programs switching to Doorstep bring whatever their office software saved:
UTF-8 with or without a byte-order mark, or GB18030 from a Chinese Excel.
Anything doubtful is refused with a message the user can act on, before a
single row is looked at: a file we cannot read honestly must create nothing.
Formulas are never evaluated (an XLSX formula cell refuses the file; a CSV
cell that looks like one is kept as text and fails its field's check).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _

MAX_ROWS = 10_000
MAX_COLUMNS = 60
MAX_CELL = 2_000
# An XLSX is a zip: refuse one that would unpack past this (a "zip bomb").
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
# Spreadsheet programs quote these on export so a cell is never run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileRefused(ValueError):
    """The upload as a whole cannot be read; ``message`` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    """A sheet's header row and data rows; ``lines[i]`` is the line number of ``rows[i]`` in the file."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    encoding: str


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise FileRefused(_("The file says it is UTF-8 but is not: save it again as CSV (UTF-8).")) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(_("The file is UTF-16: save it again as CSV (UTF-8)."))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Chinese Excel saves "CSV" in GB18030 (GBK); its strict decoder still refuses random bytes.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise FileRefused(_("The file's text encoding could not be read: save it again as CSV (UTF-8).")) from None


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\r\n", "\n").strip()
    # Our own export quotes formula-looking text with an apostrophe; take it off again.
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _table(raw_rows: list[list[object]], encoding: str, first_line: int = 1) -> Table:
    header_at = None
    for i, row in enumerate(raw_rows):
        if any(_clean(c) for c in row):
            header_at = i
            break
    if header_at is None:
        raise FileRefused(_("The file is empty."))
    headers = [_clean(c) for c in raw_rows[header_at]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(_("The file has more than %(n)s columns.", n=MAX_COLUMNS))
    rows, lines = [], []
    for i, raw in enumerate(raw_rows[header_at + 1:], start=header_at + 1):
        cells = [_clean(c) for c in raw]
        if not any(cells):
            continue
        if any(cells[len(headers):]):
            raise FileRefused(_("Line %(line)s has more cells than the header row has names.", line=i + first_line))
        cells = (cells + [""] * len(headers))[:len(headers)]
        if any(len(c) > MAX_CELL for c in cells):
            raise FileRefused(_("Line %(line)s has a cell longer than %(n)s characters.", line=i + first_line, n=MAX_CELL))
        rows.append(tuple(cells))
        lines.append(i + first_line)
        if len(rows) > MAX_ROWS:
            raise FileRefused(_("The file has more than %(n)s rows: split it into several files.", n=MAX_ROWS))
    if not rows:
        raise FileRefused(_("The file has a header row but no data rows."))
    return Table(headers=tuple(headers), rows=tuple(rows), lines=tuple(lines), encoding=encoding)


def read_csv(data: bytes) -> Table:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(_("The file is UTF-16: save it again as CSV (UTF-8)."))
    if b"\x00" in data:
        raise FileRefused(_("This is not a CSV or XLSX spreadsheet."))
    text, encoding = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        raw_rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise FileRefused(_("The CSV file is malformed: %(reason)s", reason=str(error))) from None
    return _table(raw_rows, encoding)


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(name, XML part, state) of each sheet in order, from ``xl/workbook.xml`` and its relationships (small files)."""
    from xml.etree import ElementTree

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels if r.tag.endswith("Relationship")}
    parts = []
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet"):
            rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rel, "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            parts.append((sheet.get("name", ""), part, sheet.get("state", "visible")))
    return parts


def _scan(archive: zipfile.ZipFile, part: str | None, pattern: re.Pattern, *, stop_after: int) -> list[bytes]:
    """The matches of ``pattern`` in a sheet's XML, read as a stream in 1 MB pieces, up to ``stop_after`` of them.

    Why: openpyxl, even read-only, parses a whole sheet that has no ``<dimension>`` just to size it;
    counting ``<row>`` tags on the raw stream first stops a huge sheet after its first rows.
    """
    found: list[bytes] = []
    if not part or part not in archive.namelist():
        return found
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            for match in pattern.finditer(window):
                if match.end() > len(tail):  # not one already counted inside the carried tail
                    found.append(match.group(1) if pattern.groups else match.group())
                    if len(found) >= stop_after:
                        return found
            tail = window[-200:]
    return found


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z0-9:]{1,40})\"")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
RAW_ROW_LIMIT = MAX_ROWS + 100  # rows a sheet may hold, empty ones included (a header, some blank lines)


def read_xlsx(data: bytes, *, progress: Callable[[int], None] | None = None) -> Table:
    """Stream the first visible sheet (openpyxl ``read_only``): rows are read one at a time and the
    file is refused as soon as it passes ``MAX_ROWS``, so a small file that unpacks to a huge sheet
    costs the rows up to the limit, never the whole sheet in memory. ``progress(rows)`` is called
    every ``PROGRESS_EVERY`` rows (a background import shows it)."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(_("This is not an XLSX spreadsheet.")) from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise FileRefused(_("The spreadsheet is too large once unpacked."))
        if "xl/workbook.xml" not in archive.namelist():
            raise FileRefused(_("This is not an XLSX spreadsheet."))
        visible = [(name, part) for name, part, state in _sheet_parts(archive) if state == "visible"]
        part = visible[0][1] if visible else None
        if len(_scan(archive, part, _ROW, stop_after=RAW_ROW_LIMIT + 1)) > RAW_ROW_LIMIT:
            raise FileRefused(_("The file has more than %(n)s rows: split it into several files.", n=MAX_ROWS))
        try:
            # data_only=False: formulas come back as their text, so we can see (and refuse) them.
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise FileRefused(_("The spreadsheet could not be opened: it may be damaged.")) from None
        try:
            sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
            if not sheets:
                raise FileRefused(_("The spreadsheet has no visible sheet."))
            sheet = sheets[0]
            raw_rows = _stream_rows(sheet, progress)
        except FileRefused:
            raise
        except Exception:  # a damaged sheet part shows only while it is read
            raise FileRefused(_("The spreadsheet could not be opened: it may be damaged.")) from None
        finally:
            book.close()
        parts = {name: part for name, part, _state in _sheet_parts(archive)}
        if merged := _scan(archive, parts.get(sheet.title), _MERGE, stop_after=1):
            raise FileRefused(_("The sheet has merged cells (%(cells)s): unmerge them so each value has its own cell.",
                                cells=merged[0].decode("ascii", "replace")))
    return _table(raw_rows, "xlsx")


PROGRESS_EVERY = 1000


def _stream_rows(sheet, progress: Callable[[int], None] | None) -> list[list[object]]:
    raw_rows: list[list[object]] = []
    filled = 0
    for row in sheet.iter_rows():
        values = []
        for cell in row:
            value = cell.value
            if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
                raise FileRefused(_("Cell %(cell)s holds a formula: paste the values instead (formulas are "
                                    "never calculated here).", cell=cell.coordinate))
            values.append(value)
        raw_rows.append(values)
        if any(v not in (None, "") for v in values):
            filled += 1
            # The header row plus MAX_ROWS data rows; one more and the rest is never read.
            if filled > MAX_ROWS + 1:
                raise FileRefused(_("The file has more than %(n)s rows: split it into several files.", n=MAX_ROWS))
        if len(raw_rows) > RAW_ROW_LIMIT:  # openpyxl fills gaps between row numbers with empty rows
            raise FileRefused(_("The file has more than %(n)s rows: split it into several files.", n=MAX_ROWS))
        if progress is not None and len(raw_rows) % PROGRESS_EVERY == 0:
            progress(len(raw_rows))
    return raw_rows


def read_table(data: bytes, filename: str, *, progress: Callable[[int], None] | None = None) -> Table:
    """Read an upload by its content (the name only breaks ties); raise ``FileRefused``."""
    name = (filename or "").lower()
    if not data:
        raise FileRefused(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, progress=progress)
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise FileRefused(_("Old Excel files (.xls) are not read: save it as .xlsx or CSV (UTF-8)."))
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRefused(_("This is not an XLSX spreadsheet."))
    return read_csv(data)


def neutralise(value: str) -> str:
    """Quote text a spreadsheet program would run as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(headings: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(headings: list[str], rows: list[list[str]], title: str = "Sheet1") -> bytes:
    """Every cell as text (a leading apostrophe already quotes formula-looking values)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def digest(data: bytes) -> str:
    """The upload's fingerprint for the audit trail (which file was imported, without its contents)."""
    return hashlib.sha256(data).hexdigest()
