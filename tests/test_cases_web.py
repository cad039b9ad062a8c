"""Service desk web pages: intake (search before create), receipt, case page, monitoring, list, scope."""

import io
import re

import pytest
from django.urls import reverse

from slrt.audit.models import AuditEvent
from slrt.cases import services, tickets
from slrt.cases.models import Case, CaseStatus, NeedStatus

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


def post_intake(client, extra=None, **fields):
    data = {
        "complaint_type": "pengaduan",
        "channel": "sekretariat",
        "urgency": "biasa",
        "summary": "",
        "phone": "081234567890",
        "email": "",
        # The resident's answers, chosen actively (the form pre-selects neither).
        "consent_given": "ya",
        "consent_purpose": "Penanganan keluhan",
        "consent_share_agencies": "ya",
        "kebutuhan-TOTAL_FORMS": "3",
        "kebutuhan-INITIAL_FORMS": "0",
        "kebutuhan-MIN_NUM_FORMS": "0",
        "kebutuhan-MAX_NUM_FORMS": "20",
        "kebutuhan-0-sector": "kesehatan",
        "kebutuhan-0-description": "Biaya rawat inap",
        "kebutuhan-1-sector": "",
        "kebutuhan-1-description": "",
        "kebutuhan-2-sector": "",
        "kebutuhan-2-description": "",
    }
    data.update(fields)
    data.update(extra or {})
    return client.post(reverse("cases:intake_create"), data)


@pytest.fixture
def fo_client(client, make_user):
    user = make_user("front_office", "32.01")
    client.force_login(user)
    client.user = user
    return client


def _token_from_search(client, q):
    response = client.post(reverse("cases:intake"), {"q": q}, follow=True)
    assert response.status_code == 200
    match = re.search(r'id="register-new" href="[^"]*\?token=([^"]+)"', response.content.decode())
    assert match, "the register-new link appears only after a search"
    from urllib.parse import unquote

    return unquote(match.group(1).replace("&amp;", "&")), response


def test_register_new_is_offered_only_after_a_search(fo_client):
    page = fo_client.get(reverse("cases:intake")).content.decode()
    assert 'id="register-new"' not in page
    # Straight to the form without a search: sent back to search.
    response = fo_client.get(reverse("cases:intake_create"))
    assert response.status_code == 302 and response.url == reverse("cases:intake")
    response = post_intake(fo_client, name="Budi", desa_code=DESA)
    assert response.status_code == 302 and response.url == reverse("cases:intake")
    response = post_intake(fo_client, name="Budi", desa_code=DESA, token="palsu")
    assert response.status_code == 302
    assert not Case.objects.system().exists()


def test_search_shows_matches_and_picking_one_creates_a_case_for_that_person(fo_client, make_person):
    person = make_person(nama="Siti Aminah")
    _token, response = _token_from_search(fo_client, "Siti Aminah")
    page = response.content.decode()
    assert f'?orang={person.pk}"' in page
    response = post_intake(fo_client, orang=str(person.pk))
    case = Case.objects.system().get()
    assert response.status_code == 302 and response.url == reverse("cases:created", args=[case.pk])
    assert case.person == person and case.household_id == person.household_id
    created = fo_client.get(response.url).content.decode()
    assert case.ticket in created
    code = re.search(r'id="status-code"><strong>([A-Z0-9-]+)</strong>', created).group(1)
    assert tickets.status_code_matches(case.ticket, code, case.status_code_hash)


def test_new_person_after_search_then_receipt_pdf_holds_ticket_and_code(fo_client):
    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    response = post_intake(fo_client, token=token, name="Budi Santoso", desa_code=DESA, nik="3201021503900007")
    case = Case.objects.system().get()
    assert response.status_code == 302
    assert not case.in_registry
    created = fo_client.get(response.url).content.decode()
    assert "Draf usulan" in created and "Kunjungan verifikasi" in created
    code = re.search(r'id="status-code"><strong>([A-Z0-9-]+)</strong>', created).group(1)
    pdf = fo_client.get(reverse("cases:receipt", args=[case.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert case.ticket in text and code in text
    # Reprint: a new code, the old one is dead.
    response = fo_client.post(reverse("cases:reprint", args=[case.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert not tickets.status_code_matches(case.ticket, code, case.status_code_hash)


def test_intake_errors_keep_what_was_typed(fo_client):
    token, _ = _token_from_search(fo_client, "Tidak Ada")
    response = post_intake(
        fo_client,
        token=token,
        name="Budi Santoso",
        desa_code="32.02.02.2001",
        nik="1234",
        summary="Atap bocor sejak Maret",
        consent_purpose="",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "luar wilayah tugas" in page
    assert "NIK harus terdiri dari 16 digit" in page
    assert "Atap bocor sejak Maret" in page and 'value="Budi Santoso"' in page
    assert "tujuan pemrosesan" in page
    assert not Case.objects.system().exists()


def _case(user, **kw):
    return services.create_case(
        user,
        services.Intake(
            complaint_type="pengaduan",
            channel="sekretariat",
            needs=[{"sector": "kesehatan", "description": "Rawat inap"}],
            consent_given=True,
            consent_share_agencies=True,
            consent_purpose="Penanganan",
            **kw,
        ),
        new_person=services.NewPerson(name="Budi Santoso", desa_code=kw.pop("desa", DESA), nik="3201021503900007"),
    ).case


def test_case_page_shows_applicant_masked_per_role_timeline_and_partials_and_is_audited(client, make_user):
    fo = make_user("front_office", "32.01")
    case = _case(fo)
    client.force_login(make_user("back_office", "32.01"))
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "3201021503900007" in page  # BO may see the full NIK
    assert "Kasus dicatat (tiket" in page and "draf usulan" in page
    assert 'id="kebutuhan"' in page and 'id="tindak-lanjut"' in page and 'id="linimasa"' in page
    assert AuditEvent.objects.filter(action="case.view", object_id=str(case.pk)).exists()
    client.force_login(make_user("dinsos", "32"))
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "3201021503900007" not in page and "320102********07" in page


def _no_csrf(body: bytes) -> bytes:
    return re.sub(rb"X-CSRFToken\": \"[^\"]+\"", b"", re.sub(rb'value="[A-Za-z0-9]{64}"', b"", body))


@pytest.mark.parametrize(
    ("role", "region", "visible"),
    [
        ("front_office", "32.01.02.2001", True),
        ("front_office", "32.01.02.2002", False),
        ("manajer", "32.01", True),
        ("manajer", "32.02", False),
        ("mitra", "32.01", False),
    ],
)
def test_case_scope_isolation_web(client, make_user, role, region, visible):
    case = _case(make_user("front_office", "32.01"))
    user = make_user(role, region)
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    missing = client.get(reverse("cases:detail", args=[999999]))
    if visible:
        assert response.status_code == 200
    elif role == "mitra":
        assert response.status_code == 403 and missing.status_code == 403
    else:
        assert response.status_code == 404 and missing.status_code == 404
        # Same page apart from the request's own path (the language switcher's "next").
        assert _no_csrf(response.content).replace(f"/layanan/{case.pk}/".encode(), b"") == _no_csrf(
            missing.content
        ).replace(b"/layanan/999999/", b"")
    listing = client.get(reverse("cases:list"))
    if role == "mitra":
        assert listing.status_code == 403
    else:
        assert (case.ticket in listing.content.decode()) is visible


def test_close_refused_naming_open_needs_then_allowed_and_reopened_web(client, make_user):
    case = _case(make_user("front_office", "32.01"))
    bo = make_user("back_office", "32.01")
    client.force_login(bo)
    need = case.needs.get()
    response = client.post(reverse("cases:close", args=[case.pk]), {"version": case.version, "reason": "x"})
    assert response.status_code == 422
    assert f"#{need.pk} Kesehatan" in response.content.decode()
    response = client.post(
        reverse("cases:need_status", args=[case.pk, need.pk]),
        {
            f"n{need.pk}-version": need.version,
            f"n{need.pk}-status": NeedStatus.HANDLED,
            f"n{need.pk}-outcome": "Ditanggung PBI-JK",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    response = client.post(reverse("cases:close", args=[case.pk]), {"version": case.version, "reason": "Selesai"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    response = client.post(reverse("cases:reopen", args=[case.pk]), {"version": case.version, "reason": ""})
    assert response.status_code == 422 and "alasan" in response.content.decode()
    response = client.post(
        reverse("cases:reopen", args=[case.pk]), {"version": case.version, "reason": "Warga kembali"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Kasus ditutup." in page and "Kasus dibuka kembali." in page and "Warga kembali" in page


def test_stale_version_conflict_keeps_typed_input_web(client, make_user):
    case = _case(make_user("front_office", "32.01"))
    need = case.needs.get()
    first, second = make_user("back_office", "32.01"), make_user("manajer", "32.01")
    stale = need.version
    client.force_login(first)
    ok = client.post(
        reverse("cases:need_edit", args=[case.pk, need.pk]),
        {"version": stale, "sector": "pangan", "description": "Beras untuk sebulan"},
    )
    assert ok.status_code == 302
    client.force_login(second)
    response = client.post(
        reverse("cases:need_edit", args=[case.pk, need.pk]),
        {"version": stale, "sector": "energi", "description": "Tabung LPG 3 kg dua buah"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "baru saja diubah oleh pengguna lain" in page
    assert "Tabung LPG 3 kg dua buah" in page  # what they typed is still there
    assert "Beras untuk sebulan" in page  # and the newer version is shown
    need.refresh_from_db()
    assert need.description == "Beras untuk sebulan"
    # Case edit: the same rule.
    client.post(
        reverse("cases:edit", args=[case.pk]),
        {
            "version": case.version,
            "urgency": "mendesak",
            "summary": "A",
            "applicant_phone": "",
            "applicant_email": "",
            "applicant_address": "",
        },
    )
    response = client.post(
        reverse("cases:edit", args=[case.pk]),
        {
            "version": case.version,
            "urgency": "darurat",
            "summary": "Uraian yang panjang diketik petugas",
            "applicant_phone": "",
            "applicant_email": "",
            "applicant_address": "",
        },
    )
    assert response.status_code == 409
    assert "Uraian yang panjang diketik petugas" in response.content.decode()


def test_tasks_and_overdue_highlight(client, make_user):
    import datetime as dt

    from django.utils import timezone

    from slrt.cases.models import FollowUpTask

    case = _case(make_user("front_office", "32.01"))
    bo = make_user("back_office", "32.01")
    client.force_login(bo)
    response = client.post(
        reverse("cases:task_add", args=[case.pk]),
        {"title": "Telepon RSUD", "due_date": timezone.localdate().isoformat(), "assigned_to": bo.pk, "need": ""},
    )
    assert response.status_code == 302
    task = FollowUpTask.objects.get()
    FollowUpTask.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "terlambat" in page
    listing = client.get(reverse("cases:list"), {"overdue": "on"}).content.decode()
    assert case.ticket in listing
    response = client.post(reverse("cases:task_done", args=[case.pk, task.pk]), {"result": "Diterima RSUD"})
    assert response.status_code == 302
    assert case.ticket not in client.get(reverse("cases:list"), {"overdue": "on"}).content.decode()


def test_case_list_filters_paginates_and_answers_htmx_with_rows(client, make_user):
    fo = make_user("front_office", "32.01")
    cases = [_case(fo) for _ in range(27)]
    client.force_login(fo)
    page1 = client.get(reverse("cases:list")).content.decode()
    assert "27 kasus" in page1 and cases[-1].ticket in page1 and cases[0].ticket not in page1
    page2 = client.get(reverse("cases:list"), {"hal": 2}).content.decode()
    assert cases[0].ticket in page2
    fragment = client.get(
        reverse("cases:list"), {"tiket": cases[3].ticket}, headers={"HX-Request": "true", "HX-Target": "case-results"}
    )
    body = fragment.content.decode()
    assert "<html" not in body and cases[3].ticket in body and "1 kasus" in body
    bad = client.get(reverse("cases:list"), {"desa": "32.02"}).content.decode()
    assert "di luar wilayah tugas" in bad


def test_nav_has_layanan_link_for_staff(client, make_user):
    client.force_login(make_user("back_office", "32.01"))
    assert reverse("cases:list") in client.get(reverse("core:home")).content.decode()


def test_htmx_adds_a_need_row_and_more_rows_are_saved(fo_client):
    row = fo_client.get(reverse("cases:need_row"), {"i": 3}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="kebutuhan-3-sector"' in row and 'value="4" id="id_kebutuhan-TOTAL_FORMS" hx-swap-oob="true"' in row
    token, _ = _token_from_search(fo_client, "Tidak Ada")
    post_intake(
        fo_client,
        {"kebutuhan-TOTAL_FORMS": "4", "kebutuhan-3-sector": "perumahan", "kebutuhan-3-description": "Atap bocor"},
        token=token,
        name="Budi Santoso",
        desa_code=DESA,
    )
    case = Case.objects.system().get()
    assert sorted(case.needs.values_list("sector", flat=True)) == ["kesehatan", "perumahan"]


def test_the_plain_status_code_leaves_the_session_after_the_receipt_window(fo_client, monkeypatch):
    """Only the hash is kept for good: half an hour after intake the receipt can no longer be
    printed with the old code, and the desk is sent to reprint (which issues a new one)."""
    import time

    from slrt.cases import views

    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    post_intake(fo_client, token=token, name="Budi Santoso", desa_code=DESA)
    case = Case.objects.system().get()
    assert fo_client.get(reverse("cases:receipt", args=[case.pk])).status_code == 200
    later = time.time() + views.CODE_KEPT_SECONDS + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    response = fo_client.get(reverse("cases:receipt", args=[case.pk]))
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert views.SESSION_CODES not in fo_client.session or not fo_client.session[views.SESSION_CODES]
