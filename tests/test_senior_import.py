"""Importing seniors from CSV/XLSX: preview, per-row errors, one transaction, idempotent re-import, round trip,
and malformed files refused with nothing created."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.senior import Diet, GeocodeStatus, Senior, SeniorCategoryType
from dispatch.services.imports import seniors as senior_import
from dispatch.services.imports.columns import auto_map
from dispatch.services.imports.tabular import FileRefused, read_table
from tests.factories import create_senior, create_site, create_user, login_as
from tests.import_files import HEADINGS, as_csv, as_xlsx, senior_rows


def count_seniors() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Senior))


@pytest.fixture
def site(app):
    return create_site(name="North canteen")


@pytest.fixture
def staff(site):
    return create_user("staff", sites=[site])


@pytest.fixture
def in_request(app):
    """Service calls outside a view still need a request for the user's language."""
    with app.test_request_context():
        yield


def upload(client, data: bytes, filename: str):
    return client.post("/staff/import/seniors", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return response.headers["Location"]


def form_of(page: str) -> dict:
    """The mapping the preview page chose (selected options), as the browser would post it."""
    data = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        data[name] = (selected.group(1) or selected.group(2) or "") if selected else ""
    return data


def test_headers_match_by_name_in_either_language():
    headers = ("姓名", "出生日期", "Home Address", "diet", "unrelated")
    mapping = auto_map(headers, senior_import.COLUMNS)
    assert mapping["full_name"] == 0 and mapping["date_of_birth"] == 1 and mapping["address"] == 2
    assert mapping["diet"] == 3 and mapping["phone"] is None


def test_2000_rows_with_5_percent_bad_import_the_good_and_name_every_bad_row(app, client, site, staff):
    rows, bad = senior_rows(2000, site_name=site.name)
    assert len(bad) == 100
    login_as(client, staff)
    url = preview_url(upload(client, as_csv(rows), "seniors.csv"))
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1900 new, ready to import" in text and "100 with errors" in text
    for line in bad:
        assert f'data-label="Line">{line}</td>' in text, f"bad line {line} not listed"
    response = client.post(url, data={**form_of(text), "action": "import"})
    assert response.status_code == 302
    assert count_seniors() == 1900
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.import"))
    assert event.detail["created"] == 1900 and event.detail["errors"] == 100
    assert "Import Person" not in str(event.detail)  # counts and ids, never names

    # The same file again: everything is recognised, nothing is added.
    url = preview_url(upload(client, as_csv(rows), "seniors.csv"))
    text = client.get(url).get_data(as_text=True)
    assert "0 new, ready to import" in text and "1900 already recorded" in text
    assert "Import 0 new seniors" not in text  # no import button when there is nothing to add
    client.post(url, data={**form_of(text), "action": "import"})
    assert count_seniors() == 1900


def test_each_kind_of_bad_row_gets_its_reason(app, site, staff, in_request):
    rows, bad = senior_rows(40, site_name=site.name, bad_share=0.2, seed=3)
    table = read_table(as_csv(rows), "x.csv")
    checked = senior_import.preview(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
    reasons = {r.line: r.errors for r in checked.bad_rows}
    assert set(reasons) == set(bad)
    expected_field = {"date": "date_of_birth", "phone": "phone", "diet": "diet", "category": "categories",
                      "name": "full_name", "young": "date_of_birth", "site": "home_site", "duplicate": "full_name"}
    for line, kind in bad.items():
        assert expected_field[kind] in {field for field, _ in reasons[line]}, (kind, reasons[line])


def test_existing_senior_matched_by_name_birth_date_and_address_despite_case_and_spaces(app, site, staff, in_request):
    from datetime import date
    create_senior(site=site, full_name="Wang Fang", date_of_birth=date(1941, 3, 2), address="12 Plum Lane")
    rows = [["wang  fang", "", "", "1941-03-02", "", "12 PLUM LANE", *[""] * 10, site.name, "Li", "son", "139 0000 1111"]]
    table = read_table(as_csv(rows), "x.csv")
    checked = senior_import.preview(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
    assert [r.status for r in checked.rows] == ["existing"]


def test_staff_cannot_import_into_another_sites_senior_list(app, site, staff, in_request):
    other = create_site(name="South canteen")
    rows, _ = senior_rows(3, site_name=other.name, bad_share=0)
    table = read_table(as_csv(rows), "x.csv")
    checked = senior_import.preview(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
    assert {r.status for r in checked.rows} == {"error"}
    assert checked.rows[0].errors[0][0] == "home_site"


def test_export_then_import_round_trips_and_adds_nothing(app, client, site, staff, in_request):
    rows, _ = senior_rows(30, site_name=site.name, bad_share=0)
    table = read_table(as_xlsx(rows), "x.xlsx")
    senior_import.run_import(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
    senior = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Import Person 00003"))
    senior.lat, senior.lon, senior.phone = 31.2, 121.4, "+86 138 0000 0003"
    senior.access_notes = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    before = {s.id: (s.full_name, s.diet, s.category_values, s.lat, s.phone, s.access_notes,
                     [(c.name, c.phone) for c in s.contacts]) for s in db.session.scalars(sa.select(Senior))}
    login_as(client, staff)
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/staff/seniors/export.{fmt}")
        assert response.status_code == 200
        body = response.data
        if fmt == "csv":
            assert body.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in body  # neutralised, not a live formula
        table = read_table(body, f"seniors.{fmt}")
        assert table.headers == tuple(HEADINGS)
        checked = senior_import.preview(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
        assert [r.status for r in checked.rows] == ["existing"] * 30, checked.bad_rows[:1]
        by_name = {r.data.full_name: r.data for r in checked.rows}
        data = by_name["Import Person 00003"]
        assert (data.lat, data.phone, data.access_notes) == (31.2, "+86 138 0000 0003", "=HYPERLINK(\"http://evil\")")
        for sid, (name, diet, cats, lat, phone, notes, contacts) in before.items():
            d = by_name[name]
            assert (d.diet, set(d.categories), d.lat, d.phone, d.access_notes) == (diet, cats, lat, phone, notes)
            assert [(c.name, c.phone) for c in d.contacts] == contacts[:1]


def test_imported_rows_carry_their_values(app, site, staff, in_request):
    rows, _ = senior_rows(5, site_name=site.name, bad_share=0)
    rows[0][HEADINGS.index("Diet")] = "Low salt"
    rows[0][HEADINGS.index("Categories")] = "低保、Disabled"
    rows[0][HEADINGS.index("Latitude")], rows[0][HEADINGS.index("Longitude")] = "31.25", "121.5"
    table = read_table(as_csv(rows), "x.csv")
    result = senior_import.run_import(table, auto_map(table.headers, senior_import.COLUMNS), by=staff)
    assert result.created == 5
    first = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Import Person 00000"))
    assert first.diet == Diet.LOW_SALT and first.home_site_id == site.id
    assert first.category_values == {SeniorCategoryType.LOW_INCOME, SeniorCategoryType.DISABLED}
    assert first.geocode_status == GeocodeStatus.MANUAL and first.contacts[0].relation == "daughter"
    second = db.session.scalar(sa.select(Senior).where(Senior.full_name == "Import Person 00001"))
    assert second.geocode_status == GeocodeStatus.PENDING and second.lat is None


def test_columns_can_be_remapped_on_the_preview(app, client, site, staff):
    headings = ["Who", "Born", "Where", "Emergency contact", "Contact relation", "Contact phone"]
    rows = [["Li Hua", "1944-02-03", "5 Elm Road", "Li Jun", "son", "139 1234 5678"]]
    login_as(client, staff)
    url = preview_url(upload(client, as_csv(rows, headings), "odd.csv"))
    text = client.get(url).get_data(as_text=True)
    assert "Choose a column for every required field" in text
    data = {**form_of(text), "map_full_name": "0", "map_date_of_birth": "1", "map_address": "2", "action": "preview"}
    text = client.post(url, data=data).get_data(as_text=True)
    assert "1 new, ready to import" in text
    # The same column twice is refused, nothing imported.
    response = client.post(url, data={**data, "map_phone": "0", "action": "import"})
    assert response.status_code == 422 and count_seniors() == 0
    response = client.post(url, data={**data, "action": "import"})
    assert response.status_code == 302 and count_seniors() == 1


def test_another_users_upload_token_is_404(app, client, site, staff):
    rows, _ = senior_rows(2, site_name=site.name, bad_share=0)
    login_as(client, staff)
    url = preview_url(upload(client, as_csv(rows), "a.csv"))
    other = app.test_client()
    login_as(other, create_user("staff", sites=[site]))
    assert other.get(url).status_code == 404
    assert other.post(url, data={"action": "import"}).status_code == 404
    assert client.get("/staff/import/seniors/../../etc").status_code == 404


@pytest.mark.parametrize("role", ["worker", "family"])
def test_only_staff_and_admins_import_or_export(app, client, site, role):
    login_as(client, create_user(role))
    assert client.get("/staff/import/seniors").status_code in (403, 404)
    assert client.get("/staff/seniors/export.csv").status_code in (403, 404)


# Encodings and malformed files ---------------------------------------------------------------

def test_gb18030_and_utf8_without_bom_are_read(app, in_request):
    rows = [["王芳", "1940-01-01", "上海市黄浦区梅花路12号"]]
    for encoding in ("gb18030", "utf-8"):
        table = read_table(as_csv(rows, ["姓名", "出生日期", "地址"], encoding=encoding), "x.csv")
        assert table.rows[0][0] == "王芳" and table.headers[0] == "姓名"


def _xlsx(fill) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    sheet.append(["A"] * len(HEADINGS))
    fill(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MALFORMED = {
    "undecodable": (b"Full name,Date of birth,Address\n\xff\xfe\xfa\x80,1940-01-01,x\n", "x.csv", "encoding"),
    "utf16": ("Full name\n".encode("utf-16"), "x.csv", "UTF-16"),
    "binary": (bytes(range(256)) * 4, "x.csv", "not a CSV"),
    "old excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls", ".xls"),
    "fake xlsx": (b"PK\x03\x04 not really a zip", "x.xlsx", "not an XLSX"),
    "pdf named xlsx": (b"%PDF-1.4 ...", "x.xlsx", "not an XLSX"),
    "empty": (b"", "x.csv", "empty"),
    "header only": (b"Full name,Date of birth\n", "x.csv", "no data rows"),
    "merged": (_xlsx(lambda s: s.merge_cells("A2:B2")), "x.xlsx", "merged cells"),
    "formula": (_xlsx(lambda s: s.__setitem__("C2", "=1+1")), "x.xlsx", "formula"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_files_are_refused_with_a_reason_and_create_nothing(app, client, staff, name, in_request):
    data, filename, words = MALFORMED[name]
    with pytest.raises(FileRefused) as refused:
        read_table(data, filename)
    assert words.lower() in refused.value.message.lower()
    login_as(client, staff)
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert words.lower() in response.get_data(as_text=True).lower()
    assert count_seniors() == 0


def test_an_upload_over_the_size_limit_gets_a_clear_413_page(app_config, site):
    from dispatch import create_app
    from tests.factories import FreshContextClient

    app = create_app({**app_config, "UPLOAD_MAX_MB": 1})
    app.test_client_class = FreshContextClient
    with app.app_context():
        staff = create_user("staff", sites=[site.id])
        client = app.test_client()
        login_as(client, staff)
        response = upload(client, b"a,b\n" * (300 * 1024), "big.csv")
        assert response.status_code == 413
        assert "up to 1 MB" in response.get_data(as_text=True)
        assert count_seniors() == 0


# Workers ----------------------------------------------------------------------------------------

def test_workers_import_with_per_row_errors_and_a_second_import_adds_nothing(app, client, site, staff):
    from dispatch.models.worker import Skill, Worker, WorkerKind
    from dispatch.services.imports import workers as worker_import

    headings = ["Name", "Phone", "Role", "Travel mode", "Meals carried", "Skills", "Site"]
    rows = [
        ["Li Wei", "138 0000 0001", "driver", "car", "12", "meal_delivery", site.name],
        ["Zhou Min", "138 0000 0002", "护理员", "walk", "", "Bathing; companionship", site.name],
        ["Bad Kind", "138 0000 0003", "astronaut", "", "", "", site.name],
        ["Bad Skill", "138 0000 0004", "volunteer", "", "", "juggling", site.name],
        ["Too Much", "138 0000 0005", "driver", "", "999", "", site.name],
        ["Li Wei", "138-0000-0001", "driver", "", "", "", site.name],  # same person as line 2
    ]
    login_as(client, staff)
    url = preview_url(client.post("/staff/import/workers", data={"file": (io.BytesIO(as_csv(rows, headings)), "w.csv")},
                                  content_type="multipart/form-data"))
    text = client.get(url).get_data(as_text=True)
    assert "2 new, ready to import" in text and "4 with errors" in text
    assert client.post(url, data={**form_of(text), "action": "import"}).status_code == 302
    workers = {w.full_name: w for w in db.session.scalars(sa.select(Worker))}
    assert set(workers) == {"Li Wei", "Zhou Min"}
    assert workers["Zhou Min"].kind == WorkerKind.CAREGIVER
    assert workers["Zhou Min"].skill_values == {Skill.BATHING, Skill.COMPANIONSHIP}
    # Export, import back: all recognised.
    body = client.get("/staff/workers/export.xlsx").data
    with app.test_request_context():
        table = read_table(body, "workers.xlsx")
        checked = worker_import.preview(table, auto_map(table.headers, worker_import.COLUMNS), by=staff)
    assert [r.status for r in checked.rows] == ["existing", "existing"]
