"""The header names a signed-in worker by the Chinese name on their worker record in the Chinese UI."""
from __future__ import annotations

import re

from dispatch.extensions import db
from tests.factories import create_site, create_user, create_worker, login_as


def _header(client) -> str:
    page = client.get("/worker/today").get_data(as_text=True)
    return re.search(r'<li class="nav-user"><span>(.*?)</span>', page, re.S).group(1).strip()


def test_a_worker_is_named_in_the_readers_language_and_others_as_their_account_reads(app, client):
    site = create_site()
    user = create_user("worker", display_name="Jiayi L.")
    worker = create_worker(site, user=user, full_name="Liang Jiayi")
    worker.full_name_zh = "梁佳怡"
    db.session.commit()
    login_as(client, user)
    assert _header(client) == "Jiayi L."  # in English, as the account reads
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    assert _header(client) == "梁佳怡"
    worker.full_name_zh = None
    db.session.commit()
    assert _header(client) == "Jiayi L."  # no Chinese form on record: the account's name
