"""Dates and times people read: the locale's formats, on the site's wall clock (platform.datefmt)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from dispatch.extensions import db
from dispatch.models import MealType, MealWindow
from dispatch.platform import datefmt
from tests.factories import create_site, create_user, login_as

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 3, 4, 6, 5, 9, tzinfo=timezone.utc)  # 14:05:09 in Shanghai


@pytest.mark.parametrize("locale, expected", [
    ("en", {"time": "2:05\u202fPM", "seconds": "2:05:09\u202fPM", "date": "Mar 4, 2026",
            "full": "Wednesday, March 4, 2026", "datetime": "Mar 4, 2026, 2:05\u202fPM", "month": "Mar 2026",
            "range": "11:00\u202fAM–12:30\u202fPM", "short": "Wed, 3/4"}),
    ("zh_Hans_CN", {"time": "14:05", "seconds": "14:05:09", "date": "2026年3月4日", "full": "2026年3月4日星期三",
                    "datetime": "2026年3月4日 14:05", "month": "2026年3月", "range": "11:00–12:30",
                    "short": "3/4周三"}),
])
def test_each_helper_speaks_the_locale_on_the_sites_clock(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert datefmt.time_text(AT, SHANGHAI) == expected["time"]
        assert datefmt.seconds_text(AT, SHANGHAI) == expected["seconds"]
        assert datefmt.date_text(date(2026, 3, 4)) == expected["date"]
        assert datefmt.date_text(AT, "full", SHANGHAI) == expected["full"]
        assert datefmt.datetime_text(AT, SHANGHAI) == expected["datetime"]
        assert datefmt.month_text(date(2026, 3, 1)) == expected["month"]
        assert datefmt.time_range(time(11), time(12, 30)) == expected["range"]
        assert datefmt.day_short(date(2026, 3, 4)) == expected["short"]


def test_the_zone_can_be_a_site_and_naive_values_are_utc(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        site = create_site(timezone="Europe/London")
        assert datefmt.time_text(AT, site) == "06:05"  # London is on UTC in March
        assert datefmt.time_text(AT, SHANGHAI) == "14:05"
        # A naive value (SQLite, Flask-Security's login times) is UTC, shown in the deployment's zone.
        assert datefmt.time_text(AT.replace(tzinfo=None)) == "14:05"
        # An aware value already on a wall clock is shown as it is.
        assert datefmt.time_text(AT.astimezone(ZoneInfo("America/New_York"))) == "01:05"
        assert datefmt.time_text(None) == "" and datefmt.date_text(None) == ""
        assert datefmt.time_range(None, time(12)) == "?–12:00"


def test_a_chinese_staff_page_shows_24_hour_windows_and_an_english_one_the_locales(app, client):
    site = create_site(name="Alpha canteen", name_zh="甲食堂")
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    db.session.commit()
    login_as(client, create_user("staff", sites=[site]))
    english = client.get(f"/staff/sites/{site.id}").get_data(as_text=True)
    assert "11:00\u202fAM–12:30\u202fPM" in english
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    chinese = client.get(f"/staff/sites/{site.id}").get_data(as_text=True)
    assert "11:00–12:30" in chinese and "AM" not in chinese
