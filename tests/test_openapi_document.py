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


# --- request bodies: every string bounded, and the bound is the one the server enforces ----------


def _request_bodies(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield f"{method.upper()} {path}", content["schema"]


def _leaves(document, schema, where):
    """(place, schema) of every string and number under `schema`: through $ref, anyOf/oneOf/allOf,
    properties, items and additionalProperties."""
    components = document["components"]["schemas"]
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            yield from _leaves(document, sub, where)
    for name, sub in schema.get("properties", {}).items():
        yield from _leaves(document, sub, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _leaves(document, schema["additionalProperties"], f"{where}.*")
    if "items" in schema:
        yield from _leaves(document, schema["items"], f"{where}[]")
    if schema.get("type") in ("string", "integer", "number"):
        yield where, schema


def _body_property(document, schema_name, *path):
    schema = document["components"]["schemas"][schema_name]
    for name in path:
        schema = schema["properties"][name]
        schema = next((s for s in schema.get("anyOf", ()) if s.get("type") != "null"), schema)
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_string_of_every_request_body_has_a_documented_bound(document):
    """A client (or a fuzzer) reading the document knows each text field's limit, choices or form:
    maxLength, enum or pattern; a date is bounded by its format."""
    strings, unbounded = 0, []
    for operation, schema in _request_bodies(document):
        for where, leaf in _leaves(document, schema, operation):
            if leaf.get("type") != "string":
                continue
            strings += 1
            if not ({"maxLength", "enum", "pattern"} & set(leaf) or leaf.get("format") in ("date", "date-time")):
                unbounded.append(where)
    assert strings > 60  # the walk reached the bodies' strings (nested needs, consent, criteria, items)
    assert not unbounded, unbounded


def test_a_proposal_transition_documents_the_actions_a_person_takes(document):
    from slrt.updates.workflow import BY_USER, TRANSITIONS

    by_hand = [name for name, t in TRANSITIONS.items() if t.via == BY_USER]
    action = _body_property(document, "ProposalTransitionIn", "action")
    assert action["enum"] == by_hand
    assert set(TRANSITIONS) - set(by_hand)  # meeting, batch and release actions stay out of the document


def test_request_body_choices_and_limits_are_the_models(document):
    import re

    from slrt.cases.models import Case, Channel, ComplaintType, FollowUpTask, Urgency
    from slrt.fieldwork.formdefs import FORMS
    from slrt.programs import rules
    from slrt.programs.models import Sector
    from slrt.updates.models import RemovalReason

    create = "CaseCreate"
    assert _body_property(document, create, "complaint_type")["enum"] == list(ComplaintType.values)
    assert _body_property(document, create, "channel")["enum"] == list(Channel.values)
    assert _body_property(document, "CaseUpdate", "urgency")["enum"] == list(Urgency.values)
    spec_sectors = ["kesehatan", "pendidikan", "sosial_ekonomi", "pangan", "energi", "pertanian", "perikanan",
                    "perumahan", "adminduk"]
    assert sorted(_body_property(document, "NeedIn", "sector")["enum"]) == sorted(spec_sectors)
    assert sorted(Sector.values) == sorted(spec_sectors)
    for body, field, model, column in [
        ("NewPersonIn", "name", Case, "applicant_name"),
        ("NewPersonIn", "address", Case, "applicant_address"),
        ("ConsentIn", "purpose", Case, "consent_purpose"),
        ("CaseUpdate", "applicant_email", Case, "applicant_email"),
        ("TaskIn", "title", FollowUpTask, "title"),
    ]:
        assert _body_property(document, body, field)["maxLength"] == model._meta.get_field(column).max_length, field
    nik = _body_property(document, "NewPersonIn", "nik")["pattern"]
    assert re.fullmatch(nik, "3201014506900001") and re.fullmatch(nik, "")
    assert not re.fullmatch(nik, "320101450690000") and not re.fullmatch(nik, "320101450690000x")
    desa = _body_property(document, "NewPersonIn", "desa_code")["pattern"]
    assert re.fullmatch(desa, "32.01.02.2001") and re.fullmatch(desa, "3201022001")
    assert not re.fullmatch(desa, "32.01") and not re.fullmatch(desa, "32.01.02.20011")
    assert re.fullmatch(_body_property(document, "RunIn", "region")["pattern"], "32.04")
    assert _body_property(document, "RuleCriterionIn", "field")["enum"] == list(rules.FIELDS)
    assert _body_property(document, "RuleCriterionIn", "op")["enum"] == list(rules.OPS)
    assert _body_property(document, "PushItem", "form_id")["enum"] == list(FORMS)
    assert _body_property(document, "ProposalIn", "removal_reason")["enum"] == ["", *RemovalReason.values]


def _api(client, user):
    from tests.conftest import PASSWORD

    token = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                        content_type="application/json").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def call(method, path, body=None, **params):
        if method == "get":
            return client.get("/api/v1" + path, params, headers=headers)
        return getattr(client, method)("/api/v1" + path, body or {}, content_type="application/json", headers=headers)

    return call


def test_a_value_over_its_documented_limit_answers_422_naming_the_field(document, client, make_user):
    """The limits come from the document; one character more is a 422 naming the field (never a
    truncation or a database error), the limit itself is accepted."""
    import datetime as dt

    call = _api(client, make_user("back_office", "32.01"))
    summary_max = _body_property(document, "CaseCreate", "summary")["maxLength"]
    token = call("get", "/cases/intake-search", q="Budi Santoso").json()["search_token"]
    body = {
        "complaint_type": _body_property(document, "CaseCreate", "complaint_type")["enum"][0],
        "channel": _body_property(document, "CaseCreate", "channel")["enum"][0],
        "summary": "s" * (summary_max + 1),
        "needs": [{"sector": _body_property(document, "NeedIn", "sector")["enum"][0], "description": "Biaya"}],
        "consent": {"given": True, "purpose": "Penanganan keluhan", "share_with_agencies": True},
        "new_person": {"name": "Budi Santoso", "desa_code": "32.01.02.2001"},
        "search_token": token,
    }
    refused = call("post", "/cases", body)
    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    assert list(refused.json()["errors"]) == ["summary"]
    body["summary"] = "s" * summary_max
    created = call("post", "/cases", body)
    assert created.status_code == 201, created.json()
    case = created.json()
    assert len(case["summary"]) == summary_max

    patched = call("patch", f"/cases/{case['id']}", {"version": case["version"], "summary": "s" * (summary_max + 1)})
    assert patched.status_code == 422 and "summary" in patched.json()["errors"]

    title_max = _body_property(document, "TaskIn", "title")["maxLength"]
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    too_long = call("post", f"/cases/{case['id']}/tasks", {"title": "t" * (title_max + 1), "due_date": due})
    assert too_long.status_code == 422 and "title" in too_long.json()["errors"]
    task = call("post", f"/cases/{case['id']}/tasks", {"title": "t" * title_max, "due_date": due})
    assert task.status_code == 201, task.json()
    result_max = _body_property(document, "TaskDoneIn", "result")["maxLength"]
    done = call("post", f"/cases/{case['id']}/tasks/{task.json()['id']}/done", {"result": "r" * (result_max + 1)})
    assert done.status_code == 422 and list(done.json()["errors"]) == ["result"]

    reason_max = _body_property(document, "VersionedReason", "reason")["maxLength"]
    version = call("get", f"/cases/{case['id']}").json()["version"]
    closing = call("post", f"/cases/{case['id']}/close", {"version": version, "reason": "x" * (reason_max + 1)})
    assert closing.status_code == 422 and list(closing.json()["errors"]) == ["reason"]


def test_a_pushed_form_version_over_its_limit_is_refused_by_name_not_cut(document, client, make_user):
    call = _api(client, make_user("fasilitator", "32.01.02.2001"))
    item = _body_property(document, "PushItem")
    answer = call("post", "/sync/push", {"items": [{
        "idempotency_key": "k" * item["properties"]["idempotency_key"]["maxLength"],
        "form_id": item["properties"]["form_id"]["enum"][0],
        "form_version": "v" * (item["properties"]["form_version"]["maxLength"] + 1),
        "values": {},
    }]})
    assert answer.status_code == 200
    [result] = answer.json()["items"]
    assert result["status"] == "invalid" and list(result["errors"]) == ["form_version"]
    key_too_long = call("post", "/sync/push", {"items": [{
        "idempotency_key": "k" * (item["properties"]["idempotency_key"]["maxLength"] + 1),
        "form_id": item["properties"]["form_id"]["enum"][0], "values": {},
    }]})
    assert key_too_long.json()["items"][0]["errors"].keys() == {"idempotency_key"}


def test_a_token_request_over_its_documented_limits_is_422_naming_the_field(document, client, make_user):
    user = make_user("manajer", "32.01")
    token_in = document["components"]["schemas"]["TokenIn"]["properties"]
    for field, value in (("username", "u" * (token_in["username"]["maxLength"] + 1)),
                         ("password", "p" * (token_in["password"]["maxLength"] + 1))):
        body = {"username": user.username, "password": "salah", field: value}
        answer = client.post("/api/v1/auth/token", body, content_type="application/json")
        assert answer.status_code == 422, field
        assert [e["loc"][-1] for e in answer.json()["errors"]] == [field]
