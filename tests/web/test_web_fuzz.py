"""Schemathesis against the app's own OpenAPI document: whatever it sends, no 500s.

Bounded: a few examples per operation, with an approver token and without one."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from contentloop.domain import SimulatedClock
from contentloop.store.web_repo import Role

from .conftest import make_web

_clock = SimulatedClock()


@pytest.fixture(scope="module")
def fuzz_web(tmp_path_factory):  # type: ignore[no-untyped-def]
    web = make_web(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'f.db'}", _clock)
    yield web
    web.store.close()


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_web):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_web.app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_errors(case, fuzz_web) -> None:  # type: ignore[no-untyped-def]
    token = fuzz_web.repo.create_token(Role.APPROVER)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])
    case.call_and_validate(checks=[not_a_server_error])  # unauthenticated: 401, never 500
