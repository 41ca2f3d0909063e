"""The phone pages of a county plan: the car driver sees the trunk run (village points in order, meals to
hand over, the boxes-off limit, directions); a village volunteer's meals are held from the car's departure."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.extensions import db
from dispatch.models.plan import RouteLeg
from dispatch.platform.clock import FixedClock
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, published_county

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def app_clock():
    return FixedClock(datetime(DAY.year, DAY.month, DAY.day, 8, 0, tzinfo=SHANGHAI))


def _as_worker(client, worker):
    user = create_user("worker")
    worker.user_id = user.id
    db.session.commit()
    login_as(client, user)


def test_the_drivers_phone_page_lists_the_village_points_in_order(app, client):
    plan = published_county()
    trunk = next(r for r in plan.routes if r.leg == RouteLeg.TRUNK and len(r.drops) >= 1)
    drops = sorted(trunk.drops, key=lambda d: d.position)
    _as_worker(client, trunk.worker)
    r = client.get("/worker/today")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "data-drops" in html and "Trunk run" in html and "leave the kitchen at" in html
    assert "No route published" not in html and "0 of 0 stops" not in html
    shown = [int(x) for x in re.findall(r'data-drop="(\d+)"', html)]
    assert shown == [d.village_point_id for d in drops]
    limit = timedelta(minutes=plan.site.insulated_hold_minutes)
    boxes_off = (trunk.start_dt + limit).astimezone(SHANGHAI).strftime("%H:%M")
    for d in drops:
        item = html[html.find(f'data-drop="{d.village_point_id}"'):]
        item = item[:item.find("</li>")]
        assert d.village_point.name in item and d.village_point.address in item
        assert f"{d.meals} meal" in item and f"{d.dine_in} dine in, {d.door_meals} to be walked" in item
        assert d.eta_dt.astimezone(SHANGHAI).strftime("%H:%M") in item
        assert f"Boxes off by {boxes_off}" in item
        assert "data-directions" in item and f"{d.village_point.lat:.6f}" in item
    total = sum(d.meals for d in drops)
    assert f"{len(drops)} village point" in html and f"({total} meal" in html


def test_the_drivers_page_reads_the_chinese_name_in_the_chinese_ui(app, client):
    plan = published_county()
    trunk = next(r for r in plan.routes if r.leg == RouteLeg.TRUNK)
    point = sorted(trunk.drops, key=lambda d: d.position)[0].village_point
    _as_worker(client, trunk.worker)
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    html = client.get("/worker/today").get_data(as_text=True)
    item = html[html.find(f'data-drop="{point.id}"'):]
    assert point.name_zh in item[:item.find("</li>")]


def test_a_village_volunteers_meals_are_held_from_the_cars_departure(app, client):
    plan = published_county()
    round_ = next(r for r in plan.routes if r.leg == RouteLeg.LAST_MILE and r.stops)
    _as_worker(client, round_.worker)
    html = client.get("/worker/today").get_data(as_text=True)
    left = round_.held_from_dt.astimezone(SHANGHAI).strftime("%H:%M")
    assert f"the meals left the kitchen on the car at {left}" in html
    # The door deadline counts the insulated limit from the car leaving, not the hot limit from the round's start.
    deadline = round_.held_from_dt + timedelta(minutes=plan.site.insulated_hold_minutes)
    assert f'data-deadline="{deadline.isoformat()}"' in html
    assert f"at the door by {deadline.astimezone(SHANGHAI).strftime('%H:%M')}" in html
