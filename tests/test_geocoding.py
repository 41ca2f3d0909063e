"""Geocoding against a local stub of Nominatim and Baidu: statuses, cache, outage, datums, shared pace, pins."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.geocode import GeocodeCache
from dispatch.models.senior import GeocodeStatus, Senior
from dispatch.platform import rate_limit
from dispatch.services.people import geocoding
from dispatch.services.people.datums import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)
from tests.factories import create_senior, create_site, create_user, login_as
from tests.geocode_stub import GeocodeStub, stub_config

SITE = (31.2304, 121.4737)
PLACES = {
    "12 Plum Lane, Shanghai": (31.2310, 121.4740),
    "Huangpu District, Shanghai": (31.2300, 121.4800, 6000),  # a district: bounding box of kilometres
    "12 Plum Lane, Beijing": (39.9042, 116.4074),  # precise, but 1,000 km from the home site
    # Baidu answers in BD-09 (the point below is WGS-84 31.2310, 121.4740 taken through GCJ-02 to BD-09).
    "上海市黄浦区梅花路12号": (*gcj02_to_bd09(*wgs84_to_gcj02(31.2310, 121.4740)), 1, 80),
}


@pytest.fixture(scope="module")
def stub():
    with GeocodeStub(PLACES) as server:
        yield server


@pytest.fixture
def app_config(app_config, stub):
    stub.down = False
    stub.hits.clear()
    return {**app_config, **stub_config(stub)}


@pytest.fixture
def site(app):
    return create_site(name="North canteen", lat=SITE[0], lon=SITE[1])


def pending(site, address, **extra) -> Senior:
    return create_senior(site=site, address=address, lat=None, lon=None, geocode_status=GeocodeStatus.PENDING, **extra)


# Datums -----------------------------------------------------------------------------------------

def test_datum_conversions_match_known_points():
    # Reference values of the widely used coordtransform library for (39.915, 116.404).
    assert gcj02_to_bd09(39.915, 116.404) == pytest.approx((39.92133699351022, 116.41036949371029), abs=1e-9)
    assert bd09_to_gcj02(39.915, 116.404) == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-9)
    assert wgs84_to_gcj02(39.915, 116.404) == pytest.approx((39.91640428150164, 116.41024449916938), abs=1e-9)
    # Its one-step inverse is approximate (~5 cm); ours iterates to the exact inverse.
    assert gcj02_to_wgs84(39.915, 116.404) == pytest.approx((39.91359571849836, 116.39775550083061), abs=1e-6)
    lat, lon = gcj02_to_wgs84(*wgs84_to_gcj02(31.2304, 121.4737))
    assert (lat, lon) == pytest.approx((31.2304, 121.4737), abs=1e-8)
    # BD-09's published formulas are not exact inverses of each other: they agree to ~0.1 m.
    assert bd09_to_wgs84(*gcj02_to_bd09(*wgs84_to_gcj02(31.2304, 121.4737))) == pytest.approx((31.2304, 121.4737), abs=3e-6)
    # Outside China nothing is offset.
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


# Statuses ---------------------------------------------------------------------------------------

def test_a_precise_nearby_match_is_ok_and_sends_a_real_user_agent(app, site, stub):
    senior = pending(site, "12 Plum Lane, Shanghai")
    run = geocoding.geocode_seniors()
    db.session.refresh(senior)
    assert run.statuses == {"ok": 1}
    assert senior.geocode_status == GeocodeStatus.OK
    assert (senior.lat, senior.lon) == pytest.approx((31.2310, 121.4740))
    assert [h[1] for h in stub.hits] == ["/search"]


def test_coarse_far_and_missing_matches_are_flagged_for_staff(app, site):
    coarse = pending(site, "Huangpu District, Shanghai")
    far = pending(site, "12 Plum Lane, Beijing")
    missing = pending(site, "Nowhere Street 0")
    geocoding.geocode_seniors()
    for senior in (coarse, far, missing):
        db.session.refresh(senior)
    assert coarse.geocode_status == GeocodeStatus.DOUBTFUL and coarse.lat is not None
    assert far.geocode_status == GeocodeStatus.DOUBTFUL
    assert missing.geocode_status == GeocodeStatus.FAILED and missing.lat is None


def test_answers_are_cached_by_normalised_address(app, site, stub):
    pending(site, "12 Plum Lane, Shanghai")
    pending(site, "12  plum lane shanghai")
    pending(site, "Nowhere Street 0")
    pending(site, "NOWHERE street 0")
    geocoding.geocode_seniors()
    assert len(stub.hits) == 2  # one call per distinct address, "no result" remembered too
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeocodeCache)) == 2
    statuses = [s.geocode_status for s in db.session.scalars(sa.select(Senior).order_by(Senior.id))]
    assert statuses == [GeocodeStatus.OK, GeocodeStatus.OK, GeocodeStatus.FAILED, GeocodeStatus.FAILED]


def test_an_outage_leaves_addresses_flagged_not_lost_and_they_are_located_later(app, site, stub):
    seniors = [pending(site, "12 Plum Lane, Shanghai", full_name=f"Out {i}") for i in range(5)]
    stub.down = True
    run = geocoding.geocode_seniors()
    assert run.outage and run.done == 0 and run.remaining == 5
    assert len(stub.hits) == geocoding.MAX_CONSECUTIVE_OUTAGES  # stops asking a geocoder that is down
    for senior in seniors:
        db.session.refresh(senior)
        assert senior.geocode_status == GeocodeStatus.PENDING and senior.address == "12 Plum Lane, Shanghai"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeocodeCache)) == 0  # an outage is not cached
    stub.down = False
    run = geocoding.geocode_seniors()
    assert run.statuses == {"ok": 5}


def test_chinese_addresses_go_to_baidu_and_are_stored_in_wgs84(app, app_config, site, stub):
    app.config["BAIDU_AK"] = "test-key"
    senior = pending(site, "12 Plum Lane", address_zh="上海市黄浦区梅花路12号")
    geocoding.geocode_seniors()
    db.session.refresh(senior)
    assert [h[1] for h in stub.hits] == ["/geocoding/v3/"]
    assert senior.geocode_status == GeocodeStatus.OK
    # The stub answered in BD-09; ~700 m off if stored unconverted, within half a metre once converted.
    assert (senior.lat, senior.lon) == pytest.approx((31.2310, 121.4740), abs=3e-6)


# The shared pace ----------------------------------------------------------------------------------

def test_slots_are_handed_out_one_interval_apart(app):
    waits = [rate_limit.reserve("test", 1.0) for _ in range(3)]
    assert waits[0] < 0.2
    assert waits[1] == pytest.approx(1.0, abs=0.2) and waits[2] == pytest.approx(2.0, abs=0.2)


def test_concurrent_callers_on_their_own_connections_never_share_a_slot(app):
    engine = db.engine
    starts = []
    lock = threading.Lock()

    def caller():
        for _ in range(3):
            start, _now = rate_limit.reserve_slot("concurrent", 0.05, engine=engine)
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 12
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 0.05 - 1e-6, gaps


# Staff pages ---------------------------------------------------------------------------------------

def test_staff_fix_a_doubtful_location_by_placing_the_pin(app, client, site):
    senior = pending(site, "Huangpu District, Shanghai")
    geocoding.geocode_seniors()
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    page = client.get("/staff/locations").get_data(as_text=True)
    assert "Location doubtful" in page and senior.full_name in page
    page = client.get(f"/staff/seniors/{senior.id}/location")
    assert page.status_code == 200 and b'"pin"' in page.data and b"<script>" not in page.data.replace(b"<script src", b"")
    db.session.refresh(senior)
    bad = client.post(f"/staff/seniors/{senior.id}/location", data={"lat": "91", "lon": "121", "version": senior.version})
    assert bad.status_code == 422
    stale = client.post(f"/staff/seniors/{senior.id}/location",
                        data={"lat": "31.2311", "lon": "121.4741", "version": senior.version - 1})
    assert stale.status_code == 409
    ok = client.post(f"/staff/seniors/{senior.id}/location",
                     data={"lat": "31.2311", "lon": "121.4741", "version": senior.version})
    assert ok.status_code == 302
    db.session.refresh(senior)
    assert senior.geocode_status == GeocodeStatus.MANUAL and (senior.lat, senior.lon) == (31.2311, 121.4741)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "senior.locate")) is not None


def test_another_sites_staff_cannot_move_the_pin(app, client, site):
    senior = pending(site, "12 Plum Lane, Shanghai")
    login_as(client, create_user("staff", sites=[create_site()]))
    assert client.get(f"/staff/seniors/{senior.id}/location").status_code == 404
    assert client.post(f"/staff/seniors/{senior.id}/location",
                       data={"lat": "1", "lon": "1", "version": senior.version}).status_code == 404


def test_the_locate_button_geocodes_in_process_without_redis(app, client, site):
    seniors = [pending(site, "12 Plum Lane, Shanghai", full_name=f"P {i}") for i in range(3)]
    login_as(client, create_user("staff", sites=[site]))
    response = client.post("/staff/locations/run")
    assert response.status_code == 302
    for senior in seniors:
        db.session.refresh(senior)
        assert senior.geocode_status == GeocodeStatus.OK


def test_on_postgresql_each_call_starts_an_interval_after_the_previous_one_ended(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the held-row pace is PostgreSQL's; SQLite reserves slots (tested above)")
    import time

    calls: list[tuple[float, float]] = []
    lock = threading.Lock()
    engine = db.engine

    def caller():
        for _ in range(2):
            with rate_limit.turn("held", 0.05, engine=engine):
                began = time.monotonic()
                time.sleep(0.01)  # the call itself
                with lock:
                    calls.append((began, time.monotonic()))

    threads = [threading.Thread(target=caller) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls.sort()
    assert len(calls) == 6
    assert all(nxt[0] - prev[1] >= 0.045 for prev, nxt in zip(calls, calls[1:])), calls


def test_the_geocode_command_locates_pending_addresses(app, runner, site):
    pending(site, "12 Plum Lane, Shanghai")
    pending(site, "Nowhere Street 0")
    result = runner.invoke(args=["geocode"])
    assert result.exit_code == 0, result.output
    assert "located 2: failed 1, ok 1; still pending 0" in result.output
