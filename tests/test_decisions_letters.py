"""Letters: numbering, PDF content with the QR URL, who may download, and the public verification page."""

import re

import pytest
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.cases import decisions, letters
from slrt.cases.models import Letter, LetterKind
from slrt.core.public import public_url
from slrt.wilayah.models import Secretariat
from tests.test_referrals_fixtures import (
    NAME,
    NIK,
    PHONE,
    build_desk,
    client_for,
    make_case,
    move,
    pdf_text,
    referral_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return build_desk()


def _approved(desk, kind="puskesos", **kw):
    case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, kind, note="Pertimbangan", **kw)
    rec = decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    return rec


def test_approval_issues_the_letter_of_its_kind_numbered_in_sequence(desk):
    program_rec = _approved(desk, "program", program=desk.program)
    puskesos_rec = _approved(desk, "puskesos")
    first = Letter.objects.get(recommendation=program_rec)
    second = Letter.objects.get(recommendation=puskesos_rec)
    assert first.kind == LetterKind.REKOMENDASI and second.kind == LetterKind.KETERANGAN
    year = timezone.localdate().year
    pattern = re.compile(rf"400\.9/(\d{{4}})/SLRT-3201/{year}")
    seq1, seq2 = (int(pattern.fullmatch(x.number).group(1)) for x in (first, second))
    assert seq2 == seq1 + 1
    assert first.token != second.token and len(first.token) >= 20
    assert first.signer_name == (desk.manajer.get_full_name() or desk.manajer.username)
    assert first.signer_title.startswith("Manajer SLRT")


def test_rejected_recommendation_issues_no_letter(desk):
    case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, "puskesos")
    decisions.decide_recommendation(desk.manajer, rec, approve=False, expected_version=rec.version, note="Tidak perlu")
    assert not Letter.objects.filter(case=case).exists()


def test_letter_pdf_has_number_ticket_letterhead_and_qr_url(desk):
    Secretariat.objects.get_or_create(
        region_id="32.01", defaults={"name": "Sekretariat SLRT", "address": "Jl. Tegar Beriman No. 1", "phone": "0211"}
    )
    rec = _approved(desk, "program", program=desk.program)
    letter = Letter.objects.get(recommendation=rec)
    text = pdf_text(letters.render_letter(letter, desk.bo))
    for expected in (letter.number, rec.case.ticket, "SURAT REKOMENDASI", "Jl. Tegar Beriman No. 1", NIK):
        assert expected.encode() in text, expected
    assert f"{public_url()}/v/{letter.token}".encode() in text
    assert letters.verify_url(letter) == f"{public_url()}/v/{letter.token}"


def test_referral_letter_is_issued_on_send_and_signed_by_the_approver(desk):
    case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, "lembaga", service=desk.rsud_service)
    decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    referral = rec.referrals.get()
    referral = move(referral, "send", desk.bo)
    letter = Letter.objects.get(referral=referral)
    assert letter.kind == LetterKind.RUJUKAN
    assert letter.signer_name == (desk.manajer.get_full_name() or desk.manajer.username)
    text = pdf_text(letters.render_letter(letter, desk.mitra))
    for expected in (
        letter.number,
        case.ticket,
        referral.number,
        "SURAT RUJUKAN",
        desk.rsud.name,
        "Layanan rawat-inap",
    ):
        assert expected.encode() in text, expected
    # The agency's copy carries the full name but a masked NIK (Mitra may not see full NIKs).
    assert b"Siti" in text and NIK.encode() not in text and b"320102********01" in text


def test_letter_download_is_scoped(desk):
    referral = referral_in(desk, "terkirim")
    letter = Letter.objects.get(referral=referral)
    for user, status in (
        (desk.bo, 200),
        (desk.mitra, 200),
        (desk.mitra_dinkes, 404),
        (desk.bo_other_kab, 404),
        (desk.koord_other, 404),
    ):
        response = client_for(user).get(f"/layanan/surat/{letter.pk}/pdf/")
        assert response.status_code == status, (user.username, response.status_code)
        if status == 200:
            assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="letter.download", object_id=str(letter.pk)).count() == 2


def test_api_letter_download(desk):
    from tests.test_referrals_fixtures import api_client

    referral = referral_in(desk, "terkirim")
    letter = Letter.objects.get(referral=referral)
    assert api_client(desk.mitra).get(f"/api/v1/letters/{letter.pk}/pdf").status_code == 200
    assert api_client(desk.mitra_dinkes).get(f"/api/v1/letters/{letter.pk}/pdf").status_code == 404


def test_verification_page_shows_initials_only(desk, client):
    referral = referral_in(desk, "terkirim")
    letter = Letter.objects.get(referral=referral)
    response = client.get(f"/v/{letter.token}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "S. R." in body and letter.number in body and "Surat Rujukan" in body and "asli" in body
    assert "Terkirim" in body and "Dinas Sosial" in body
    for personal in (NAME, "Siti", "Rahmawati", NIK, NIK[:6], PHONE, referral.case.ticket, "Biaya rawat inap"):
        assert personal not in body, personal


def test_verification_page_reflects_referral_status_and_revocation(desk, client):
    referral = referral_in(desk, "terkirim")
    letter = Letter.objects.get(referral=referral)
    move(referral, "cancel", desk.bo, reason="Salah lembaga")
    body = client.get(f"/v/{letter.token}").content.decode()
    assert "DICABUT" in body and "Dibatalkan" in body


def test_unknown_token_is_not_genuine_404(client):
    response = client.get("/v/tidak-ada-token-seperti-ini")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.content.decode()


def test_initials():
    assert letters.initials("Siti Rahmawati") == "S. R."
    assert letters.initials("  ahmad  ") == "A."
