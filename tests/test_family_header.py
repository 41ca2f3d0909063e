"""Family pages for an account that follows several seniors, and the expected time a family reads."""
from __future__ import annotations

import re

from tests.factories import create_senior, create_site, create_user, login_as


def _relatives_nav(page: str) -> str:
    found = re.search(r'<nav class="relatives".*?</nav>', page, re.S)
    assert found, "the page names the seniors the account follows"
    return found.group(0)


def test_an_account_following_two_seniors_sees_both_and_can_switch(app, client):
    site = create_site()
    father = create_senior(site, full_name="Shi Fugen")
    aunt = create_senior(site, full_name="Wang Lan")
    user = create_user("family", seniors=[father, aunt], display_name="Shi Min")
    login_as(client, user)

    home = _relatives_nav(client.get("/family/").text)
    assert "Shi Fugen" in home and "Wang Lan" in home

    page = client.get(f"/family/seniors/{father.id}").text
    nav = _relatives_nav(page)
    assert f'href="/family/seniors/{aunt.id}"' in nav  # the switcher leads to the other senior
    assert 'aria-current="page">Shi Fugen' in nav  # and marks the one shown
    assert "Shi Fugen&#39;s family" not in page and "Shi Fugen's family" not in page


def test_an_account_following_one_senior_has_no_switcher(app, client):
    site = create_site()
    senior = create_senior(site, full_name="Li Hua")
    login_as(client, create_user("family", seniors=[senior]))
    assert 'class="relatives"' not in client.get(f"/family/seniors/{senior.id}").text
