"""Coverage service, pages and commands: figures, assignment with overrides, CSV, siting uploads, access."""
from __future__ import annotations

import csv
import io
import math

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import AuditEvent, MealSite, Senior
from dispatch.services.coverage import circles as coverage
from tests.factories import create_senior, create_site, create_user, login_as

LAT, LON = 31.23, 121.47
M_PER_DEG = 111_195.0


def at(north_m: float, east_m: float) -> dict:
    return {"lat": LAT + north_m / M_PER_DEG, "lon": LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))}


@pytest.fixture
def world(app):
    """Site A (15-min walk, room for 10) and site B 5 km east (room for 1); two seniors near A,
    one near B, and one 3 km north of A: a gap."""
    a = create_site(name="Alpha canteen", circle_minutes=15, daily_capacity=10, **at(0, 0))
    b = create_site(name="Beta canteen", circle_minutes=15, daily_capacity=1, **at(0, 5000))
    near_a1 = create_senior(site=a, full_name="Near A one", neighbourhood="Riverside", **at(100, 0))
    near_a2 = create_senior(site=a, full_name="Near A two", neighbourhood="Riverside", **at(-200, 100))
    near_b = create_senior(site=b, full_name="Near B", neighbourhood="East", **at(0, 5100))
    gap = create_senior(site=a, full_name="=Far North", neighbourhood="Hilltop", lives_alone=True, **at(3000, 0))
    return {
        "a": a, "b": b, "near_a1": near_a1, "near_a2": near_a2, "near_b": near_b, "gap": gap,
        "admin": create_user("admin"), "staff_a": create_user("staff", sites=[a]),
        "staff_b": create_user("staff", sites=[b]), "family": create_user("family", seniors=[near_a1]),
        "worker": create_user("worker"),
    }


def logged_in(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def snapshot():
    sites = db.session.execute(sa.select(MealSite.__table__).order_by(MealSite.id)).all()
    seniors = db.session.execute(sa.select(Senior.__table__).order_by(Senior.id)).all()
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    db.session.rollback()
    return [sites, seniors, audits]


def test_report_counts_covered_and_gaps(world):
    report = coverage.coverage_report(world["admin"])
    assert (report.total, report.covered) == (4, 3)
    assert report.pct == pytest.approx(75.0)
    assert [g.id for g in report.gaps] == [world["gap"].id]
    assert report.gaps_by_neighbourhood == [("Hilltop", 1, 1)]
    # The gap still gets the nearest site with room, flagged as outside every circle.
    gap_row = report.gaps[0]
    assert gap_row.site.id == world["a"].id and gap_row.status == coverage.OUTSIDE


def test_moving_a_site_or_widening_its_circle_changes_coverage(world):
    a = db.session.get(MealSite, world["a"].id)
    a.circle_minutes = 60  # walking radius ~3.5 km: the gap 3 km north is now inside
    db.session.commit()
    assert coverage.coverage_report(world["admin"]).covered == 4
    a.circle_minutes = 15
    a.lat, a.lon = at(2900, 0)["lat"], at(2900, 0)["lon"]  # move A north: the gap is in, A's old seniors out
    db.session.commit()
    report = coverage.coverage_report(world["admin"])
    assert {g.id for g in report.gaps} == {world["near_a1"].id, world["near_a2"].id}


def test_apply_keeps_overrides_and_capacity(world):
    pinned = db.session.get(Senior, world["near_a1"].id)
    pinned.home_site_id, pinned.home_site_overridden = world["b"].id, True  # staff chose B, which holds 1
    near_b = db.session.get(Senior, world["near_b"].id)
    near_b.home_site_id = world["a"].id  # stale: the assignment should move them
    db.session.commit()
    applied = coverage.apply_assignment(by=world["admin"])
    db.session.expire_all()
    homes = {s.id: s.home_site_id for s in db.session.scalars(sa.select(Senior))}
    assert homes[world["near_a1"].id] == world["b"].id  # the override survived
    # B is full with the override, so the senior beside B goes to A, outside its circle.
    assert homes[world["near_b"].id] == world["a"].id
    assert applied.kept_overrides == 1
    loads = coverage.coverage_report(world["admin"])
    for row in loads.sites:
        assert row.load <= row.site.daily_capacity
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "coverage.assign")) == 1


def test_the_page_shows_map_figures_and_tables(app, world):
    response = logged_in(app, world["admin"]).get("/coverage/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-map-src="coverage-map"' in html and 'type="application/json" id="coverage-map"' in html
    assert "75.0 %" in html and "Alpha canteen" in html and "Hilltop" in html
    assert "vendor/leaflet/leaflet.js" in html and "<script>" not in html
    assert "approximation: straight-line distance × circuity" in html


def test_without_tiles_the_map_spec_says_so(app_config, world, app):
    app.config["MAP_TILE_URL"] = ""
    html = logged_in(app, world["admin"]).get("/coverage/").get_data(as_text=True)
    assert '"tiles": null' in html
    app.config["MAP_TILE_URL"] = "https://tiles.example/{z}/{x}/{y}.png"
    html = logged_in(app, world["admin"]).get("/coverage/").get_data(as_text=True)
    assert "https://tiles.example/{z}/{x}/{y}.png" in html


def test_gaps_csv_has_headers_and_rows(app, world):
    response = logged_in(app, world["admin"]).get("/coverage/gaps.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert tuple(rows[0]) == coverage.GAP_COLUMNS
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["senior_id"] == str(world["gap"].id)
    assert row["name"] == "'=Far North"  # a spreadsheet must not run it as a formula
    assert row["status"] == "outside" and row["assigned_site"] == "Alpha canteen"
    assert int(row["need_weight"]) >= 2  # lives alone


def test_staff_see_their_sites_only(app, world):
    html = logged_in(app, world["staff_b"]).get("/coverage/").get_data(as_text=True)
    assert "Beta canteen" in html and "Alpha canteen" not in html
    assert "Near A one" not in html
    rows = list(csv.reader(io.StringIO(
        logged_in(app, world["staff_b"]).get("/coverage/gaps.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1  # their seniors have no gap
    assert b"Assign home sites" not in logged_in(app, world["staff_a"]).get("/coverage/").data


@pytest.mark.parametrize("who", ["family", "worker"])
def test_family_and_workers_are_refused(app, world, who):
    client = logged_in(app, world[who])
    for method, url in (("get", "/coverage/"), ("get", "/coverage/gaps.csv"), ("post", "/coverage/suggest"),
                        ("post", "/coverage/assign"), ("get", "/coverage/new-site")):
        assert getattr(client, method)(url).status_code in (403, 404), url


def test_anonymous_is_sent_to_login(client, world):
    assert client.get("/coverage/").status_code in (302, 401)


def test_only_admins_assign_or_open_sites(app, world):
    staff = logged_in(app, world["staff_a"])
    before = snapshot()
    assert staff.post("/coverage/assign").status_code == 403
    assert staff.get("/coverage/new-site?lat=31.2&lon=121.4").status_code == 403
    assert snapshot() == before
    admin = logged_in(app, world["admin"])
    assert admin.post("/coverage/assign").status_code == 302


def upload(client, content: bytes, **fields):
    data = {"k": "1", "minutes": "15", "mode": "walk", **fields,
            "candidates": (io.BytesIO(content), "places.csv")}
    return client.post("/coverage/suggest", data=data, content_type="multipart/form-data")


def test_a_good_upload_suggests_the_place_near_the_gap(app, world):
    near_gap = at(2950, 0)
    far = at(-9000, -9000)
    content = f"name,lat,lon\nHill hall,{near_gap['lat']},{near_gap['lon']}\nNowhere,{far['lat']},{far['lon']}\n"
    before = snapshot()
    response = upload(logged_in(app, world["admin"]), content.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Hill hall" in html and "Nowhere" not in html.split('id="suggested"')[1]
    assert 'id="after-pct">100.0 %' in html and 'id="before-pct">75.0 %' in html
    assert snapshot() == before  # a what-if stores nothing


def test_the_grid_is_used_without_a_file(app, world):
    client = logged_in(app, world["admin"])
    response = client.post("/coverage/suggest", data={"k": "1", "minutes": "15", "mode": "walk"})
    assert response.status_code == 200
    assert 'id="after-pct">100.0 %' in response.get_data(as_text=True)


@pytest.mark.parametrize("content, words", [
    (b"", "The file is empty."),
    (b"x,y\n1,2\n", "must name the columns lat and lon"),
    (b"lat,lon\n95,121\n", "Line 2: lat must be a number between -90 and 90"),
    (b"lat,lon\n31.2,abc\n", "Line 2: lon must be a number"),
    (b"lat,lon\n", "The file has no candidate rows."),
    (b"\xff\xfe\x00l\x00a", "not UTF-8"),
])
def test_bad_uploads_get_a_clear_error_and_change_nothing(app, world, content, words):
    client = logged_in(app, world["admin"])
    before = snapshot()
    response = upload(client, content)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_bad_k_is_a_field_error(app, world):
    response = upload(logged_in(app, world["admin"]), b"lat,lon\n31.2,121.4\n", k="0")
    assert response.status_code == 422
    assert "between 1 and 20" in response.get_data(as_text=True)


def test_an_upload_over_the_limit_is_413_with_a_message(app, world):
    client = logged_in(app, world["admin"])
    before = snapshot()
    big = b"lat,lon\n" + b"31.2,121.4\n" * (9 * 1024 * 1024 // 11)
    response = upload(client, big)
    assert response.status_code == 413
    assert "larger than 8 MB" in response.get_data(as_text=True)
    assert snapshot() == before


def test_an_admin_opens_a_suggested_place_as_a_site(app, world):
    client = logged_in(app, world["admin"])
    spot = at(2950, 0)
    form = client.get(f"/coverage/new-site?lat={spot['lat']}&lon={spot['lon']}&name=Hill+hall&minutes=15&mode=walk")
    assert form.status_code == 200 and 'value="Hill hall"' in form.get_data(as_text=True)
    response = client.post("/coverage/new-site", data={
        "name": "Hill hall", "kind": "canteen", "address": "1 Hill Road", "lat": str(spot["lat"]),
        "lon": str(spot["lon"]), "daily_capacity": "20", "hold_limit_minutes": "45", "circle_minutes": "15",
        "circle_mode": "walk", "timezone": "Asia/Shanghai", "is_active": "y"})
    assert response.status_code == 302
    assert coverage.coverage_report(world["admin"]).covered == 4
    # The same rules as any new site: a taken name is refused and nothing is stored.
    before = snapshot()
    again = client.post("/coverage/new-site", data={
        "name": "hill HALL", "kind": "canteen", "address": "2 Hill Road", "lat": "31.2", "lon": "121.4",
        "daily_capacity": "20", "hold_limit_minutes": "45", "circle_minutes": "15", "circle_mode": "walk",
        "timezone": "Asia/Shanghai", "is_active": "y"})
    assert again.status_code == 422 and "already has this name" in again.get_data(as_text=True)
    assert snapshot() == before


def test_cli_coverage_and_suggest_sites(runner, world, tmp_path):
    result = runner.invoke(args=["coverage"])
    assert result.exit_code == 0, result.output
    assert "Coverage: 75.0 % (3 of 4 seniors" in result.output and "Alpha canteen" in result.output
    result = runner.invoke(args=["suggest-sites", "--k", "1", "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert "75.0 % -> 100.0 %" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    result = runner.invoke(args=["suggest-sites", "--k", "1", "--candidates", str(bad)])
    assert result.exit_code == 2 and "lat and lon" in result.output
    good = tmp_path / "good.csv"
    spot = at(2950, 0)
    good.write_text(f"name,lat,lon\nHill hall,{spot['lat']},{spot['lon']}\n")
    result = runner.invoke(args=["suggest-sites", "--k", "2", "--candidates", str(good)])
    assert result.exit_code == 0 and "Hill hall" in result.output and "+1 seniors" in result.output


def test_cli_apply_stores_home_sites(runner, world):
    near_b = db.session.get(Senior, world["near_b"].id)
    near_b.home_site_id = world["a"].id
    db.session.commit()
    result = runner.invoke(args=["coverage", "--apply"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Senior, world["near_b"].id).home_site_id == world["b"].id


def test_a_full_site_covers_no_more_than_its_capacity(app, world):
    """Beta (room for 1) has three seniors inside its circle: one is covered, two are gaps, and
    "Suggest sites" has them to work on (issue #22: a circle holding everyone read as 100 %)."""
    extra = [create_senior(site=world["b"], full_name=f"East {n}", neighbourhood="East", **at(60 * n, 5000 + 50 * n))
             for n in (1, 2)]
    db.session.commit()
    report = coverage.coverage_report(world["admin"])
    beta = next(r for r in report.sites if r.site.id == world["b"].id)
    assert (beta.in_circle, beta.served) == (3, 1)
    assert (report.total, report.covered) == (6, 3)  # near A one, near A two, and one of Beta's three
    gap_ids = {g.id for g in report.gaps}
    assert world["gap"].id in gap_ids and len(gap_ids & {world["near_b"].id, *(s.id for s in extra)}) == 2
    assert report.in_full_circles == 2 and all(g.in_circle for g in report.gaps if g.id != world["gap"].id)
    for row in report.sites:
        assert row.served <= row.site.daily_capacity

    html = logged_in(app, world["admin"]).get("/coverage/").get_data(as_text=True)
    assert "50.0 % (3 / 6)" in html and 'id="coverage-rule"' in html
    response = logged_in(app, world["admin"]).post("/coverage/suggest",
                                                   data={"k": "1", "minutes": "15", "mode": "walk"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="before-pct">50.0 %' in html and 'id="after-pct">50.0 %' not in html


def test_an_override_is_covered_only_while_its_site_has_room(world):
    """Two seniors pinned to Beta (room for 1), both inside its circle: the quicker one is covered."""
    for key, offset in (("near_b", 5100), ("near_a1", 5200)):
        senior = db.session.get(Senior, world[key].id)
        senior.home_site_id, senior.home_site_overridden = world["b"].id, True
        senior.lat, senior.lon = at(0, offset)["lat"], at(0, offset)["lon"]
    db.session.commit()
    rows = {r.id: r for r in coverage.coverage_report(world["admin"]).seniors}
    assert rows[world["near_b"].id].covered and not rows[world["near_a1"].id].covered
    assert rows[world["near_a1"].id].in_circle and rows[world["near_a1"].id].status == coverage.FIXED
