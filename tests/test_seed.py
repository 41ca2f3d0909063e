"""The demo district: a deterministic generator, a one-transaction seed, and the two commands."""
from __future__ import annotations

from collections import Counter
from datetime import date, time

import pytest
import sqlalchemy as sa

from dispatch.demo.district import (
    MEAL_BLOCKS,
    SERVICE_TYPES,
    STOPS_PER_RUN,
    delivered_meals,
    generate_district,
    haversine_m,
    meal_carriers,
)
from dispatch.demo.seed import DEMO_EMAILS, DEMO_PASSWORD
from dispatch.extensions import db
from dispatch.models import (
    FamilyLink,
    MealEnrollment,
    MealHold,
    MealSite,
    Senior,
    ServiceRequest,
    StaffSite,
    User,
    Worker,
)

TODAY = date(2026, 3, 12)  # a Thursday


@pytest.fixture(scope="module")
def district():
    return generate_district(seed=1, today=TODAY)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- the generator (no database)

def test_same_seed_gives_the_same_district(district):
    assert generate_district(seed=1, today=TODAY) == district


def test_another_seed_gives_another_district(district):
    other = generate_district(seed=2, today=TODAY)
    assert other != district
    assert [s.full_name_zh for s in other.seniors] != [s.full_name_zh for s in district.seniors]


def test_district_has_sites_with_capacities_and_windows(district):
    assert len(district.sites) >= 8
    assert {s.kind for s in district.sites} == {"canteen", "central_kitchen"}
    for site in district.sites:
        assert 60 <= site.daily_capacity <= 200
        assert site.hold_limit_minutes == 45 and site.circle_minutes == 15
        lunch = next(w for w in site.windows if w.meal == "lunch")
        assert (lunch.start, lunch.end) == (time(11, 0), time(12, 30))
    assert any(w.meal == "dinner" for s in district.sites for w in s.windows)
    assert len({s.name for s in district.sites}) == len(district.sites)


def test_seniors_live_in_clustered_compounds_inside_the_district(district):
    assert len(district.seniors) == 600
    compounds = {c.key: c for c in district.compounds}
    sizes = Counter(p.compound for p in district.seniors)
    assert all(20 <= n <= 80 for n in sizes.values())
    for p in district.seniors:
        assert district.bounds.contains(p.lat, p.lon)
        c = compounds[p.compound]
        assert haversine_m(p.lat, p.lon, c.lat, c.lon) <= 160
    side_km = haversine_m(district.bounds.south, district.bounds.west, district.bounds.north, district.bounds.west) / 1000
    assert 3.9 < side_km < 4.1


def test_seniors_are_varied_and_plausible(district):
    seniors = district.seniors
    alone = sum(p.lives_alone for p in seniors) / len(seniors)
    assert 0.2 < alone < 0.4
    assert all(60 <= p.age <= 100 for p in seniors)
    assert sum(70 <= p.age <= 85 for p in seniors) > len(seniors) / 2
    diets = Counter(p.diet for p in seniors)
    assert diets.most_common(1)[0][0] == "regular" and diets["regular"] > len(seniors) / 2
    assert {"diabetic", "low_salt", "soft", "halal", "vegetarian"} <= set(diets)
    for p in seniors:
        assert ("aged_80_plus" in p.categories) == (p.age >= 80)
        assert len(p.full_name_zh) in (2, 3, 4) and " " in p.full_name
        assert p.contacts and all(c.phone.isdigit() and len(c.phone) == 11 for c in p.contacts)
        nearest = min(district.sites, key=lambda s: haversine_m(p.lat, p.lon, s.lat, s.lon))
        assert p.home_site == nearest.key
    assert any("gate code" in p.access_notes for p in seniors)
    assert any(p.allergies for p in seniors)


def test_workers_have_skills_modes_capacities_and_valid_shifts(district):
    workers = district.workers
    assert len(workers) >= 40  # the general pool, plus meal drivers where orders need them
    assert {w.kind for w in workers} == {"driver", "caregiver", "nurse", "volunteer"}
    assert {w.travel_mode for w in workers} == {"walk", "e_bike", "car"}
    skills = {k for w in workers for k in w.skills}
    assert set(SERVICE_TYPES) | {"meal_delivery"} <= skills
    for w in workers:
        assert 8 <= w.capacity_meals <= 30
        assert w.shifts and all(0 <= s.weekday <= 6 and s.start < s.end for s in w.shifts)
        assert {s.weekday for s in w.shifts} & set(range(5))  # everyone works some weekdays
        if w.kind == "nurse":
            assert "medical_assistance" in w.skills


def test_every_site_has_enough_meal_runs_for_each_days_deliveries(district):
    """The roster a coordinator would make: each day's deliveries fit in runs of STOPS_PER_RUN doors."""
    for site in district.sites:
        for meal in MEAL_BLOCKS:
            for weekday in range(7):
                deliveries = delivered_meals(district.enrollments, site.key, meal, weekday)
                carriers = meal_carriers(district.workers, site.key, meal, weekday)
                assert len(carriers) * STOPS_PER_RUN >= deliveries, (site.key, meal, weekday)
                assert all(w.capacity_meals >= STOPS_PER_RUN for w in carriers if w.kind == "driver")


def test_enrollments_and_holds(district):
    enrolled = {e.senior for e in district.enrollments}
    assert len(enrolled) > 0.7 * len(district.seniors)
    assert {e.mode for e in district.enrollments} == {"delivery", "dine_in"}
    assert {e.meal for e in district.enrollments} == {"lunch", "dinner"}
    assert district.holds and all(h.covers(TODAY) for h in district.holds)
    assert {h.senior for h in district.holds} <= enrolled


def test_todays_service_requests_cover_every_type(district):
    requests = district.service_requests
    assert 20 <= len(requests) <= 40
    assert {r.service_type for r in requests} == set(SERVICE_TYPES)
    assert all(r.day == TODAY and r.window_start < r.window_end for r in requests)
    statuses = Counter(r.status for r in requests)
    assert statuses["requested"] + statuses["approved"] > len(requests) / 2
    urgent = [r for r in requests if r.service_type == "emergency_assistance" and r.priority == 1]
    assert len(urgent) >= 2


@pytest.mark.parametrize("seed, seniors, sites, workers", [
    (1, 600, 8, None), (2, 600, 8, None), (7, 300, 8, None), (3, 1200, 12, None), (4, 60, 3, 200), (5, 40, 1, 1100),
])
def test_worker_names_are_unique_in_english_and_in_chinese(seed, seniors, sites, workers):
    d = generate_district(seed=seed, today=TODAY, seniors=seniors, sites=sites, workers=workers)
    names = [w.full_name for w in d.workers]
    names_zh = [w.full_name_zh for w in d.workers]
    assert len(set(names)) == len(names), Counter(names).most_common(3)
    assert len(set(names_zh)) == len(names_zh), Counter(names_zh).most_common(3)
    assert all(" " in n and n.strip() == n for n in names)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_default_district_leaves_real_coverage_gaps_for_suggest_sites(seed):
    """Capacity counts: the kitchen's e-bike circle reaches everyone but has room for few, so the
    estates a walk from no canteen are gaps, and a new site among them would cover some."""
    from dispatch.routing.circles import CircleSite, Person, grid_candidates
    from dispatch.routing.coverage_solver import assign, choose_sites

    d = generate_district(seed=seed, today=TODAY)
    sites = [CircleSite(s.key, s.lat, s.lon, minutes=s.circle_minutes, mode=s.circle_mode,
                        capacity=s.daily_capacity) for s in d.sites]
    people = [Person(p.key, p.lat, p.lon) for p in d.seniors]
    result = assign(sites, people)
    assert result.covered.mean() > 0.95  # the kitchen's circle holds (nearly) them all...
    served = int(result.served.sum())
    assert 0.7 * len(people) <= served <= 0.95 * len(people)  # ...but not all of them have a site with room
    assert all(n <= s.capacity for n, s in zip(result.served_by_site(), sites))
    gaps = [p for p, ok in zip(people, result.served) if not ok]
    candidates = [CircleSite(n, lat, lon, minutes=15, mode="walk")
                  for n, (lat, lon) in enumerate(grid_candidates(gaps, spacing_m=300.0, limit=2000))]
    siting = choose_sites(candidates, gaps, 2, time_limit=10)
    assert siting.gain_people >= 0.2 * len(gaps)


def test_center_is_configurable():
    d = generate_district(seed=1, today=TODAY, seniors=40, sites=3, center="39.9042,116.4074")
    assert d.bounds.contains(39.9042, 116.4074)
    assert all(d.bounds.contains(s.lat, s.lon) for s in d.sites)
    with pytest.raises(ValueError):
        generate_district(seed=1, today=TODAY, center="nowhere")


# ---------------------------------------------------------------- seeding through the commands

def test_seed_command_fills_an_empty_database(app, runner):
    result = runner.invoke(args=["seed", "--seniors", "60", "--sites", "8", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert count(MealSite) == 8
    assert count(Senior) == 60
    assert count(Worker) >= 8
    assert count(MealEnrollment) > 0 and count(MealHold) > 0
    types = set(db.session.scalars(sa.select(ServiceRequest.service_type).where(
        ServiceRequest.requested_date == TODAY)))
    assert types == set(SERVICE_TYPES)
    for role, email in DEMO_EMAILS.items():
        assert email in result.output
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert [r.name for r in user.roles] == [role]
    staff = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["staff"]))
    assert len(staff.site_ids) == 2
    assert count(StaffSite) == 2
    family = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["family"]))
    links = db.session.scalars(sa.select(FamilyLink)).all()
    assert len(links) == 2 and {link.user_id for link in links} == {family.id}
    # The header shows this name: an account following two seniors is not one of them's "family".
    assert not any(link.senior.full_name in family.display_name for link in links), family.display_name
    worker = db.session.scalar(sa.select(Worker).where(Worker.user_id.is_not(None)))
    assert worker.user.email == DEMO_EMAILS["worker"]


def test_seeded_data_is_the_generated_district(app, runner):
    runner.invoke(args=["seed", "--seniors", "60", "--seed", "5", "--today", TODAY.isoformat(), "--no-logins"])
    expected = generate_district(seed=5, today=TODAY, seniors=60, sites=8)
    names = sorted(db.session.scalars(sa.select(Senior.full_name_zh)))
    assert names == sorted(p.full_name_zh for p in expected.seniors)
    assert count(User) == 0


def test_seeding_a_used_database_is_refused_and_changes_nothing(app, runner):
    first = runner.invoke(args=["seed", "--seniors", "60", "--today", TODAY.isoformat()])
    assert first.exit_code == 0, first.output
    before = (count(MealSite), count(Senior), count(Worker), count(User), count(ServiceRequest))

    again = runner.invoke(args=["seed", "--seniors", "80", "--seed", "9"])
    assert again.exit_code == 1
    assert "--reset" in again.output
    assert (count(MealSite), count(Senior), count(Worker), count(User), count(ServiceRequest)) == before


def test_reset_replaces_the_district(app, runner):
    runner.invoke(args=["seed", "--seniors", "60", "--today", TODAY.isoformat()])
    result = runner.invoke(args=["seed", "--reset", "--seniors", "70", "--sites", "9", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert (count(MealSite), count(Senior), count(User)) == (9, 70, 4)


def test_demo_logins_sign_in(app, runner, client):
    runner.invoke(args=["seed", "--seniors", "60", "--today", TODAY.isoformat()])
    response = client.post("/login", data={"email": DEMO_EMAILS["family"], "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_demo_without_serving_prints_the_four_logins(app, runner):
    result = runner.invoke(args=["demo", "--no-serve", "--seniors", "60"])
    assert result.exit_code == 0, result.output
    for email in DEMO_EMAILS.values():
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    assert count(Senior) == 60

    again = runner.invoke(args=["demo", "--no-serve", "--seniors", "60"])
    assert again.exit_code == 0, again.output
    assert "already seeded" in again.output and DEMO_EMAILS["admin"] in again.output
    assert count(Senior) == 60
