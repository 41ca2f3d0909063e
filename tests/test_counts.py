"""Counts read as words: "1 stop", not "1 stops"; one Chinese sentence, not "2 / 当班服务人员 3 人"."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, ngettext

from dispatch.services.meals import orders
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, small_site


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1}


def test_a_one_stop_route_says_one_stop_in_english_and_chinese(app, client):
    s = small_site(seniors=1, drivers=1)
    orders.generate_orders(s.site, DAY)
    login_as(client, create_user("staff", sites=(s.site,)))
    made = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                                  "meal": "lunch"})
    assert made.status_code == 302
    url = made.headers["Location"]
    page = client.get(url).text
    assert re.search(r"\b1 stop\b", page) and not re.search(r"\b1 stops\b", page)
    assert re.search(r"\b1 of 1 meal\b|\b1 of \d+ meals\b", page)
    assert re.search(r"\d+ of 1 worker on shift\b|\d+ of \d+ workers on shift", page)
    sheets = client.get(url.rstrip("/") + "/sheets").text
    assert re.search(r"\b1 stop\b", sheets) and "1 meal," in sheets and "0 visits" in sheets

    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    chinese = client.get(url).text
    assert "/ 当班服务人员" not in chinese and re.search(r"\d+ 条（当班服务人员共 \d+ 人）", chinese)
    assert "1 站" in chinese


@pytest.mark.parametrize("n, english, chinese", [
    (1, "1 address located.", "已定位 1 个地址。"), (3, "3 addresses located.", "已定位 3 个地址。"),
])
def test_counted_messages_take_the_plural_of_each_language(app, n, english, chinese):
    with app.test_request_context():
        with force_locale("en"):
            assert ngettext("%(num)s address located.", "%(num)s addresses located.", n) == english
        with force_locale("zh_Hans_CN"):
            assert ngettext("%(num)s address located.", "%(num)s addresses located.", n) == chinese
