"""The resident's public status page and its JSON twin: steps only, same answer for every wrong
input, constant-time check, rate-limited per client IP."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import include, path

import slrt.urls
from slrt.cases import services, tickets
from slrt.cases.models import NeedStatus

# `/status/` at the site root (see the report to the lead: slrt/urls.py is not ours to edit).
urlpatterns = [
    *(
        []
        if any(getattr(p, "namespace", None) == "status" for p in slrt.urls.urlpatterns)
        else [path("status/", include("slrt.cases.public_urls"))]
    ),
    *slrt.urls.urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

DESA = "32.01.02.2001"
NAME, NIK, PHONE, ADDRESS = "Budi Santoso Wibisono", "3201021503900007", "081298765432", "Dusun Cikadu RT 03"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issued(make_user):
    fo = make_user("front_office", "32.01")
    fo.first_name, fo.last_name = "Petugas", "Rahasia"
    fo.save()
    result = services.create_case(
        fo,
        services.Intake(
            complaint_type="pengaduan",
            channel="sekretariat",
            phone=PHONE,
            consent_given=True,
            consent_share_agencies=False,
            consent_purpose="Penanganan",
            needs=[{"sector": "kesehatan", "description": "Rawat inap"}],
        ),
        new_person=services.NewPerson(name=NAME, desa_code=DESA, nik=NIK, address=ADDRESS),
    )
    return result.case, result.status_code, fo


def test_public_page_shows_steps_and_no_personal_data(client, issued, make_user):
    case, code, _fo = issued
    bo = make_user("back_office", "32.01")
    need = case.needs.get()
    services.set_need_status(bo, need, need.version, status=NeedStatus.HANDLED, outcome="Ditanggung")
    case.refresh_from_db()
    services.close_case(bo, case, case.version)
    response = client.post("/status/", {"tiket": case.ticket, "kode": tickets.format_status_code(code)})
    assert response.status_code == 200
    page = response.content.decode()
    assert case.ticket in page
    assert 'data-step="diterima"' in page and 'class="step done" data-step="selesai"' in page
    for secret in (NAME, "Budi", NIK, NIK[-6:], PHONE, ADDRESS, "Rawat inap", "Petugas", "Rahasia", bo.username):
        assert secret not in page, secret


def test_wrong_ticket_and_wrong_code_get_the_same_answer(client, issued):
    case, code, _ = issued
    wrong_code = client.post("/status/", {"tiket": case.ticket, "kode": "AAAA-AAAA"})
    wrong_ticket = client.post("/status/", {"tiket": "SLRT-3201-2026-999999", "kode": code})
    assert wrong_code.status_code == wrong_ticket.status_code == 404

    def body(r):
        import re

        # Only the per-request CSRF token and the echoed form values may differ.
        return re.sub(r'X-CSRFToken": "[^"]+"', "", re.sub(r'value="[^"]*"', "", r.content.decode()))

    assert body(wrong_code) == body(wrong_ticket)
    assert "tidak cocok" in body(wrong_code)


def test_public_api_same_rules(client, issued):
    case, code, _ = issued
    ok = client.post(
        "/api/v1/public/status", {"ticket": case.ticket.lower(), "code": code}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["ticket"] == case.ticket and [s["key"] for s in body["steps"]] == [
        "diterima",
        "asesmen",
        "ditetapkan",
        "dirujuk",
        "dilayani",
        "selesai",
    ]
    assert body["steps"][0]["done"] is True and body["steps"][-1]["done"] is False
    text = ok.content.decode()
    assert NAME not in text and NIK not in text and PHONE not in text
    wrong_code = client.post(
        "/api/v1/public/status", {"ticket": case.ticket, "code": "AAAAAAAA"}, content_type="application/json"
    )
    wrong_ticket = client.post(
        "/api/v1/public/status", {"ticket": "SLRT-3201-2026-999999", "code": code}, content_type="application/json"
    )
    assert wrong_code.status_code == wrong_ticket.status_code == 404
    assert wrong_code.json() == wrong_ticket.json()


def test_rate_limited_per_ip_with_indonesian_message(client, issued):
    case, code, _ = issued
    for _ in range(10):
        assert client.post("/status/", {"tiket": case.ticket, "kode": "AAAAAAAA"}).status_code == 404
    limited = client.post("/status/", {"tiket": case.ticket, "kode": code})
    assert limited.status_code == 429 and "Terlalu banyak percobaan" in limited.content.decode()
    api = client.post("/api/v1/public/status", {"ticket": case.ticket, "code": code}, content_type="application/json")
    assert api.status_code == 429 and api.json()["code"] == "too_many_requests"
    # Another client IP is not affected.
    other = client.post("/status/", {"tiket": case.ticket, "kode": code}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


@override_settings(SLRT_PROXY_COUNT=1)
def test_behind_a_proxy_the_rate_limit_counts_the_client_not_the_proxy(client, issued):
    """Residents behind one reverse proxy do not share its limit, and one cannot escape the limit by
    sending an X-Forwarded-For of its own (the proxy appends the address it really saw)."""
    case, code, _ = issued
    proxy = {"REMOTE_ADDR": "172.16.0.2"}
    for n in range(10):
        spoofed = f"10.0.0.{n}, 198.51.100.7"  # the proxy appended the real client last
        wrong = {"tiket": case.ticket, "kode": "AAAAAAAA"}
        assert client.post("/status/", wrong, HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 404
    right = {"tiket": case.ticket, "kode": code}
    assert client.post("/status/", right, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    assert client.post("/status/", right, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 200


def test_status_page_get_prefills_ticket_and_needs_no_login(client, issued):
    case, _code, _ = issued
    response = client.get("/status/", {"tiket": case.ticket})
    assert response.status_code == 200 and case.ticket in response.content.decode()


def test_constant_time_comparison_is_used():
    stored = tickets.hash_status_code("SLRT-3201-2026-000001", "ABCDEFGH")
    assert tickets.status_code_matches("SLRT-3201-2026-000001", "abcd-efgh", stored)
    assert not tickets.status_code_matches("SLRT-3201-2026-000001", "ABCDEFGX", stored)
    import inspect

    assert "compare_digest" in inspect.getsource(tickets.status_code_matches)
