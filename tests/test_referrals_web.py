"""Referral pages: Mitra isolation and minimum data, the inbox and its filters, the staff list,
actions with conflicts that keep what was typed, and the case-page panel."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.referrals.models import Referral, ReferralStatus
from tests.test_referrals_fixtures import (
    NAME,
    NIK,
    OTHER_KAB_DESA,
    PHONE,
    agency,
    build_desk,
    client_for,
    draft,
    make_case,
    move,
    recommended,
    referral_in,
    service,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return build_desk()


def _sent_to_dinkes(desk):
    case, need = make_case()
    ref = draft(desk, case, need, svc=desk.dinkes_service)
    return move(ref, "send", desk.manajer)


def test_mitra_sees_only_its_agency_not_even_by_id(desk):
    mine = referral_in(desk, ReferralStatus.SENT)
    theirs = _sent_to_dinkes(desk)
    client = client_for(desk.mitra)
    inbox = client.get("/rujukan/masuk/").content.decode()
    assert mine.number in inbox and theirs.number not in inbox
    assert client.get(f"/rujukan/{theirs.pk}/").status_code == 404
    response = client.post(f"/rujukan/{theirs.pk}/aksi/", {"action": "accept", "version": theirs.version})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ReferralStatus.SENT
    assert client_for(desk.mitra_dinkes).get(f"/rujukan/{theirs.pk}/").status_code == 200


def test_mitra_never_sees_drafts(desk):
    ref = draft(desk)
    client = client_for(desk.mitra)
    assert ref.number not in client.get("/rujukan/masuk/").content.decode()
    assert client.get(f"/rujukan/{ref.pk}/").status_code == 404


def test_staff_scope_isolation(desk):
    mine = referral_in(desk, ReferralStatus.SENT)
    case, need = make_case(OTHER_KAB_DESA)
    other_svc = service(agency("RSUD-3202", region="32.02"), "rawat-inap")
    other = draft(desk, case, need, svc=other_svc, actor=desk.bo_other_kab)
    listing = client_for(desk.bo).get("/rujukan/").content.decode()
    assert mine.number in listing and other.number not in listing
    assert client_for(desk.bo).get(f"/rujukan/{other.pk}/").status_code == 404
    assert client_for(desk.koord_other).get(f"/rujukan/{mine.pk}/").status_code == 404
    assert client_for(desk.bo_other_kab).get(f"/rujukan/{other.pk}/").status_code == 200


def test_mitra_detail_shows_only_what_the_agency_needs(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    response = client_for(desk.mitra).get(f"/rujukan/{ref.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    for shown in (
        ref.number,
        ref.case.ticket,
        NAME,
        "320102********01",
        PHONE,
        "Kesehatan",
        "Biaya rawat inap",
        "Mohon dibantu",
    ):
        assert shown in body, shown
    assert NIK not in body
    assert "/registri/" not in body and "/layanan/kasus/" not in body  # no registry profile, no case page
    assert AuditEvent.objects.filter(action="referral.view", object_id=str(ref.pk), actor=desk.mitra).exists()


def test_staff_detail_shows_full_nik_to_roles_allowed(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    assert NIK in client_for(desk.bo).get(f"/rujukan/{ref.pk}/").content.decode()


def test_inbox_filters(desk):
    sent = referral_in(desk, ReferralStatus.SENT)
    accepted = referral_in(desk, ReferralStatus.ACCEPTED)
    case, need = make_case(sector="pendidikan")
    school = move(draft(desk, case, need), "send", desk.manajer)
    Referral.objects.system().filter(pk=sent.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    client = client_for(desk.mitra)

    def numbers(query):
        body = client.get(f"/rujukan/masuk/?{query}").content.decode()
        return {r.number for r in (sent, accepted, school) if r.number in body}

    assert numbers("") == {sent.number, accepted.number, school.number}
    assert numbers("status=diterima") == {accepted.number}
    assert numbers("overdue=on") == {sent.number}
    assert numbers("sector=pendidikan") == {school.number}
    today = timezone.localdate()
    assert numbers(f"date_from={today + dt.timedelta(days=1)}") == set()
    assert numbers(f"date_from={today}&date_to={today}") == {sent.number, accepted.number, school.number}


def test_staff_list_filters_and_mitra_is_sent_to_inbox(desk):
    rsud = referral_in(desk, ReferralStatus.SENT)
    dinkes = _sent_to_dinkes(desk)
    body = client_for(desk.manajer).get("/rujukan/?agency=DINKES-3201").content.decode()
    assert dinkes.number in body and rsud.number not in body
    body = client_for(desk.manajer).get("/rujukan/?status=draf").content.decode()
    assert rsud.number not in body
    response = client_for(desk.mitra).get("/rujukan/")
    assert response.status_code == 302 and response["Location"].endswith("/rujukan/masuk/")
    assert client_for(desk.bo).get("/rujukan/masuk/").status_code == 403


def test_nav_links_by_role(desk):
    assert "Kotak masuk rujukan" in client_for(desk.mitra).get("/rujukan/masuk/").content.decode()
    body = client_for(desk.bo).get("/rujukan/").content.decode()
    assert 'href="/rujukan/"' in body and "Kotak masuk rujukan" not in body


def test_mitra_walks_accept_start_done(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    client = client_for(desk.mitra)
    for action, extra in (
        ("accept", {}),
        ("start", {}),
        ("done", {"service_given": "Rawat inap", "outcome": "Pulih", "service_date": "2026-01-05"}),
    ):
        ref.refresh_from_db()
        response = client.post(f"/rujukan/{ref.pk}/aksi/", {"action": action, "version": ref.version, **extra})
        assert response.status_code == 302, response.content.decode()[:500]
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DONE and ref.outcome == "Pulih"


def test_conflict_when_someone_else_acted_first_keeps_typed_reason(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    stale = ref.version
    move(ref, "accept", desk.mitra)  # a colleague at the agency accepted meanwhile
    response = client_for(desk.mitra).post(
        f"/rujukan/{ref.pk}/aksi/", {"action": "reject", "version": stale, "reason": "Kamar penuh minggu ini"}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "baru saja diubah" in body
    assert "Diterima" in body  # the page shows the current state
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.ACCEPTED


def test_missing_field_rerenders_with_the_other_fields_kept(desk):
    ref = referral_in(desk, ReferralStatus.IN_SERVICE)
    response = client_for(desk.mitra).post(
        f"/rujukan/{ref.pk}/aksi/",
        {"action": "done", "version": ref.version, "service_given": "Operasi usus buntu", "outcome": ""},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Operasi usus buntu" in body and "Hasil layanan wajib diisi" in body


def test_role_not_allowed_gets_403_and_consent_gate_message(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    assert (
        client_for(desk.bo).post(f"/rujukan/{ref.pk}/aksi/", {"action": "accept", "version": ref.version}).status_code
        == 403
    )
    case, need = make_case(consent=False)
    pending = draft(desk, case, need)
    response = client_for(desk.manajer).post(
        f"/rujukan/{pending.pk}/aksi/", {"action": "send", "version": pending.version}
    )
    assert response.status_code == 409 and "belum menyetujui" in response.content.decode()


def test_staff_draft_send_from_case_panel_and_letter_link(desk, rf):
    case, need = make_case()
    client = client_for(desk.bo)
    response = client.post(
        f"/rujukan/draf/kasus/{case.pk}/",
        {"need": need.pk, "service": desk.rsud_service.pk, "note": "Segera", "next": "/rujukan/"},
    )
    assert response.status_code == 302
    ref = Referral.objects.system().get(case=case)
    request = rf.get("/layanan/kasus/x/")
    request.user = desk.bo
    # A direct draft: back office sees it waiting for penetapan layanan, with no send button.
    html = render_to_string("referrals/_case_referrals.html", {"case": case}, request=request)
    assert ref.number in html and 'value="send"' not in html and "Menunggu penetapan layanan" in html
    manajer_request = rf.get("/layanan/kasus/x/")
    manajer_request.user = desk.manajer
    html = render_to_string("referrals/_case_referrals.html", {"case": case}, request=manajer_request)
    assert 'value="send"' in html and "Menunggu penetapan layanan" not in html
    response = client_for(desk.manajer).post(
        f"/rujukan/{ref.pk}/aksi/", {"action": "send", "version": ref.version, "next": "/rujukan/"}
    )
    assert response.status_code == 302
    html = render_to_string("referrals/_case_referrals.html", {"case": case}, request=request)
    assert "/layanan/surat/" in html and 'value="cancel"' in html and 'value="send"' not in html
    bad = client.post(f"/rujukan/draf/kasus/{case.pk}/", {"need": need.pk, "note": "Tanpa lembaga"})
    assert bad.status_code == 422 and "Tanpa lembaga" in bad.content.decode()
    other_case, other_need = make_case(OTHER_KAB_DESA)
    assert (
        client.post(
            f"/rujukan/draf/kasus/{other_case.pk}/", {"need": other_need.pk, "service": desk.rsud_service.pk}
        ).status_code
        == 404
    )


def test_case_page_carries_both_panels(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    response = client_for(desk.bo).get(f"/layanan/{ref.case_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Penetapan layanan" in body and ref.number in body and f"/rujukan/draf/kasus/{ref.case_id}/" in body


def test_back_office_sending_a_direct_referral_is_told_who_decides(desk):
    ref = draft(desk)
    client = client_for(desk.bo)
    page = client.get(f"/rujukan/{ref.pk}/").content.decode()
    assert 'value="send"' not in page and "menunggu penetapan layanan" in page
    response = client.post(f"/rujukan/{ref.pk}/aksi/", {"action": "send", "version": ref.version})
    assert response.status_code == 403
    body = response.content.decode()
    assert "hanya dapat dikirim oleh Manajer SLRT atau Koordinator Puskesos" in body and ref.number in body
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT
    for decider in (desk.manajer, desk.koord):
        ref = draft(desk)
        page = client_for(decider).get(f"/rujukan/{ref.pk}/").content.decode()
        assert 'value="send"' in page and "menunggu penetapan layanan" not in page
        response = client_for(decider).post(f"/rujukan/{ref.pk}/aksi/", {"action": "send", "version": ref.version})
        assert response.status_code == 302
        ref.refresh_from_db()
        assert ref.status == ReferralStatus.SENT


def test_back_office_sends_an_approved_recommendation_from_the_case_panel(desk, rf):
    ref = recommended(desk)
    request = rf.get("/layanan/kasus/x/")
    request.user = desk.bo
    html = render_to_string("referrals/_case_referrals.html", {"case": ref.case}, request=request)
    assert 'value="send"' in html and "Menunggu penetapan layanan" not in html
    response = client_for(desk.bo).post(
        f"/rujukan/{ref.pk}/aksi/", {"action": "send", "version": ref.version, "next": "/rujukan/"}
    )
    assert response.status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT
