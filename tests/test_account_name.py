"""The header names the signed-in worker as their route page does: by the Chinese name on record in Chinese."""
from __future__ import annotations

import re

from dispatch.extensions import db
from tests.factories import create_site, create_user, create_worker, login_as


def _header(client) -> str:
    page = client.get("/worker/today").get_data(as_text=True)
    return re.search(r'<li class="nav-user"><span>(.*?)</span>', page, re.S).group(1).strip()


def test_a_worker_is_named_in_the_readers_language_and_others_as_their_account_reads(app, client):
    site = create_site()
    user = create_user("worker", display_name="Liang Jiayi")
    worker = create_worker(site, user=user, full_name="Liang Jiayi")
    worker.full_name_zh = "梁佳怡"
    db.session.commit()
    login_as(client, user)
    assert _header(client) == "Liang Jiayi"
    client.post("/lang/zh_Hans_CN", data={"next": "/"})
    assert _header(client) == "梁佳怡"
    worker.full_name_zh = None
    db.session.commit()
    assert _header(client) == "Liang Jiayi"  # no Chinese form on record: the name as it is written
