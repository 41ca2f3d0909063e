"""Audit rows name the actor and the record for those allowed to know them, and show ids to others."""
from __future__ import annotations

import re

from dispatch.extensions import db
from dispatch.platform import audit, audit_names
from tests.factories import create_senior, create_site, create_user, create_worker, login_as


def _row(page: str, action: str) -> str:
    found = re.search(rf"<tr>(?:(?!</tr>).)*<code>{re.escape(action)}</code>(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, f"no row for {action}"
    return found.group(0)


def test_admin_audit_log_shows_names_not_bare_ids(app, client):
    site = create_site(name="Plum Lane Kitchen")
    senior = create_senior(site, full_name="Shi Fugen")
    worker = create_worker(site, full_name="Wang Qiang")
    coordinator = create_user("staff", sites=[site], display_name="Li Na")
    audit.record("senior.update", user=coordinator, entity_type="senior", entity_id=senior.id, senior_id=senior.id)
    audit.record("worker.update", user=coordinator, entity_type="worker", entity_id=worker.id)
    db.session.commit()
    login_as(client, create_user("admin"))
    page = client.get("/admin/audit").text

    row = _row(page, "senior.update")
    assert ">Li Na</a>" in row and f">#{coordinator.id}</a>" not in row  # the actor by name
    assert row.count("Shi Fugen") == 2  # the record and the senior column
    assert "Wang Qiang" in _row(page, "worker.update")


def test_names_follow_the_viewers_access(app):
    mine, other = create_site(), create_site()
    my_senior = create_senior(mine, full_name="Shi Fugen")
    their_senior = create_senior(other, full_name="Zhao Min")
    me = create_user("staff", sites=[mine], display_name="Li Na")
    stranger = create_user("staff", sites=[other], display_name="Qian Hong")
    events = [audit.record("senior.read", user=stranger, entity_type="senior", entity_id=s.id, senior_id=s.id)
              for s in (my_senior, their_senior)]
    db.session.commit()

    names = audit_names.names_for(events, me)
    assert names.senior(my_senior.id) == "Shi Fugen"
    assert names.senior(their_senior.id) is None  # another site's senior stays an id
    assert names.record("senior", their_senior.id) is None
    assert names.user(stranger.id) is None  # staff of another site only

    admin = audit_names.names_for(events, create_user("admin"))
    assert admin.senior(their_senior.id) == "Zhao Min" and admin.user(stranger.id) == "Qian Hong"


def test_staff_read_a_seniors_history_with_names(app, client):
    site = create_site()
    senior = create_senior(site, full_name="Shi Fugen")
    colleague = create_user("staff", sites=[site], display_name="Li Na")
    audit.record("hold.create", user=colleague, entity_type="meal_hold", entity_id=3, senior_id=senior.id)
    db.session.commit()
    login_as(client, create_user("staff", sites=[site]))
    page = client.get(f"/staff/seniors/{senior.id}").text
    history = page[page.index('id="history"'):]
    assert "<code>hold.create</code>" in history and "Li Na" in history
    assert "senior.read" not in history  # the page's own audited read is not history


def test_the_chinese_audit_log_shows_the_chinese_names_on_record(app, client):
    site = create_site(name="Plum Lane Kitchen", name_zh="梅巷厨房")
    senior = create_senior(site, full_name="Shi Fugen", full_name_zh="施福根")
    audit.record("senior.update", user=None, entity_type="senior", entity_id=senior.id, senior_id=senior.id)
    audit.record("site.update", user=None, entity_type="meal_site", entity_id=site.id)
    db.session.commit()
    login_as(client, create_user("admin"))
    english = client.get("/admin/audit").text
    assert "Plum Lane Kitchen" in _row(english, "site.update") and "Shi Fugen" in _row(english, "senior.update")
    chinese = client.get("/admin/audit", headers={"Accept-Language": "zh-CN"}).text
    assert "梅巷厨房" in _row(chinese, "site.update") and "Plum Lane" not in _row(chinese, "site.update")
    # The kind of record in words, not the table's name.
    assert "助餐点 梅巷厨房" in _row(chinese, "site.update") and "meal_site" not in _row(chinese, "site.update")
    assert "Meal site Plum Lane Kitchen" in _row(english, "site.update")
    assert _row(chinese, "senior.update").count("施福根") == 2
