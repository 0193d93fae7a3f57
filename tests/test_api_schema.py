"""The API's contract is its schema: schemathesis, signed in as the district duty officer, sends
requests generated from `/api/schema/` to the app (WSGI, in process) and checks every answer
against that schema — no server error, only the status codes the schema lists, bodies and
content types as declared.

Bounded: MAX_EXAMPLES examples per operation (SCHEMA_EXAMPLES=40 to dig deeper), derandomized
(the same cases every run), so that `make test` runs it in well under two minutes.

SCHEMA_STRICT=1 adds schemathesis' positive/negative data checks. They do not pass yet: requests
valid by the schema but naming ids that do not exist, or dates in the wrong order, are refused
with 400 (a rule the schema cannot express)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = int(__import__("os").environ.get("SCHEMA_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
if __import__("os").environ.get("SCHEMA_STRICT"):
    from schemathesis.checks import negative_data_rejection, positive_data_acceptance

    CHECKS += [positive_data_acceptance, negative_data_rejection]


@pytest.fixture
def wsgi_app(duty_token):
    """The project's WSGI application, run inside the test's transaction: as Django's test client
    does, the request signals must not close the test's database connection (after the token is
    taken: Django's test client connects them again when it is done)."""
    from django.core import signals
    from django.db import close_old_connections

    from wenjiang_ops.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def duty_token(db):
    from rest_framework.test import APIClient

    from grids.demo.seed import DEMO_PASSWORD

    response = APIClient().post("/api/auth/token/", {"username": "duty", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def api_schema(wsgi_app, duty_token):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Authorization": f"Token {duty_token}"})


def _explore(operation, headers: dict, failures: dict[str, str]) -> None:
    label = operation.label

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case):
        if label in failures:
            return
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup included: reported at the end
            failures[label] = f"{type(exc).__name__}: {exc}"[:3000]

    run()


def test_the_api_answers_as_its_schema_says(api_schema, duty_token):
    # One test over every operation (schemathesis' pytest plugin does not run under pytest 9):
    # each operation's failures are collected, so that one run reports all of them.
    # identity: the WSGI transport does not undo the GZip middleware's compression
    headers = {"Authorization": f"Token {duty_token}", "Accept-Encoding": "identity"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _explore(operation, headers, failures)
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
