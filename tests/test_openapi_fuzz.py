"""Schemathesis over every operation of the OpenAPI document, against a live server of the test
suite with a token obtained through the API: no answer may be a server error or break the
document (status code, content type, body schema). Bounded: a few examples per operation and a
total time budget."""

import time

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 8
# A bound, not a speed target: it stops a runaway run; a busy shared machine needs several times a quiet one's.
BUDGET_SECONDS = 360
ENDS_THE_TOKEN = "/auth/logout"


def test_every_operation_answers_as_its_document_says(regions_after_flush, live_server, make_user, make_person):
    manager = make_user("manajer", "32.01")
    make_person()
    answer = requests.post(f"{live_server.url}/api/v1/auth/token",
                           json={"username": manager.username, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    session = requests.Session()
    failures, tried = [], []
    deadline = time.monotonic() + BUDGET_SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    # Logging out revokes the one token every operation uses: run it last, or the rest would only
    # ever see 401.
    operations.sort(key=lambda operation: operation.path.endswith(ENDS_THE_TOKEN))
    assert len(operations) >= 50
    for operation in operations:
        if time.monotonic() > deadline:
            break
        tried.append(operation.label)

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(base_url=live_server.url, session=session, headers=headers, checks=CHECKS,
                                   timeout=30)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all operations' failures, reported together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert len(tried) == len(operations), f"time budget ran out after {len(tried)} of {len(operations)} operations"
    assert not failures, "\n\n".join(failures)
