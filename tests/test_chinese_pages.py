"""Chinese that a Chinese kitchen and driver read: on the demo district's day, each role's main pages
in 简体中文 show the Chinese names on record and translated words, never a raw enum value or the
English seed text (English site, senior or worker names, English relation or allergen words)."""
from __future__ import annotations

import enum
import html
import json
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from dispatch.demo.day import prepare_demo_day
from dispatch.demo.district import ALLERGIES, generate_district
from dispatch.demo.seed import DEMO_EMAILS, DEMO_PASSWORD, seed_district
from dispatch.extensions import db
from dispatch.models import MealSite, Plan, Senior, ServiceRequest, User, Worker
from dispatch.platform.clock import FixedClock
from dispatch.platform.labels import LABELS
from tests.factories import login_as

DAY = date(2030, 3, 7)  # a Thursday
SHANGHAI_LATE_MORNING = datetime(2030, 3, 7, 3, 30, tzinfo=timezone.utc)  # 11:30 in the district
RELATIONS = ("son", "daughter", "niece", "nephew", "neighbour")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "REQUIRE_2FA_FOR_STAFF": False}


@pytest.fixture
def app_clock():
    return FixedClock(SHANGHAI_LATE_MORNING)


@pytest.fixture
def district(app):
    seed_district(generate_district(seed=3, today=DAY, seniors=60, sites=2))
    prepare_demo_day(DAY)
    db.session.commit()  # services flush; the fixture is the edge of its unit
    db.session.expire_all()


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # The signed-in account's name is what its owner typed (no Chinese form on record): not seed text here.
    page = re.sub(r'<li class="nav-user">.*?</li>', " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def english_left(text: str) -> list[str]:
    """English seed text and raw enum values found in ``text``.

    Free text that people type (access notes, a decline reason) is shown as typed: the demo's is English,
    so it is taken out before looking for raw values ("uses a walker" is not the ``walker`` enum)."""
    typed = list(db.session.scalars(sa.select(Senior.access_notes).where(Senior.access_notes.is_not(None))))
    typed += db.session.scalars(sa.select(ServiceRequest.status_reason).where(ServiceRequest.status_reason.is_not(None)))
    for note in typed:
        for part in filter(None, note.split("; ")):
            text = text.replace(part, " ")
    found = []
    for site in db.session.scalars(sa.select(MealSite)):
        if site.name_zh and site.name in text:
            found.append(site.name)
    for model in (Senior, Worker):
        for person in db.session.scalars(sa.select(model)):
            if person.full_name_zh and re.search(rf"\b{re.escape(person.full_name)}\b", text):
                found.append(person.full_name)
    for words in (RELATIONS, ALLERGIES):
        found += [w for w in words if re.search(rf"\b{re.escape(w)}\b", text)]
    for members in LABELS.values():
        for member in members:
            value = member.value if isinstance(member, enum.Enum) else str(member)
            if re.search(r"[a-z]", value) and re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text):
                found.append(value)
    return found


def login_zh(client, role: str) -> None:
    user = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS[role]))
    login_as(client, user, DEMO_PASSWORD)
    client.post("/lang/zh_Hans_CN", data={"next": "/"})


def test_staff_pages_in_chinese_show_no_english_seed_text(district, client):
    login_zh(client, "staff")
    staff = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["staff"]))
    site = staff.staff_sites[0].site
    plan = db.session.scalar(sa.select(Plan).where(Plan.site_id == site.id).order_by(Plan.id))
    urls = [f"/staff/today?site={site.id}&date={DAY.isoformat()}", f"/staff/board?site={site.id}&date={DAY.isoformat()}",
            f"/staff/kitchen?site={site.id}&date={DAY.isoformat()}&meal=lunch", "/staff/seniors", "/staff/workers",
            "/staff/sites"]
    if plan is not None:
        urls += [f"/staff/plans/{plan.id}", f"/staff/plans/{plan.id}/sheets"]
    senior = db.session.scalar(sa.select(Senior).where(Senior.home_site_id == site.id,
                                                        Senior.allergies.is_not(None)).order_by(Senior.id))
    if senior is not None:
        urls.append(f"/staff/seniors/{senior.id}")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
        text = visible_text(response.text)
        assert re.search(r"[\u4e00-\u9fff]", text), url
        left = english_left(text)
        assert left == [], (url, left)
    if plan is not None:  # the map's pins and popups (JSON in a script tag, which visible_text leaves out)
        page = client.get(f"/staff/plans/{plan.id}").text
        spec = re.search(r'<script type="application/json" id="plan-map">(.*?)</script>', page, re.S)
        assert spec, "the plan page carries its map"
        labels = json.loads(html.unescape(spec.group(1)))
        shown = " ".join(str(v) for layer in labels["layers"] for item in layer["items"]
                         for v in [item.get("label", "")] + list(item.get("popup", [])))
        assert re.search(r"[\u4e00-\u9fff]", shown) and english_left(shown) == [], english_left(shown)


def test_worker_and_family_pages_in_chinese_show_no_english_seed_text(district, client, app):
    login_zh(client, "worker")
    for url in ("/worker/today", "/worker/today/print"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
        left = english_left(visible_text(response.text))
        assert left == [], (url, left)
    client.post("/logout")
    other = app.test_client()
    login_zh(other, "family")
    response = other.get("/family/")
    assert response.status_code == 200
    left = english_left(visible_text(response.text))
    assert left == [], left
    for link in sorted(set(re.findall(r'href="(/family/seniors/\d+)"', response.text))):
        page = other.get(link)
        assert page.status_code == 200, link
        left = english_left(visible_text(page.text))
        assert left == [], (link, left)


def test_the_check_catches_english_names_in_a_chinese_page(district, app):
    """The check itself: English names or a raw value in the text are found."""
    site = db.session.scalar(sa.select(MealSite).order_by(MealSite.id))
    assert english_left(f"{site.name_zh} · published") == ["published"]
    assert site.name in english_left(f"{site.name} · 已发布")
