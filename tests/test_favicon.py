"""Every page names an icon that exists, so browsers stop asking for a missing /favicon.ico."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.factories import create_site, create_user, login_as

ICON = re.compile(r'<link rel="icon" href="(/static/favicon\.svg)" type="image/svg\+xml">')


def test_pages_link_an_svg_favicon_that_is_served(client):
    for path in ("/", "/login"):
        assert ICON.search(client.get(path).get_data(as_text=True)), path
    login_as(client, create_user("staff", sites=[create_site()]))
    assert ICON.search(client.get("/staff/today").get_data(as_text=True))
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert ET.fromstring(icon.data).tag == "{http://www.w3.org/2000/svg}svg"


def test_favicon_ico_points_at_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
