"""Spreadsheets to import, generated: good rows with a known share of bad ones, each bad for a stated reason."""
from __future__ import annotations

import random
from datetime import date, timedelta

from dispatch.services.imports.seniors import COLUMNS
from dispatch.services.imports.tabular import write_csv, write_xlsx

HEADINGS = [c.heading for c in COLUMNS]
# reason -> (column heading, bad value); "duplicate" repeats an earlier row instead.
BAD_KINDS = {
    "date": ("Date of birth", "31/31/1940"),
    "phone": ("Phone", "call me maybe"),
    "diet": ("Diet", "carnivore"),
    "category": ("Categories", "low_income; astronaut"),
    "name": ("Full name", ""),
    "young": ("Date of birth", "2010-05-05"),
    "site": ("Home site", "Nowhere canteen"),
    "duplicate": None,
}


def senior_rows(n: int, *, site_name: str, bad_share: float = 0.05, seed: int = 7) -> tuple[list[list[str]], dict[int, str]]:
    """``n`` data rows; returns them and {file line number: reason} for the bad ones (line 1 is the header)."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    bad: dict[int, str] = {}
    n_bad = round(n * bad_share)
    bad_at = set(rng.sample(range(1, n), n_bad))
    kinds = list(BAD_KINDS)
    for i in range(n):
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
        row = {
            "Full name": f"Import Person {i:05d}", "Name in Chinese": f"导入{i}", "Gender": rng.choice(["female", "male", "女"]),
            "Date of birth": born.isoformat(), "Phone": f"138 {i:04d} {rng.randrange(10000):04d}",
            "Address": f"{i} Import Lane, Block {i % 40}", "Address in Chinese": "", "Neighbourhood": "Jade Garden",
            "Latitude": "", "Longitude": "", "Lives alone": rng.choice(["yes", "no", "是"]),
            "Mobility": rng.choice(["independent", "Uses a walker", "wheelchair"]),
            "Diet": rng.choice(["regular", "Diabetic", "low_salt", "soft", "糖尿病餐"]),
            "Allergies": "", "Access notes": "ring twice",
            "Categories": rng.choice(["", "low_income", "aged_80_plus; disabled", "Low income, Disabled"]),
            "Home site": site_name, "Emergency contact": f"Child {i}", "Contact relation": "daughter",
            "Contact phone": f"139 {i:04d} 0000",
        }
        line = i + 2
        if i in bad_at:
            kind = kinds[len(bad) % len(kinds)]
            if kind == "duplicate":
                rows.append(list(rows[i - 1]))
                bad[line] = kind
                continue
            heading, value = BAD_KINDS[kind]
            row[heading] = value
            bad[line] = kind
        rows.append([row[h] for h in HEADINGS])
    return rows, bad


def as_csv(rows: list[list[str]], headings: list[str] = HEADINGS, encoding: str = "utf-8-sig") -> bytes:
    data = write_csv(headings, rows)
    return data if encoding == "utf-8-sig" else data.decode("utf-8-sig").encode(encoding)


def as_xlsx(rows: list[list[str]], headings: list[str] = HEADINGS) -> bytes:
    return write_xlsx(headings, rows)


def many_rows_xlsx(rows: int, headings: list[str] = HEADINGS) -> bytes:
    """An XLSX of ``rows`` identical data rows written straight as sheet XML: a few hundred kB that
    unpacks to tens of MB (a zip-bomb-like upload that stays under the unpacked-size cap)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cells(values) -> str:
        return "".join(f'<c t="inlineStr"><is><t>{escape(v)}</t></is></c>' if v else "<c/>" for v in values)

    sample = ["Import Person", "", "", "1940-05-06", "138 0000 0000", "1 Import Lane, Block 1", "",
              "Jade Garden", "", "", "", "", "regular", "", "ring twice", "", "North canteen"][:len(headings)]
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'))
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Seniors" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>'))
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            sheet.write(f"<row>{cells(headings)}</row>".encode())
            row = f"<row>{cells(sample)}</row>".encode()
            for _ in range(rows):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return body.getvalue()
