"""The OpenAPI document (`/api/v1/openapi.json`) tells the truth about every operation."""

import pytest
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema

from slrt.api.api import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations():
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                yield prefix + path, op


def _own_definitions(model, mode):
    """The component schemas one model needs, generated from that model alone."""
    if hasattr(model, "__ninja_flatten_map__"):
        return {}
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode)
    return schema.get("$defs", {})


def test_no_two_schemas_share_one_name(document):
    """Ninja files every schema under its class name, the last one winning: every component an
    operation refers to must be the schema that operation really uses."""
    components = document["components"]["schemas"]
    wrong = []
    for path, op in _operations():
        used = [(m, "serialization") for m in op.response_models.values() if m not in (None, Ellipsis)]
        used += [(m, "validation") for m in op.models]
        for model, mode in used:
            if not hasattr(model, "model_json_schema"):
                continue
            for name, definition in _own_definitions(model, mode).items():
                if components.get(name) != definition:
                    wrong.append(f"{op.view_func.__name__} ({path}): {name}")
    assert not wrong, wrong


def test_a_persons_programmes_are_documented_as_participations(document):
    components = document["components"]["schemas"]
    detail = document["paths"]["/api/v1/people/{person_id}"]["get"]["responses"]["200"]["content"]
    ref = detail["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    item = components[ref]["properties"]["programs"]["items"]["$ref"].rsplit("/", 1)[1]
    assert item == "ParticipationOut"
    assert set(components[item]["properties"]) == {
        "person_id", "program_code", "since_period", "until_period", "active", "source_release"}
    household = components["HouseholdDetail"]["properties"]["programs"]["items"]["$ref"]
    assert household.endswith("/ParticipationOut")


def _responses(document, method, path):
    return document["paths"]["/api/v1" + path][method]["responses"]


def test_every_operation_documents_its_refusals_with_the_one_error_shape(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            refs = {r["content"]["application/json"]["schema"]["$ref"] for s, r in responses.items() if s[0] == "4"}
            assert refs <= {"#/components/schemas/ErrorOut", "#/components/schemas/ValidationErrorOut"}, (method, path)
    assert {"401", "403", "404"} <= set(_responses(document, "get", "/people/{person_id}"))
    assert "404" not in _responses(document, "get", "/people")
    assert {"404", "409", "422"} <= set(_responses(document, "patch", "/cases/{case_id}"))
    assert {"409"} <= set(_responses(document, "post", "/referrals/{referral_id}/transitions"))
    assert {"401", "429"} <= set(_responses(document, "post", "/auth/token"))
    errors = document["components"]["schemas"]
    assert set(errors["ErrorOut"]["required"]) == {"code", "detail"}
    assert "errors" in errors["ValidationErrorOut"]["properties"]


def test_the_real_refusals_have_the_documented_shape(client, make_user):
    from slrt.core.api import ErrorOut, ValidationErrorOut

    client.force_login(make_user("manajer", "32.01"))
    missing = client.get("/api/v1/people/999999")
    assert missing.status_code == 404
    ErrorOut.model_validate(missing.json())
    invalid = client.get("/api/v1/people/not-a-number")
    assert invalid.status_code == 422
    body = ValidationErrorOut.model_validate(invalid.json())
    assert body.code == "validation_error" and body.errors


def _parameter(document, path, name):
    operation = document["paths"]["/api/v1" + path]["get"]
    return next(p for p in operation["parameters"] if p["name"] == name)["schema"]


def test_the_choices_and_limits_the_server_enforces_are_in_the_document(document):
    from slrt.cases.models import CaseStatus
    from slrt.referrals.models import ReferralStatus
    from slrt.updates.models import ProposalKind, ProposalStatus

    assert _parameter(document, "/cases", "status")["enum"] == list(CaseStatus.values)
    assert _parameter(document, "/referrals", "status")["enum"] == list(ReferralStatus.values)
    assert _parameter(document, "/proposals", "status")["enum"] == list(ProposalStatus.values)
    assert _parameter(document, "/proposals", "kind")["enum"] == list(ProposalKind.values)
    assert _parameter(document, "/targeting-runs/{run_id}/errors", "kind")["enum"] == ["exclusion", "inclusion"]
    limit = _parameter(document, "/targeting-runs/{run_id}/errors", "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)
    cases_limit = _parameter(document, "/cases", "limit")
    assert cases_limit["minimum"] == 1 and "maximum" in cases_limit


def test_a_referral_transition_documents_its_actions(document):
    from slrt.referrals.workflow import TRANSITIONS

    action = document["components"]["schemas"]["ReferralTransitionIn"]["properties"]["action"]
    assert action["enum"] == list(TRANSITIONS)
