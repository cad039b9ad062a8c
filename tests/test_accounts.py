"""Accounts: create_user contract, password policy, login lockout, API tokens, deny-by-default scoping."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from slrt.accounts.models import User
from slrt.accounts.roles import ALLOWED_LEVELS, Role
from slrt.accounts.scoping import UnscopedQueryError
from slrt.registry.models import Household, Person

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_user_command_creates_scoped_account_for_every_role():
    regions = {0: "00", 1: "32", 2: "32.01", 3: "32.01.01", 4: "32.01.02.2001"}
    for role in Role:
        level = min(ALLOWED_LEVELS[role])
        args = [f"u-{role}", "--role", role, "--region", regions[level], "--password", PASSWORD]
        if role == Role.MITRA:
            args += ["--agency", "RSUD-3201"]
        call_command("create_user", *args)
        user = User.objects.get(username=f"u-{role}")
        assert user.role == role and user.region_id == regions[level]
        assert user.check_password(PASSWORD)


def test_create_user_accepts_undotted_region_codes():
    call_command("create_user", "fas", "--role", "fasilitator", "--region", "3201022001", "--password", PASSWORD)
    assert User.objects.get(username="fas").region_id == "32.01.02.2001"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "manajer", "--region", "99.99", "--password", PASSWORD], "tidak ada di data Kemendagri"),
        (["--role", "manajer", "--region", "32", "--password", PASSWORD], "tidak dapat ditugaskan"),
        (["--role", "mitra", "--region", "32.01", "--password", PASSWORD], "harus terhubung ke lembaga"),
        (["--role", "manajer", "--region", "32.01", "--password", "pendek1"], "terlalu pendek"),
        (["--role", "manajer", "--region", "32.01", "--password", "hanyahurufsaja"], "huruf dan angka"),
    ],
)
def test_create_user_rejects_bad_input_with_indonesian_reason(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_user", "x", *args)
    assert not User.objects.filter(username="x").exists()


def test_login_page_logs_in_with_valid_password(client, make_user):
    user = make_user("manajer", "32.01")
    response = client.post("/akun/masuk/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(client, make_user):
    user = make_user("manajer", "32.01")
    for _ in range(3):
        client.post("/akun/masuk/", {"username": user.username, "password": "salah-salah-1"})
    response = client.post("/akun/masuk/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "dikunci" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_token_endpoint_locks_out_after_repeated_failures(client, make_user):
    user = make_user("manajer", "32.01")
    for _ in range(2):
        r = client.post("/api/v1/auth/token", {"username": user.username, "password": "salah-1234"},
                        content_type="application/json")
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = client.post("/api/v1/auth/token", {"username": user.username, "password": "salah-1234"},
                    content_type="application/json")
    assert r.status_code == 429
    r = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                    content_type="application/json")
    assert r.status_code == 429 and r.json()["code"] == "locked_out"


def test_token_authenticates_api_requests_and_garbage_tokens_do_not(client, make_user):
    user = make_user("manajer", "32.01")
    r = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                    content_type="application/json")
    token = r.json()["token"]
    ok = client.get("/api/v1/regions/32.01", headers={"authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = client.get("/api/v1/regions/32.01", headers={"authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"
    assert client.get("/api/v1/regions/32.01").status_code == 401


def test_region_api_returns_region_with_children(client, make_user):
    client.force_login(make_user("manajer", "32.01"))
    body = client.get("/api/v1/regions/3201").json()
    assert body["code"] == "32.01" and body["parent"]["code"] == "32"
    assert body["children"] and all(c["code"].startswith("32.01.") and c["level"] == 3 for c in body["children"])
    missing = client.get("/api/v1/regions/99.99")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_openapi_document_is_served():
    from django.test import Client

    doc = Client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in doc["paths"]


@pytest.mark.urls("tests.urls_unsafe")
def test_view_not_declared_region_safe_is_refused(client, make_user):
    client.force_login(make_user("admin", "00"))
    refused = client.get("/undeclared/")
    assert refused.status_code == 403 and refused.json()["code"] == "view_not_region_safe"
    assert client.get("/declared/").status_code == 200


def test_personal_data_query_without_scope_raises(make_person, make_user):
    make_person()
    with pytest.raises(UnscopedQueryError):
        list(Person.objects.filter(nama__icontains="siti"))
    with pytest.raises(UnscopedQueryError):
        Household.objects.count()
    assert Person.objects.system().count() == 1
    assert Person.objects.for_user(make_user("manajer", "32.01")).count() == 1
    assert Person.objects.for_user(make_user("manajer", "32.02")).count() == 0


def test_scope_denies_unauthenticated_and_mitra(make_person, make_user):
    from django.contrib.auth.models import AnonymousUser

    make_person()
    assert Person.objects.for_user(AnonymousUser()).count() == 0
    assert Person.objects.for_user(make_user("mitra", "32.01")).count() == 0
