"""The OpenAPI document lists the error replies the API really gives, with the one JSON error body."""
from __future__ import annotations

import pytest

ERROR_BODY = {"status", "error", "message", "errors"}
ERROR_ITEM = {"field", "location", "reason"}


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _resolve(doc, node):
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = doc["components"][kind][name]
    return node


def _error_schema(doc, response):
    schema = _resolve(doc, _resolve(doc, response)["content"]["application/json"]["schema"])
    return schema


def test_the_error_schema_is_the_api_error_body(doc):
    schema = doc["components"]["schemas"]["ErrorOut"]
    assert set(schema["properties"]) == ERROR_BODY
    item = _resolve(doc, schema["properties"]["errors"]["items"])
    assert set(item["properties"]) == ERROR_ITEM


@pytest.mark.parametrize("path,method,statuses", [
    ("/api/v1/seniors/{senior_id}", "patch", {"404", "409", "422"}),
    ("/api/v1/seniors/{senior_id}", "get", {"404"}),
    ("/api/v1/seniors", "post", {"409", "422"}),
    ("/api/v1/service-requests", "post", {"404", "409", "422"}),
    ("/api/v1/service-requests/{request_id}", "patch", {"404", "409", "422"}),
    ("/api/v1/plans/{plan_id}/publish", "post", {"404", "409", "422"}),
    ("/api/v1/plans/{plan_id}/stops/{stop_id}/lock", "post", {"404", "409", "422"}),
    ("/api/v1/routes/{route_id}", "get", {"404"}),
    ("/api/v1/stops/{stop_id}/outcomes", "post", {"404", "422"}),
    ("/api/v1/plans", "get", {"422"}),
])
def test_endpoints_document_their_404_409_422_with_the_error_body(doc, path, method, statuses):
    responses = doc["paths"][path][method]["responses"]
    assert statuses <= set(responses), sorted(responses)
    for status in statuses:
        assert set(_error_schema(doc, responses[status])["properties"]) == ERROR_BODY, status
    if "409" in statuses:
        assert "Idempotency-Key" in _resolve(doc, responses["409"])["description"]


def test_reads_without_a_version_document_no_409(doc):
    assert "409" not in doc["paths"]["/api/v1/seniors/{senior_id}"]["get"]["responses"]
    assert "409" not in doc["paths"]["/api/v1/plans/{plan_id}"]["get"]["responses"]
    assert "404" not in doc["paths"]["/api/v1/plans"]["get"]["responses"]


def test_a_documented_404_and_409_are_what_the_api_answers(client, app):
    """The document's promise, checked against a real reply of each kind."""
    from dispatch.models import EmergencyContact
    from tests.api_helpers import bearer, new_token
    from tests.factories import create_senior, create_site

    site = create_site()
    senior = create_senior(site=site, contacts=[EmergencyContact(name="Li", relation="son", phone="13700000000",
                                                                 priority=1)])
    _, token = new_token("staff", sites=[site])
    missing = client.get("/api/v1/seniors/2147483647", headers=bearer(token))
    assert missing.status_code == 404 and set(missing.get_json()) == ERROR_BODY
    stale = client.patch(f"/api/v1/seniors/{senior.id}", json={"version": senior.version + 5, "full_name": "X"},
                         headers=bearer(token))
    assert stale.status_code == 409 and set(stale.get_json()) == ERROR_BODY


def test_times_age_rule_and_state_conflicts_are_documented(client):
    """Issue 23, item 8: what the API enforces is what the document says."""
    from dispatch.services.people.seniors import MAX_AGE, MIN_AGE

    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for name in ("RequestIn", "RequestOut", "RequestPatch"):
        for field in ("window_start", "window_end"):
            assert schemas[name]["properties"][field] == {"type": "string", "format": "time"} or \
                schemas[name]["properties"][field].get("format") == "time", (name, field)
    for name in ("SeniorIn", "SeniorPatch"):
        described = schemas[name]["properties"]["date_of_birth"]["description"]
        assert str(MIN_AGE) in described and str(MAX_AGE) in described
    review = doc["paths"]["/api/v1/service-requests/{request_id}"]["patch"]["responses"]
    assert "`status`" in review["422"]["description"] and "declined" in review["422"]["description"]
    publish = doc["paths"]["/api/v1/plans/{plan_id}/publish"]["post"]["responses"]
    assert "`status`" in publish["422"]["description"]
    assert "date_of_birth" in doc["paths"]["/api/v1/seniors"]["post"]["responses"]["422"]["description"]
