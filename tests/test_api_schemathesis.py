"""Property-based API testing: schemathesis generates requests from /api/v1/openapi.json.

Every operation gets generated cases (valid and invalid bodies, odd ids and
query strings) sent with an admin token to the test app; none may answer
5xx or a body that breaks the documented schema. The number of cases run is
printed (``-s``) and asserted to be substantial.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch.models import EmergencyContact
from tests.api_helpers import bearer, token_for
from tests.factories import create_senior, create_site, create_user

EXAMPLES_PER_OPERATION = 15
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def _fuzz(operation, label: str, headers: dict, ran: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        ran[label] += 1

    check()


def test_generated_requests_never_break_the_api(app):
    site = create_site()
    create_senior(site=site, contacts=[EmergencyContact(name="Li", relation="son", phone="13700000000", priority=1)])
    headers = bearer(token_for(create_user("admin"), "admin"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ran: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        ran[label] = 0
        _fuzz(operation, label, headers, ran)
    total = sum(ran.values())
    print(f"\nschemathesis: {total} cases over {len(ran)} operations: {ran}")
    assert len(ran) >= 19 and total >= 10 * len(ran)
