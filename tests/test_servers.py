"""A test that needs a missing server is skipped on a developer's machine and fails under CI=true."""
from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

NEEDS_NOTHING_THERE = """
from tests import servers

def test_needs_a_server_that_is_not_there():
    servers.missing("no such server on this machine")

def test_skipped_for_another_reason():
    import pytest
    pytest.skip("SQLite has no TRUNCATE")
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401")
    pytester.makepyfile(test_missing=NEEDS_NOTHING_THERE)
    return pytester


@pytest.mark.parametrize("ci, failed, skipped", [(False, 0, 2), (True, 1, 1)])
def test_a_missing_server_fails_only_under_ci(suite, monkeypatch, ci, failed, skipped):
    from tests import servers

    monkeypatch.setattr(servers, "IN_CI", ci)
    result = suite.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
