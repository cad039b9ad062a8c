"""The demo behaves like the product (issue 9, point 9): DEBUG off under `make run`, the app's
own error pages (JSON under /api/), links on the address the server runs on, compressed HTML,
hashed static files compressed and cached for a year."""

import gzip
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from slrt.cases import decisions, letters
from slrt.cases.models import Letter
from slrt.core.public import public_url
from slrt.notifications.messages import messages_for
from tests.test_referrals_fixtures import build_desk, client_for, make_case, pdf_text

ROOT = settings.BASE_DIR


def _make_run_commands(**variables) -> str:
    args = [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _debug_as_make_run_sets_it() -> bool:
    """The DEBUG value settings.py computes in the environment `make run` gives runserver."""
    commands = _make_run_commands()
    runserver = next(line for line in commands.splitlines() if "runserver" in line)
    env = {k: v for k, v in os.environ.items() if k != "SLRT_DEBUG"}
    for name, value in re.findall(r"(SLRT_\w+)=\$\{\w+:-'?([^}']*)'?\}", runserver):
        env[name] = value
    for name, value in re.findall(r"(?:^|\s)(SLRT_\w+)=(\S+)", runserver):
        if not value.startswith("$"):
            env[name] = value
    out = subprocess.run([sys.executable, "-c", "import slrt.settings as s; print(s.DEBUG)"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return out.strip() == "True"


def test_make_run_serves_with_debug_off():
    assert _debug_as_make_run_sets_it() is False


@pytest.mark.django_db
def test_missing_and_out_of_scope_records_get_the_styled_404_never_the_debug_page(settings, make_user):
    settings.DEBUG = _debug_as_make_run_sets_it()
    build_desk()
    elsewhere, _need = make_case(desa="32.04.28.2008")  # another kabupaten
    client = client_for(make_user("back_office", "32.01"))
    for url in ("/layanan/99999999/", f"/layanan/{elsewhere.pk}/", "/tidak-ada-halaman-ini/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404, url
        assert "Data tidak ditemukan" in body and 'href="/"' in body and "mainnav" in body, url
        assert "URLconf" not in body and "urlpatterns" not in body and "Traceback" not in body, url


@pytest.mark.django_db
def test_api_errors_outside_any_route_are_json():
    response = Client().get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_server_error_page_is_the_apps_own(monkeypatch, make_user):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("slrt.reports.views.registry_dashboard", broken)
    client = Client(raise_request_exception=False)
    client.force_login(make_user("back_office", "32.01"))
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Terjadi kesalahan pada sistem" in body and "Kembali ke beranda" in body and "boom" not in body


@pytest.mark.django_db
def test_refused_csrf_token_gets_the_apps_403_page():
    response = Client(enforce_csrf_checks=True).post("/akun/masuk/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Formulir tidak dapat dikirim" in response.content.decode()


# --- the address links and QR codes use ----------------------------------------------------------


@pytest.mark.django_db
def test_letter_qr_link_uses_the_address_the_request_came_in_on(settings):
    settings.SLRT_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "desk.example"]
    desk = build_desk()
    _case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, "puskesos", note="Pertimbangan")
    decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    letter = Letter.objects.get(recommendation=rec)
    response = client_for(desk.bo).get(f"/layanan/surat/{letter.pk}/pdf/", HTTP_HOST="desk.example:8081")
    assert response.status_code == 200
    assert f"http://desk.example:8081/v/{letter.token}".encode() in pdf_text(response.content)
    assert b"127.0.0.1:8000" not in pdf_text(response.content)
    # Outside a request (a background job) the configured address is used.
    settings.SLRT_PUBLIC_URL = "https://slrt.bandungkab.go.id"
    assert letters.verify_url(letter) == f"https://slrt.bandungkab.go.id/v/{letter.token}"


@pytest.mark.django_db
def test_background_messages_use_slrt_public_url_which_make_run_sets_from_host(settings):
    commands = _make_run_commands(HOST="10.1.2.3:9001")
    worker = next(line for line in commands.splitlines() if "celery -A slrt worker" in line)
    assert "SLRT_PUBLIC_URL=${SLRT_PUBLIC_URL:-http://10.1.2.3:9001}" in worker
    settings.SLRT_PUBLIC_URL = "http://10.1.2.3:9001"
    case, _need = make_case()
    case.applicant_email = "warga@example.org"
    [*_, (_channel, _to, _subject, body)] = messages_for("case.created", case, {})
    assert "http://10.1.2.3:9001/status/" in body
    settings.SLRT_PUBLIC_URL = ""
    assert public_url() == settings.SLRT_PUBLIC_URL_FALLBACK


# --- compression and caching ------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_link_hashed_static_files_served_compressed_and_cached_a_year():
    client = Client()
    page = client.get("/akun/masuk/").content.decode()
    css = re.search(r'href="(/static/css/slrt\.[0-9a-f]{12}\.css)"', page)
    assert css, "the stylesheet is linked under its content-hashed name"
    for accept, encoding in (("br, gzip", "br"), ("gzip", "gzip")):
        response = client.get(css.group(1), HTTP_ACCEPT_ENCODING=accept)
        assert response.status_code == 200
        assert response["Content-Encoding"] == encoding
        assert "max-age=31536000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
        b"".join(response.streaming_content)
    plain = client.get(css.group(1))
    assert not plain.has_header("Content-Encoding")
    assert b".topbar" in b"".join(plain.streaming_content)


@pytest.mark.django_db
def test_html_is_gzipped_when_the_browser_accepts_it():
    client = Client()
    zipped = client.get("/akun/masuk/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert b"csrfmiddlewaretoken" in gzip.decompress(zipped.content)
    assert not client.get("/akun/masuk/").has_header("Content-Encoding")
