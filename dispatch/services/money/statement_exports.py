"""Statements off the screen: CSV and XLSX for the civil-affairs office.

Amounts are written in yuan with two decimals, computed from integer fen
(never through floats in CSV; XLSX cells hold the fen divided by 100 with a
0.00 format). Text a spreadsheet would run as a formula (a senior named
"=HYPERLINK(...)") is prefixed with an apostrophe in both formats.
"""
from __future__ import annotations

import csv
import io

from dispatch.platform.labels import label
from dispatch.services.money.statements import Statement

COLUMNS = ("site", "month", "senior_id", "senior", "date", "meal", "mode", "proof", "proof_id", "band",
           "price_yuan", "subsidy_yuan", "copay_yuan")


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _yuan(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, fen = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fen:02d}"


def _rows(st: Statement):
    month = st.month.strftime("%Y-%m")
    for ln in st.lines:
        yield [_cell(st.site.name), month, ln.senior_id, _cell(ln.senior_name), ln.service_date.isoformat(),
               ln.meal.value, ln.mode.value, ln.proof_kind.value, ln.proof_id, _cell(ln.band)], ln


def statement_csv(st: Statement) -> str:
    """One row per billed meal, then a total row (UTF-8, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for cells, ln in _rows(st):
        writer.writerow(cells + [_yuan(ln.price_cents), _yuan(ln.subsidy_cents), _yuan(ln.copay_cents)])
    writer.writerow(["total", st.month.strftime("%Y-%m"), "", "", "", "", "", "", st.total.meals, "",
                     _yuan(st.total.price_cents), _yuan(st.total.subsidy_cents), _yuan(st.total.copay_cents)])
    return out.getvalue()


def statement_xlsx(st: Statement) -> bytes:
    """A workbook: the meals sheet (as the CSV) and a summary by band."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Meals"
    sheet.append(list(COLUMNS))
    for cells, ln in _rows(st):
        sheet.append(cells + [ln.price_cents / 100, ln.subsidy_cents / 100, ln.copay_cents / 100])
    sheet.append(["total", st.month.strftime("%Y-%m"), None, None, None, None, None, None, st.total.meals, None,
                  st.total.price_cents / 100, st.total.subsidy_cents / 100, st.total.copay_cents / 100])
    for row in sheet.iter_rows(min_row=2, min_col=11, max_col=13):
        for cell in row:
            cell.number_format = "0.00"
    summary = book.create_sheet("By band")
    summary.append(["band", "meals", "price_yuan", "subsidy_yuan", "copay_yuan"])
    for band, t in sorted(st.by_band.items()):
        summary.append([_cell(band or str(label(None)) or "-"), t.meals, t.price_cents / 100, t.subsidy_cents / 100,
                        t.copay_cents / 100])
    for ws in (sheet, summary):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
