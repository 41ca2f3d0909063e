"""Route sheets, GPX and iCalendar exports: content, formats, time zones, audit and access."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import icalendar
import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.senior import Diet, EmergencyContact
from dispatch.models.service_request import ServiceType
from dispatch.services.planning import exports
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

GPX_NS = {"g": "http://www.topografix.com/GPX/1/1"}


@pytest.fixture
def lunch(app):
    """A published lunch plan: route 1 with three stops, route 2 with one."""
    site = pf.add_lunch_window(create_site(name="East canteen", timezone="Asia/Shanghai"))
    wang = create_senior(site, full_name="Wang Fang", full_name_zh="王芳", phone="138 0000 1111",
                         address="12 Plum Lane, Block 3", access_notes="Gate code 4411; dog", diet=Diet.DIABETIC,
                         allergies="peanuts", lives_alone=True)
    db.session.add(EmergencyContact(senior_id=wang.id, name="Wang Mei", relation="daughter", phone="139 2222 3333"))
    db.session.commit()
    chen = create_senior(site, full_name="Chen Jun", diet=Diet.MINCED)
    li = create_senior(site, full_name="Li Na")
    zhao = create_senior(site, full_name="Zhao Lei")
    w1 = create_worker(site, full_name="Li Wei", phone="137 5555 6666")
    w2 = create_worker(site, full_name="Zhang Min")
    plan = pf.plan(site)
    r1 = pf.route(plan, w1, position=0)
    r2 = pf.route(plan, w2, position=1)
    stops = [
        pf.stop(r1, 0, chen, order=pf.meal_order(chen, site), eta="11:10"),
        pf.stop(r1, 1, wang, order=pf.meal_order(wang, site), eta="11:25"),
        pf.stop(r1, 2, li, order=pf.meal_order(li, site), eta="11:40"),
        pf.stop(r2, 0, zhao, order=pf.meal_order(zhao, site), eta="11:15"),
    ]
    staff = create_user("staff", sites=[site])
    return site, plan, (r1, r2), stops, staff


@pytest.fixture
def visits(app):
    """A published visits plan with two workers' visits; awkward characters in notes and addresses."""
    site = create_site(name="West canteen")
    a = create_senior(site, full_name="Zhou, Min; Jr.", address="5 Oak Rd, Flat 2; back door \\ side",
                      access_notes="Ring twice\nthen wait")
    b = create_senior(site, full_name="Sun Li", full_name_zh="孙丽", address="长寿路 88 弄 " * 8)
    w1 = create_worker(site, full_name="Nurse One")
    w2 = create_worker(site, full_name="Carer Two")
    plan = pf.plan(site, meal=None)
    r1 = pf.route(plan, w1, position=0, start="13:30", end="17:00")
    r2 = pf.route(plan, w2, position=1, start="13:30", end="17:00")
    s1 = pf.stop(r1, 0, a, request=pf.visit_request(a, site, minutes=45, notes="Bring towels, soap"),
                 window=("14:00", "16:00"), eta="14:05")
    s2 = pf.stop(r2, 0, b, request=pf.visit_request(b, site, service=ServiceType.COMPANIONSHIP, minutes=60),
                 window=("15:00", "17:00"), eta="15:00")
    return site, plan, (w1, w2), (s1, s2), create_user("staff", sites=[site])


def _audit(action="plan.export"):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# Route sheets ------------------------------------------------------------------

def test_route_sheets_list_stops_in_order_with_local_etas_and_tick_boxes(client, lunch):
    site, plan, (r1, r2), stops, staff = lunch
    login_as(client, staff)
    response = client.get(f"/staff/plans/{plan.id}/sheets")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sections = re.findall(r'<section class="route-sheet".*?</section>', html, re.S)
    assert len(sections) == 2  # one printed page per route
    first = sections[0]
    assert "Li Wei" in first and "137 5555 6666" in first
    names = [m for m in re.findall(r"Chen Jun|Wang Fang|Li Na", first)]
    assert names == ["Chen Jun", "Wang Fang", "Li Na"]
    # 11:10 Shanghai is 03:10 UTC: the sheet shows the site's time, in the locale's short format.
    assert "<strong>11:10\u202fAM</strong>" in first and "3:10" not in first
    assert "11:00\u202fAM–12:30\u202fPM" in first
    assert first.count('class="tick-box"') == 3
    wang_row = re.search(r'<tr class="sheet-stop".*?Wang Fang.*?</tr>', first, re.S).group(0)
    for text in ("Gate code 4411; dog", "Diabetic", "peanuts", "138 0000 1111", "Wang Mei", "139 2222 3333",
                 "Lives alone", "王芳"):
        assert text in wang_row
    assert "Zhao Lei" in sections[1] and "Zhao Lei" not in first
    assert "print.css" in html
    assert [(e.entity_id, e.detail["format"], e.user_id) for e in _audit()] == [(plan.id, "sheets", staff.id)]


def test_visit_sheet_names_the_service_and_duration(client, visits):
    site, plan, workers, stops, staff = visits
    login_as(client, staff)
    html = client.get(f"/staff/plans/{plan.id}/sheets").get_data(as_text=True)
    assert "Bathing (45 min)" in html and "Companionship (60 min)" in html


# GPX ------------------------------------------------------------------------------

def test_gpx_is_valid_1_1_with_points_in_stop_order(client, lunch):
    site, plan, (r1, r2), stops, staff = lunch
    login_as(client, staff)
    response = client.get(f"/staff/routes/{r1.id}.gpx")
    assert response.status_code == 200
    assert response.mimetype == "application/gpx+xml"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"].endswith('.gpx"')
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    assert root.get("version") == "1.1" and root.get("creator") == "Doorstep"
    points = root.findall("g:rte/g:rtept", GPX_NS)
    names = [p.find("g:name", GPX_NS).text for p in points]
    assert names == ["East canteen", "1. Chen Jun", "2. Wang Fang", "3. Li Na", "East canteen"]
    chen = stops[0].senior
    assert float(points[1].get("lat")) == pytest.approx(chen.lat, abs=1e-6)
    assert float(points[1].get("lon")) == pytest.approx(chen.lon, abs=1e-6)
    assert points[2].find("g:desc", GPX_NS).text == "12 Plum Lane, Block 3"
    assert _audit()[-1].detail == {"format": "gpx", "route_id": r1.id}


def test_gpx_leaves_out_a_stop_without_coordinates_and_escapes_names(app, lunch):
    site, plan, (r1, r2), stops, staff = lunch
    senior = stops[1].senior
    senior.lat = senior.lon = None
    stops[0].senior.full_name = "Chen <&> \"Jun\""
    db.session.commit()
    with app.test_request_context():  # the route's title is in the reader's language
        root = ET.fromstring(exports.route_gpx(db.session.get(type(r1), r1.id)))
    names = [p.text for p in root.findall("g:rte/g:rtept/g:name", GPX_NS)]
    assert names == ["East canteen", '1. Chen <&> "Jun"', "3. Li Na", "East canteen"]


# iCalendar ------------------------------------------------------------------------------

def test_ics_parses_with_events_in_utc_and_escaped_text(client, visits):
    site, plan, workers, (s1, s2), staff = visits
    login_as(client, staff)
    response = client.get(f"/staff/plans/{plan.id}/visits.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    raw = response.data
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert re.search(rb"\r\n [^\r\n]", raw), "the long Chinese address must be folded"
    calendar = icalendar.Calendar.from_ical(raw)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first = next(e for e in events if "Zhou" in str(e["SUMMARY"]))
    assert str(first["SUMMARY"]) == "Bathing: Zhou, Min; Jr."
    assert str(first["LOCATION"]) == "5 Oak Rd, Flat 2; back door \\ side"
    assert "Ring twice\nthen wait" in str(first["DESCRIPTION"])
    assert "Bring towels, soap" in str(first["DESCRIPTION"])
    start, end = first["DTSTART"].dt, first["DTEND"].dt
    assert start == datetime(2024, 5, 31, 6, 5, tzinfo=timezone.utc)  # 14:05 in Shanghai
    assert (end - start).total_seconds() == 45 * 60
    assert b"DTSTART:20240531T060500Z" in raw
    assert str(first["UID"]).startswith(f"stop-{s1.id}-plan-{plan.id}@")
    assert "DTSTAMP" in first
    second = next(e for e in events if "Sun Li" in str(e["SUMMARY"]))
    assert str(second["LOCATION"]) == "长寿路 88 弄 " * 8
    assert _audit()[-1].detail == {"format": "ics"}


def test_ics_per_worker_has_only_their_visits(client, visits):
    site, plan, (w1, w2), stops, staff = visits
    login_as(client, staff)
    response = client.get(f"/staff/plans/{plan.id}/workers/{w2.id}/visits.ics")
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Companionship: Sun Li"]
    assert _audit()[-1].detail == {"format": "ics", "worker_id": w2.id}


def test_ics_of_a_meal_plan_has_no_events(app, lunch):
    site, plan, routes, stops, staff = lunch
    text = exports.visits_ics(plan, exports.load_plan_routes(plan))
    assert "BEGIN:VEVENT" not in text and text.startswith("BEGIN:VCALENDAR\r\n")


@pytest.mark.parametrize("text", ["a" * 200, "é" * 100, "长" * 90, "x" + "😀" * 40])
def test_folding_keeps_lines_within_75_octets_and_unfolds_back(text):
    folded = exports.ical_fold("DESCRIPTION:" + text)
    assert all(len(line.encode("utf-8")) <= 75 for line in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + text


def test_escaping():
    assert exports.ical_escape('a,b;c\\d\ne\r\nf') == "a\\,b\\;c\\\\d\\ne\\nf"


# Access -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/plans/{plan}/sheets", "/staff/routes/{route}.gpx",
                                  "/staff/plans/{plan}/visits.ics"])
def test_export_access_matrix(client, lunch, path):
    site, plan, (r1, r2), stops, staff = lunch
    url = path.format(plan=plan.id, route=r1.id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login_as(client, create_user("staff", sites=[create_site(name="Elsewhere")]))
    assert client.get(url).status_code == 404
    client.post("/logout")
    for role in ("family", "worker"):
        login_as(client, create_user(role, seniors=[stops[0].senior] if role == "family" else ()))
        assert client.get(url).status_code == 403
        client.post("/logout")
    assert _audit() == []
    login_as(client, create_user("admin"))
    assert client.get(url).status_code == 200
    assert len(_audit()) == 1


def test_unknown_ids_are_404(client, lunch):
    site, plan, routes, stops, staff = lunch
    login_as(client, staff)
    for url in ("/staff/plans/999999/sheets", "/staff/routes/99999999999.gpx",
                f"/staff/plans/{plan.id}/workers/999999/visits.ics"):
        assert client.get(url).status_code == 404, url


# On a plan the planner made ------------------------------------------------------------------

@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1}


def test_exports_and_kitchen_follow_a_planned_and_published_lunch(client):
    from dispatch.models.site import MealType
    from dispatch.services import planning
    from dispatch.services.meals import kitchen, orders
    from tests.planning_helpers import DAY, small_site

    s = small_site(seniors=6)
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    plan = planning.start_planning(s.site, DAY, "meals", "lunch", by=None)
    db.session.expire_all()
    plan = planning.load_plan(plan.id)
    assert planning.check_plan(plan) == []
    assert client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version}).status_code == 302
    db.session.expire_all()
    plan = planning.load_plan(plan.id)
    routes = [r for r in plan.routes if r.stops]
    assert routes

    html = client.get(f"/staff/plans/{plan.id}/sheets").get_data(as_text=True)
    for route in routes:
        section = re.search(rf'<section class="route-sheet" id="sheet-route-{route.id}".*?</section>', html, re.S)
        in_sheet = [int(i) for i in re.findall(r'data-stop-id="(\d+)"', section.group(0))]
        assert in_sheet == [st.id for st in sorted(route.stops, key=lambda st: st.position)]
        gpx = ET.fromstring(client.get(f"/staff/routes/{route.id}.gpx").data)
        assert len(gpx.findall("g:rte/g:rtept", GPX_NS)) == len(route.stops) + 2

    sheet = kitchen.kitchen_sheet(s.site, DAY, MealType.LUNCH)
    assert sheet.plan.id == plan.id and sheet.total == 6
    for load, route in zip(sheet.routes, plan.routes):
        ordered = [st.meal_order_id for st in sorted(route.stops, key=lambda st: st.position)]
        assert [item.label.order.id for item in load.items] == list(reversed(ordered))
    placed = sum(len(load.items) for load in sheet.routes)
    assert placed + len(sheet.unrouted) == 6


# The plan page links to its exports -------------------------------------------------

def _links(html: str) -> set[str]:
    return {m.replace("&amp;", "&") for m in re.findall(r'href="([^"]+)"', html)}


def test_plan_page_links_to_its_route_sheets_and_each_routes_gpx(client, lunch):
    site, plan, (r1, r2), stops, staff = lunch
    login_as(client, staff)
    links = _links(client.get(f"/staff/plans/{plan.id}").get_data(as_text=True))
    sheets = f"/staff/plans/{plan.id}/sheets"
    assert sheets in links
    assert {f"{sheets}#sheet-route-{r1.id}", f"{sheets}#sheet-route-{r2.id}"} <= links
    assert {f"/staff/routes/{r1.id}.gpx", f"/staff/routes/{r2.id}.gpx"} <= links
    assert not any(link.endswith(".ics") for link in links), "a lunch plan has no visits calendar"
    for link in (sheets, f"/staff/routes/{r1.id}.gpx"):
        assert client.get(link).status_code == 200, link
    # The sheets page prints (a button wired by print.js, no inline script) and leads back.
    page = client.get(sheets).get_data(as_text=True)
    assert "data-print" in page and "/static/print.js" in page and f"/staff/plans/{plan.id}" in _links(page)


def test_visits_plan_page_links_to_its_calendar(client, visits):
    site, plan, workers, stops, staff = visits
    login_as(client, staff)
    links = _links(client.get(f"/staff/plans/{plan.id}").get_data(as_text=True))
    assert f"/staff/plans/{plan.id}/visits.ics" in links and f"/staff/plans/{plan.id}/sheets" in links
    assert client.get(f"/staff/plans/{plan.id}/visits.ics").status_code == 200
