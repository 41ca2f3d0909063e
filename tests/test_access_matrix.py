"""Role × endpoint: every route in the app has a rule (``tests/access_rules.py``), and each role meets it.

For each role the test calls every endpoint once (GET where it allows it,
else POST with an empty body; ids point at record 1) and checks the role
gate: a role the rule lets through is never turned away (no 401/403, no
redirect to the login page) and never gets a 500; any other role is turned
away (anonymous: login page or 401; signed in: 403, or 404 where the page
hides whether a record exists).
"""
from __future__ import annotations

import pytest

from tests.access_rules import ROLES, RULES
from tests.api_helpers import bearer, token_for
from tests.factories import create_site, create_user, login_as

# Endpoints that may end or reset the session (two-factor steps, logout): called last, in this
# order, so the rest of the walk stays signed in.
SESSION_ENDING = ["admin.log_out_everywhere", "security.tf_select", "security.two_factor_rescue",
                  "security.two_factor_setup", "security.two_factor_setup_validate",
                  "security.two_factor_token_validation", "security.logout"]
PATH_VALUES = {"filename": "doorstep.css", "code": "en", "token": "not-a-real-token", "stop_id": "1"}


def _rules(app) -> list:
    def order(rule):
        last = SESSION_ENDING.index(rule.endpoint) if rule.endpoint in SESSION_ENDING else -1
        return last, rule.endpoint

    return sorted(app.url_map.iter_rules(), key=order)


def test_every_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(RULES))
    assert not missing, f"add a rule to tests/access_rules.py for: {missing}"
    stale = sorted(set(RULES) - endpoints)
    assert not stale, f"rules for endpoints that no longer exist: {stale}"


def _url(rule) -> str:
    values = {arg: PATH_VALUES.get(arg, 1) for arg in rule.arguments}
    path = rule.rule
    for arg, value in values.items():
        path = path.replace(f"<int:{arg}>", str(value)).replace(f"<id:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)) \
            .replace(f"<{arg}>", str(value))
    return path


def _turned_away(response, *, api: bool) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return not api and response.status_code in (302, 303) and "/login" in location


@pytest.fixture
def matrix_app(app):
    app.config["REQUIRE_2FA_FOR_STAFF"] = False
    target = create_user("family")  # record 1 of users: what /admin/users/1/... acts on
    assert target.id == 1
    token_for(target, "family")  # token 1: what /admin/api-tokens/1/revoke acts on
    create_site()
    return app


@pytest.mark.parametrize("role", (None,) + ROLES)
def test_role_gates_follow_the_rules(matrix_app, client, role):
    app = matrix_app
    headers = {}
    if role is not None:
        user = create_user(role, sites=[1] if role == "staff" else (), two_factor=False)
        login_as(client, user)
        headers = bearer(token_for(user, role))
    problems = []
    for rule in _rules(app):
        spec = RULES[rule.endpoint]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(_url(rule), method=method, headers=headers if spec.api else {},
                               json={} if spec.api and method != "GET" else None)
        allowed = spec.public and not spec.api if role is None else role in spec.roles
        if response.status_code >= 500:
            problems.append(f"{rule.endpoint}: {response.status_code}")
        elif allowed and response.status_code in (401, 403) or allowed and _turned_away(response, api=spec.api) \
                and response.status_code != 404:
            problems.append(f"{rule.endpoint}: {role or 'anonymous'} should pass, got {response.status_code}")
        elif not allowed and not _turned_away(response, api=spec.api):
            problems.append(f"{rule.endpoint}: {role or 'anonymous'} should be turned away, "
                            f"got {response.status_code} {response.headers.get('Location', '')}")
        if not allowed and spec.api and role is None and response.status_code != 401:
            problems.append(f"{rule.endpoint}: anonymous API call should be 401, got {response.status_code}")
        if not allowed and spec.api and role is not None and response.status_code != 403:
            problems.append(f"{rule.endpoint}: {role} token should get 403, got {response.status_code}")
    assert not problems, "\n".join(problems)
