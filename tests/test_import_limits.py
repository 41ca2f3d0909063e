"""Uploads that cannot take the site down: a small XLSX that unpacks to a huge sheet is refused at the row
limit without reading the rest, and a big import runs as a background job."""
from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.services.imports.tabular import MAX_ROWS, MAX_UNPACKED_BYTES, FileRefused, read_table
from tests.factories import create_site, create_user, login_as
from tests.import_files import as_xlsx, many_rows_xlsx, senior_rows

BOMB_ROWS = 143_000  # what the probe sent: 3 MB that unpacked to 70 MB


def test_a_zip_bomb_like_sheet_is_refused_at_the_row_limit_without_reading_the_rest(app):
    data = many_rows_xlsx(BOMB_ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    # Small on the wire, big unpacked, yet under the unpacked-size cap: only the row limit can stop it.
    assert len(data) < 3 * 1024 * 1024 and 40 * 1024 * 1024 < unpacked < MAX_UNPACKED_BYTES
    read = []
    with app.test_request_context():
        try:
            read_table(data, "seniors.xlsx", progress=read.append)
        except FileRefused as refused:
            assert f"more than {MAX_ROWS:,}".replace(",", "") in refused.message.replace(",", "")
        else:
            raise AssertionError("the sheet was accepted")
    assert not read or max(read) <= MAX_ROWS + 1000, "rows were read past the limit"


def test_uploading_it_is_a_clear_422_and_creates_nothing(app, client):
    site = create_site(name="North canteen")
    login_as(client, create_user("staff", sites=[site]))
    response = client.post("/staff/import/seniors", data={"file": (io.BytesIO(many_rows_xlsx(BOMB_ROWS)), "s.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "split it into several files" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == 0


def test_a_sheet_at_the_limit_is_read_whole(app):
    with app.test_request_context():
        table = read_table(many_rows_xlsx(MAX_ROWS), "s.xlsx")
    assert len(table.rows) == MAX_ROWS and table.headers[0] == "Full name"


def test_a_big_import_runs_as_a_job_and_the_progress_page_is_the_users_own(app, client):
    from dispatch.services.imports.background import BACKGROUND_ROWS

    site = create_site(name="North canteen")
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    rows, bad = senior_rows(BACKGROUND_ROWS + 50, site_name=site.name, bad_share=0.0)
    response = client.post("/staff/import/seniors", data={"file": (io.BytesIO(as_xlsx(rows)), "s.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    url = response.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    from tests.test_senior_import import form_of

    done = client.post(url, data={**form_of(page), "action": "import"})
    # Without Redis the job runs in-process while the request waits, then lands on the list.
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/seniors")
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == BACKGROUND_ROWS + 50
    assert client.get("/staff/import/seniors/job/0123abcd").status_code == 404


def test_a_background_import_refused_half_way_stores_nothing_and_keeps_the_file(app, monkeypatch):
    """The job's edge commits once: a refusal after rows were flushed dooms the unit (services never roll back)."""
    from dispatch import jobs as job_entry
    from dispatch.platform import uploads
    from dispatch.platform.errors import FieldError
    from dispatch.services.imports import background
    from dispatch.services.imports import seniors as senior_import
    from dispatch.services.imports.columns import auto_map

    site = create_site(name="North canteen")
    staff = create_user("staff", sites=[site])
    db.session.commit()  # the factories flush; this test is the edge of its setup
    rows, _bad = senior_rows(3, site_name=site.name, bad_share=0.0)
    data = as_xlsx(rows)
    token = uploads.keep(data, "s.xlsx", user_id=staff.id)
    mapping = auto_map(read_table(data, "s.xlsx").headers, senior_import.COLUMNS)
    real_run = senior_import.run_import

    def run_then_refuse(*args, **kwargs):
        real_run(*args, **kwargs)  # the rows are flushed...
        raise FieldError("default_site", "refused at the end")  # ...and then the import is refused

    monkeypatch.setitem(background.IMPORTERS, "seniors", type("Importer", (), {"run_import": staticmethod(run_then_refuse)}))
    result = job_entry.import_job("seniors", token, staff.id, mapping, site.id)
    assert result["error"] == "refused at the end"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == 0
    assert uploads.load(token, user_id=staff.id) is not None  # kept for another try
