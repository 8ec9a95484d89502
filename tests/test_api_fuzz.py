"""Every operation of the API, with requests generated from its own OpenAPI schema (schemathesis).

What a client may send is more than the hand-written tests think of: bodies that are not JSON, numbers too
large for a column, control characters in a plate, a date in year 0. For every operation, as three roles (an
enterprise clerk, a customs officer, the management board) and as nobody signed in, generated requests, valid
and invalid, must get no 5xx, a status code the schema documents, and an answer in the documented shape. Two
of schemathesis' checks do not apply: the API also accepts a signed-in session (the browser's), so a request
whose bearer token is removed may still be answered; and a request valid by the schema may still break a rule
the schema cannot say (a tax code's check digit, a gate's opening hours), which is a 422 by design.

The suite runs the same requests every time (derandomized), so that it passes or fails for the code, not for the
draw. To search further, draw new ones and more of them:

    CUAKHAU_FUZZ_RANDOM=1 CUAKHAU_FUZZ_EXAMPLES=300 .venv/bin/pytest tests/test_api_fuzz.py -n 2
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from cuakhau.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@contextlib.contextmanager
def keeping_the_test_database_connection() -> Iterator[None]:
    """Django closes the database connection when a request starts and ends; the test's transaction lives on it.
    (Django's own test client does the same around each of its requests.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def confirmed_registration(personas, submit) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    registration = submit()
    assert personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm").status_code == 200
    return registration


@pytest.mark.parametrize("persona", ["firm1", "customs.huunghi", "bql.huunghi", "anonymous"])
@schema.parametrize()
@settings(max_examples=int(os.environ.get("CUAKHAU_FUZZ_EXAMPLES", "25")), deadline=None, database=None,
          derandomize=os.environ.get("CUAKHAU_FUZZ_RANDOM") != "1",
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_generated_requests_get_a_documented_answer_and_never_a_server_error(  # type: ignore[no-untyped-def]
        case, persona, personas, confirmed_registration):
    # Half of the generated ids (the even ones) become those of a real registration and its truck, so that
    # requests also reach the rules of an existing record, not only "not found".
    real = {"registration_id": confirmed_registration["id"], "trip_id": confirmed_registration["trips"][0]["id"]}
    for name, value in (case.path_parameters or {}).items():
        if name in real and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = real[name]
    with keeping_the_test_database_connection():
        response = case.call(headers={} if persona == "anonymous" else personas.api(persona).headers)
    case.validate_response(response, excluded_checks=[ignored_auth, positive_data_acceptance])
