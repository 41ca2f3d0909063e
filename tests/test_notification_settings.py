"""A family member chooses how news reaches them; the outbox follows the choice; bad choices change nothing."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.notification import Notification, NotificationPreference
from dispatch.models.user import User
from dispatch.services.family import notifications
from tests.factories import create_senior, create_site, create_user, login_as

VALID = {"email_enabled": "y", "email": "", "phone": "", "wechat_id": "", "locale": ""}


@pytest.fixture
def family(app, client):
    senior = create_senior(create_site())
    user = create_user("family", seniors=[senior], email="li@example.org")
    login_as(client, user)
    return user, senior


def _rows(senior) -> set[tuple[str, str]]:
    return {(r.channel.value, r.address) for r in db.session.scalars(
        sa.select(Notification).where(Notification.senior_id == senior.id))}


def test_the_page_shows_the_defaults_a_person_gets_without_a_choice(family, client):
    page = client.get("/family/notifications")
    assert page.status_code == 200
    tags = {m.group(1): m.group(0) for m in re.finditer(r'<input[^>]*name="(\w+_enabled)"[^>]*>', page.text)}
    assert "checked" in tags["email_enabled"]  # e-mail on, SMS and WeChat off
    assert "checked" not in tags["sms_enabled"] and "checked" not in tags["wechat_enabled"]
    assert "li@example.org" in page.text  # the account address is named as what is used now
    for field in ("email", "phone", "wechat_id", "locale"):
        assert f'<label for="{field}"' in page.text  # every field has a label


def test_chosen_channels_and_addresses_decide_the_outbox_rows(family, client):
    user, senior = family
    response = client.post("/family/notifications", data={
        "email_enabled": "y", "email": " Li.Work@Example.org ", "sms_enabled": "y", "phone": "+86 139 0000 0001",
        "wechat_enabled": "y", "wechat_id": "li_family_01", "locale": "zh_Hans_CN"})
    assert response.status_code == 302
    notifications.emit("request_approved", senior_id=senior.id, payload={"service": "bathing"})
    db.session.commit()
    assert _rows(senior) == {("email", "Li.Work@example.org"), ("sms", "+86 139 0000 0001"),
                             ("wechat", "li_family_01")}
    assert db.session.get(User, user.id).locale == "zh_Hans_CN"


def test_turning_email_off_stops_email_and_turning_all_off_is_allowed_with_a_warning(family, client):
    user, senior = family
    response = client.post("/family/notifications", data={**VALID, "email_enabled": ""}, follow_redirects=True)
    assert response.status_code == 200 and "only show on these pages" in response.text
    notifications.emit("request_approved", senior_id=senior.id)
    db.session.commit()
    assert _rows(senior) == set()


@pytest.mark.parametrize("changes, field", [
    ({"sms_enabled": "y"}, "phone"),                      # SMS without any mobile number
    ({"wechat_enabled": "y"}, "wechat_id"),              # WeChat without an ID
    ({"email": "not an address"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"wechat_id": "1starts-with-a-digit"}, "wechat_id"),
    ({"locale": "klingon"}, "locale"),
    ({"email": "x" * 250 + "@example.org"}, "email"),
])
def test_a_choice_that_cannot_work_is_refused_and_changes_nothing(family, client, changes, field):
    user, _senior = family
    response = client.post("/family/notifications", data={**VALID, **changes})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0
    assert db.session.get(User, user.id).locale is None


def test_saving_twice_keeps_one_row_and_the_latest_choice(family, client):
    user, _senior = family
    client.post("/family/notifications", data={**VALID, "sms_enabled": "y", "phone": "13900000001"})
    client.post("/family/notifications", data={**VALID, "phone": "13900000002"})
    prefs = db.session.scalars(sa.select(NotificationPreference)).all()
    assert [(p.user_id, p.sms_enabled, p.phone) for p in prefs] == [(user.id, False, "13900000002")]


@pytest.mark.parametrize("role", ["staff", "worker"])
def test_only_family_members_have_this_page(app, client, role):
    login_as(client, create_user(role, sites=(create_site(),) if role == "staff" else ()))
    assert client.get("/family/notifications").status_code in (403, 404)
    assert client.post("/family/notifications", data=VALID).status_code in (403, 404)
