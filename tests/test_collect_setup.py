"""The ODK Collect set-up page: a configuration QR code Collect can import, for the signed-in user only."""

import re

import pytest

from slrt.fieldwork import collect
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _payload_of(client, **post):
    response = client.post("/lapangan/odk/", post) if post else client.get("/lapangan/odk/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response


def test_settings_payload_round_trips_as_collect_reads_it():
    payload = collect.encode(collect.settings_for("https://slrt.example.go.id/", "siti", "SLRT Desa", password="x"))
    settings = collect.decode(payload)
    assert settings["general"]["server_url"] == "https://slrt.example.go.id"
    assert settings["general"]["username"] == "siti"
    assert settings["general"]["password"] == "x"
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert settings["admin"]["change_server"] is False
    assert "password" not in collect.decode(collect.encode(collect.settings_for("https://s/", "siti", "P")))["general"]


def test_facilitator_gets_code_with_password_only_after_typing_it(client, make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    client.force_login(user)
    page = _payload_of(client).content.decode()
    assert "<svg" in page and "id_password" in page
    wrong = _payload_of(client, password="bukan-sandi").content.decode()
    assert "Kata sandi salah" in wrong
    right = _payload_of(client, password=PASSWORD).content.decode()
    assert "memuat kata sandi" in right
    assert re.search(r"<svg[^>]*class=\"segno\"", right)


def test_roles_without_field_forms_are_refused(client, make_user):
    client.force_login(make_user("back_office", "32.01"))
    assert client.get("/lapangan/odk/").status_code == 403
