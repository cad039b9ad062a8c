"""Consent is the resident's active choice (UU PDP): two separate questions with nothing chosen in
advance on the web form, in the API, in the ODK form and through the sync API; the purpose beside
each question; the receipt prints what was agreed; and consent to share can be withdrawn later
(drafts cancelled, referrals at an agency flagged to it and to the Manajer, nothing sent after)."""

import dataclasses
import io
import re

import pytest
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from slrt.accounts.models import User
from slrt.audit.models import AuditEvent
from slrt.cases import consent, services
from slrt.cases.models import Case, CaseEvent
from slrt.cases.receipt import receipt_pdf
from slrt.cases.timeline import describe
from slrt.core.exceptions import ConsentRequired, Forbidden, InvalidTransition
from slrt.core.locking import ConflictError
from slrt.fieldwork import xforms
from slrt.fieldwork.formdefs import FORMS
from slrt.fieldwork.models import SubmissionStatus
from slrt.notifications.models import Notification
from slrt.programs.models import Agency
from slrt.referrals import services as referral_services
from slrt.referrals.models import ReferralStatus, ReferralTransition
from slrt.referrals.workflow import TRANSITIONS, WITHDRAWAL_CANCELS
from tests.test_cases_web import _token_from_search, post_intake
from tests.test_referrals_fixtures import (
    DESA,
    api_client,
    build_desk,
    client_for,
    draft,
    make_case,
    move,
    referral_in,
)

pytestmark = pytest.mark.django_db

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def fo_client(client, make_user):
    user = make_user("front_office", "32.01")
    client.force_login(user)
    client.user = user
    return client


# --- the web intake form ---------------------------------------------------------------------------


def test_intake_form_arrives_with_neither_consent_question_answered(fo_client):
    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    page = fo_client.get(reverse("cases:intake_create"), {"token": token}).content.decode()
    for name in ("consent_given", "consent_share_agencies"):
        radios = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert sorted(re.search(r'value="(\w+)"', r).group(1) for r in radios) == ["tidak", "ya"], name
        assert all("checked" not in r for r in radios), f"{name} must not be pre-chosen"
        assert all(" required" in r for r in radios), name
    # No checkbox that could arrive ticked.
    assert 'type="checkbox" name="consent' not in page
    # The purpose in plain words beside each question.
    with translation.override("id"):
        for text in (consent.RECORD_QUESTION, consent.RECORD_PURPOSE, consent.SHARE_QUESTION, consent.SHARE_PURPOSE):
            assert str(text) in page


@pytest.mark.parametrize("leave_out", ["consent_given", "consent_share_agencies"])
def test_an_unanswered_consent_question_marks_the_field_and_keeps_what_was_typed(fo_client, leave_out):
    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    response = post_intake(
        fo_client,
        token=token,
        name="Budi Santoso",
        desa_code=DESA,
        summary="Atap bocor sejak Maret",
        **{leave_out: ""},
    )
    assert response.status_code == 422
    page = response.content.decode()
    message = consent.RECORD_UNANSWERED if leave_out == "consent_given" else consent.SHARE_UNANSWERED
    with translation.override("id"):
        assert str(message) in page
    # The question at fault is marked; everything typed and the other answer are kept.
    assert re.search(rf'<fieldset class="form-row yes-no field-error" id="id_{leave_out}"', page)
    other = "consent_share_agencies" if leave_out == "consent_given" else "consent_given"
    assert re.search(rf'<input[^>]*name="{other}"[^>]*value="ya"[^>]*checked', page)
    assert "Atap bocor sejak Maret" in page and 'value="Budi Santoso"' in page
    assert not Case.objects.system().exists()


def test_the_answers_chosen_on_the_web_form_are_recorded(fo_client):
    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    response = post_intake(
        fo_client, token=token, name="Budi Santoso", desa_code=DESA, consent_given="ya", consent_share_agencies="tidak"
    )
    assert response.status_code == 302
    case = Case.objects.system().get()
    assert case.consent_given is True and case.consent_share_agencies is False and case.consent_at


def test_sharing_without_consent_to_record_is_refused_on_the_form(fo_client):
    token, _ = _token_from_search(fo_client, "Nama Yang Tidak Ada")
    response = post_intake(
        fo_client, token=token, name="", desa_code=DESA, phone="", consent_given="tidak", consent_share_agencies="ya"
    )
    assert response.status_code == 422
    with translation.override("id"):
        assert str(consent.SHARE_WITHOUT_RECORD) in response.content.decode()
    assert not Case.objects.system().exists()


# --- the service ---------------------------------------------------------------------------------


def _intake(**kw):
    base = dict(
        complaint_type="pengaduan",
        channel="sekretariat",
        needs=[{"sector": "kesehatan", "description": "Biaya rawat inap anak"}],
        consent_given=True,
        consent_share_agencies=True,
        consent_purpose="Penanganan keluhan dan rujukan",
    )
    base.update(kw)
    return services.Intake(**base)


def test_the_intake_service_has_no_default_for_either_answer():
    fields = {f.name: f for f in dataclasses.fields(services.Intake)}
    for name in ("consent_given", "consent_share_agencies"):
        assert fields[name].default is dataclasses.MISSING and fields[name].default_factory is dataclasses.MISSING


@pytest.mark.parametrize("leave_out", ["consent_given", "consent_share_agencies"])
def test_the_intake_service_refuses_an_unanswered_question(make_user, leave_out):
    fo = make_user("front_office", "32.01")
    with pytest.raises(ValidationError) as exc:
        services.create_case(
            fo,
            _intake(**{leave_out: None}),
            new_person=services.NewPerson(name="Budi Santoso", desa_code=DESA, nik="3201021503900007"),
        )
    assert set(exc.value.message_dict) == {leave_out}
    assert "pilih Ya atau Tidak" in exc.value.message_dict[leave_out][0]


# --- the API -------------------------------------------------------------------------------------


def _case_body(**consent_fields):
    return {
        "complaint_type": "pengaduan",
        "channel": "sekretariat",
        "needs": [{"sector": "kesehatan", "description": "Biaya rawat inap"}],
        "consent": consent_fields,
    }


@pytest.mark.parametrize(
    ("sent", "missing"),
    [
        ({"purpose": "Penanganan", "share_with_agencies": True}, "consent.given"),
        ({"given": True, "purpose": "Penanganan"}, "consent.share_with_agencies"),
        ({"purpose": "Penanganan"}, "consent.given, consent.share_with_agencies"),
    ],
)
def test_api_refuses_a_case_that_omits_a_consent_answer_naming_the_field(make_user, make_person, sent, missing):
    fo = make_user("front_office", "32.01")
    make_person(nama="Siti Aminah")
    api = api_client(fo)
    person_id = api.get("/api/v1/cases/intake-search", {"q": "Siti Aminah"}).json()["items"][0]["id"]
    body = {**_case_body(**sent), "person_id": person_id}
    response = api.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert f"wajib diisi: {missing}" in body["detail"]
    locs = {".".join(map(str, e["loc"][2:])) for e in body["errors"] if e["type"] == "missing"}
    assert locs == set(missing.split(", "))
    assert not Case.objects.system().exists()


def test_api_schema_has_no_default_for_either_consent_answer(make_user):
    schema = api_client(make_user("front_office", "32.01")).get("/api/v1/openapi.json").json()
    consent_in = schema["components"]["schemas"]["ConsentIn"]
    assert {"given", "share_with_agencies"} <= set(consent_in["required"])
    for name in ("given", "share_with_agencies"):
        assert "default" not in consent_in["properties"][name]


def test_api_refuses_sharing_without_consent_to_record(make_user):
    fo = make_user("front_office", "32.01")
    body = {**_case_body(given=False, share_with_agencies=True), "new_person": {"name": "", "desa_code": DESA}}
    response = api_client(fo).post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    assert "consent_share_agencies" in response.json()["errors"]
    assert not Case.objects.system().exists()


# --- the ODK form and the sync API ---------------------------------------------------------------


def _xform_fields():
    doc = ElementTree.fromstring(xforms.xform_for(FORMS["slrt_pengaduan"]).xml)
    binds = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in doc.iter(f"{XF}bind")}
    instance = doc.find(f"{H}head/{XF}model/{XF}instance")[0]
    leaves = {el.tag.rsplit("}", 1)[-1]: el for el in instance.iter()}
    hints = {}
    for control in doc.find(f"{H}body").iter(f"{XF}select1"):
        hint = control.find(f"{XF}hint")
        hints[control.get("ref").rsplit("/", 1)[-1]] = hint.text if hint is not None else ""
    return binds, leaves, hints


def test_odk_complaint_form_asks_both_consent_questions_required_and_unanswered():
    binds, leaves, hints = _xform_fields()
    for name, purpose in (("persetujuan", consent.RECORD_PURPOSE), ("boleh_dibagikan", consent.SHARE_PURPOSE)):
        bind = binds[name]
        assert bind.get("required") == "true()", name
        assert not (leaves[name].text or "").strip(), f"{name} must have no default"
        # Asked every time, not hidden behind the first answer.
        assert bind.get("relevant") is None, name
        with translation.override("id"):
            assert hints[name] == str(purpose), f"{name}: the purpose beside the question"
    assert "persetujuan" in binds["boleh_dibagikan"].get("constraint")


def _complaint_item(key, **values):
    base = {"persetujuan": "ya", "tujuan_persetujuan": "Layanan SLRT", "boleh_dibagikan": "ya", "nama": "Rina",
            "kode_wilayah": DESA, "jenis_keluhan": "pengaduan", "urgensi": "biasa", "sektor": "pangan",
            "uraian": "Butuh beras"}
    base.update(values)
    return {"idempotency_key": key, "form_id": "slrt_pengaduan", "values": {k: v for k, v in base.items() if v}}


def test_sync_api_push_of_a_complaint_without_the_share_answer_is_invalid(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = api_client(make_user("fasilitator", DESA))
    response = api.post(
        "/api/v1/sync/push",
        {"items": [_complaint_item("k-no-share", boleh_dibagikan=""), _complaint_item("k-both")]},
        content_type="application/json",
    )
    assert response.status_code == 200
    missing, both = response.json()["items"]
    assert missing["status"] == SubmissionStatus.INVALID
    assert "pilih Ya atau Tidak" in " ".join(missing["errors"]["boleh_dibagikan"])
    assert both["status"] == SubmissionStatus.REVIEW, both["errors"]
    case = Case.objects.system().get()
    assert case.consent_given and case.consent_share_agencies


# --- the receipt ---------------------------------------------------------------------------------


def test_receipt_prints_what_was_agreed(make_user):
    fo = make_user("front_office", "32.01")
    result = services.create_case(
        fo,
        _intake(consent_share_agencies=False, consent_purpose="Penanganan keluhan kesehatan"),
        new_person=services.NewPerson(name="Budi Santoso", desa_code=DESA, nik="3201021503900007"),
    )
    case = result.case
    with translation.override("id"):
        text = _text(receipt_pdf(case, result.status_code))
    assert "Setuju data dicatat Ya" in text
    assert "Setuju data dibagikan ke lembaga rujukan Tidak" in text
    assert "Tujuan pemrosesan data Penanganan keluhan kesehatan" in text
    assert f"Tanggal persetujuan {case.consent_at.astimezone().strftime('%d-%m-%Y')}" in text


def test_receipt_of_an_anonymous_case_says_nothing_was_agreed(make_user):
    fo = make_user("front_office", "32.01")
    result = services.create_case(
        fo,
        _intake(consent_given=False, consent_share_agencies=False),
        new_person=services.NewPerson(name="", desa_code=DESA),
    )
    with translation.override("id"):
        text = _text(receipt_pdf(result.case, result.status_code))
    assert "Setuju data dicatat Tidak (keluhan dicatat tanpa identitas)" in text
    assert "Setuju data dibagikan ke lembaga rujukan Tidak" in text


# --- withdrawal of consent to share --------------------------------------------------------------


@pytest.fixture
def desk():
    desk = build_desk()
    User.objects.filter(pk=desk.manajer.pk).update(email="manajer@dinsos.example.id")
    Agency.objects.filter(pk=desk.rsud.pk).update(email="rujukan@rsud.example.id")
    return desk


@pytest.fixture
def withdrawn_setup(desk):
    """One case with a draft, a referral sent and one accepted at the RSUD."""
    case, need = make_case()
    sent = referral_in(desk, ReferralStatus.SENT, case, need)
    accepted = referral_in(desk, ReferralStatus.ACCEPTED, case, need)
    drafted = draft(desk, case, need)
    case.refresh_from_db()
    return case, drafted, sent, accepted


def test_withdrawal_cancels_drafts_flags_sent_referrals_and_notifies_the_manajer(desk, withdrawn_setup):
    case, drafted, sent, accepted = withdrawn_setup
    result = referral_services.withdraw_share_consent(desk.fo, case, case.version, "Warga datang ke loket")
    assert [r.number for r in result.cancelled] == [drafted.number]
    assert {r.number for r in result.flagged} == {sent.number, accepted.number}

    case.refresh_from_db()
    assert case.consent_share_agencies is False and case.consent_share_withdrawn_at is not None
    assert case.consent_withdrawal_reason == "Warga datang ke loket"
    assert case.consent_given is True  # recording consent is not what was withdrawn

    drafted.refresh_from_db()
    assert drafted.status == ReferralStatus.CANCELLED and drafted.consent_withdrawn_at is None
    stamp = ReferralTransition.objects.filter(referral=drafted).last()
    assert (stamp.action, stamp.from_status, stamp.to_status, stamp.actor) == (
        "cancel", ReferralStatus.DRAFT, ReferralStatus.CANCELLED, desk.fo)
    for ref, status in ((sent, ReferralStatus.SENT), (accepted, ReferralStatus.ACCEPTED)):
        ref.refresh_from_db()
        assert ref.status == status and ref.consent_withdrawn_at == case.consent_share_withdrawn_at

    # The Manajer SLRT of the kab/kota and the agency are told, per referral at the agency.
    rows = Notification.objects.filter(event="referral.consent_withdrawn")
    assert {(r.object_id, r.recipient) for r in rows} == {
        (str(ref.pk), to) for ref in (sent, accepted) for to in ("manajer@dinsos.example.id", "rujukan@rsud.example.id")
    }
    assert all(sent.number in r.subject or accepted.number in r.subject for r in rows)
    assert all("menarik persetujuan" in r.body and case.applicant_name not in r.body for r in rows)

    # Timeline and audit.
    event = CaseEvent.objects.get(case=case, kind="case.consent_withdrawn")
    with translation.override("id"):
        text = describe(event)
    assert drafted.number in text and sent.number in text and accepted.number in text
    assert "Warga datang ke loket" not in str(event.params)
    audit = AuditEvent.objects.get(action="case.consent_withdraw")
    assert audit.detail == {"cancelled": [drafted.pk], "flagged": sorted([sent.pk, accepted.pk])}


def test_nothing_is_sent_for_the_case_after_withdrawal(desk, withdrawn_setup):
    case, _drafted, _sent, _accepted = withdrawn_setup
    referral_services.withdraw_share_consent(desk.bo, case, case.version, "Permintaan warga")
    later = draft(desk, case, case.needs.get())
    with pytest.raises(ConsentRequired) as exc:
        move(later, "send", desk.manajer)
    assert "menarik persetujuan" in str(exc.value.message)
    later.refresh_from_db()
    assert later.status == ReferralStatus.DRAFT and later.sent_at is None


def test_withdrawal_checks_the_version_and_changes_nothing_when_stale(desk, withdrawn_setup):
    case, drafted, _sent, _accepted = withdrawn_setup
    with pytest.raises(ConflictError):
        referral_services.withdraw_share_consent(desk.bo, case, case.version - 1, "Permintaan warga")
    case.refresh_from_db()
    drafted.refresh_from_db()
    assert case.consent_share_agencies and case.consent_share_withdrawn_at is None
    assert drafted.status == ReferralStatus.DRAFT
    assert not Notification.objects.filter(event="referral.consent_withdrawn").exists()


def test_withdrawal_needs_a_reason_a_consent_to_withdraw_and_a_desk_role(desk):
    case, _need = make_case()
    with pytest.raises(ValidationError) as exc:
        referral_services.withdraw_share_consent(desk.bo, case, case.version, "  ")
    assert set(exc.value.message_dict) == {"reason"}
    for outsider in (desk.mitra, desk.dinsos):
        with pytest.raises(Forbidden):
            referral_services.withdraw_share_consent(outsider, case, case.version, "x")
    with pytest.raises(Http404):
        referral_services.withdraw_share_consent(desk.bo_other_kab, case, case.version, "x")
    referral_services.withdraw_share_consent(desk.bo, case, case.version, "Permintaan warga")
    case.refresh_from_db()
    with pytest.raises(InvalidTransition):
        referral_services.withdraw_share_consent(desk.bo, case, case.version, "lagi")
    never, _ = make_case(consent=False)
    with pytest.raises(InvalidTransition):
        referral_services.withdraw_share_consent(desk.bo, never, never.version, "x")


def test_withdrawal_cancels_only_what_the_state_machine_cancels():
    assert WITHDRAWAL_CANCELS <= TRANSITIONS["cancel"].sources


def test_case_page_offers_withdrawal_and_records_it_with_reason_and_version(desk, withdrawn_setup):
    case, drafted, sent, _accepted = withdrawn_setup
    bo = client_for(desk.bo)
    page = bo.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="persetujuan"' in page and 'id="consent-withdraw"' in page
    url = reverse("referrals:consent_withdraw", args=[case.pk])
    assert f'action="{url}"' in page

    # No reason: the form comes back marked, nothing changes.
    response = bo.post(url, {"version": case.version, "reason": ""})
    assert response.status_code == 422 and "Keterangan penarikan wajib diisi" in response.content.decode()
    # A stale version: 409, the reason typed is kept and the fresh version offered.
    response = bo.post(url, {"version": case.version - 1, "reason": "Warga menelepon"})
    assert response.status_code == 409
    assert "Warga menelepon" in response.content.decode()
    assert f'name="version" value="{case.version}"' in response.content.decode()
    case.refresh_from_db()
    assert case.consent_share_withdrawn_at is None

    response = bo.post(url, {"version": case.version, "reason": "Warga menelepon"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert drafted.number in page and "Persetujuan berbagi data" in page
    assert 'id="consent-withdraw"' not in page  # nothing left to withdraw
    assert "ditarik pada" in page  # the consent card and the referral panel say so
    with translation.override("id"):
        text = describe(CaseEvent.objects.get(case=case, kind="case.consent_withdrawn"))
    assert text in page.replace("&#x27;", "'")


def test_mitra_inbox_and_referral_page_show_the_withdrawal(desk, withdrawn_setup):
    case, _drafted, sent, accepted = withdrawn_setup
    referral_services.withdraw_share_consent(desk.bo, case, case.version, "Permintaan warga")
    mitra = client_for(desk.mitra)
    inbox = mitra.get(reverse("referrals:inbox")).content.decode()
    rows = re.findall(r"<tr.*?</tr>", inbox, re.S)
    flagged_rows = [r for r in rows if sent.number in r or accepted.number in r]
    assert len(flagged_rows) == 2 and all("Persetujuan ditarik" in r for r in flagged_rows)
    detail = mitra.get(reverse("referrals:detail", args=[sent.pk])).content.decode()
    assert 'id="persetujuan-ditarik"' in detail and "Jangan memproses" in detail
    # The phone is no longer shared with the agency.
    assert "081234567890" not in detail
    # Staff see the flag too.
    staff = client_for(desk.bo).get(reverse("referrals:detail", args=[sent.pk])).content.decode()
    assert 'id="persetujuan-ditarik"' in staff


def test_api_withdrawal_with_ids_from_api_answers(desk, make_person):
    person = make_person(nama="Rahmawati Lestari", desa_code=DESA)
    fo, bo, manajer, mitra = (api_client(u) for u in (desk.fo, desk.bo, desk.manajer, desk.mitra))
    hit = fo.get("/api/v1/cases/intake-search", {"q": person.nama}).json()["items"][0]
    created = fo.post(
        "/api/v1/cases",
        {**_case_body(given=True, share_with_agencies=True, purpose="Penanganan"), "person_id": hit["id"],
         "phone": "081299998888"},
        content_type="application/json",
    ).json()
    need_id = created["needs"][0]["id"]
    agencies = bo.get("/api/v1/agencies").json()
    service_id = next(s["id"] for a in agencies if a["code"] == "RSUD-3201" for s in a["services"])

    def new_referral():
        body = {"need_id": need_id, "service_id": service_id}
        return bo.post("/api/v1/referrals", body, content_type="application/json").json()

    to_send, stays_draft = new_referral(), new_referral()
    sent = manajer.post(
        f"/api/v1/referrals/{to_send['id']}/transitions",
        {"action": "send", "version": to_send["version"]},
        content_type="application/json",
    ).json()
    assert sent["status"] == "terkirim"

    url = f"/api/v1/cases/{created['id']}/consent/withdraw"
    case = bo.get(f"/api/v1/cases/{created['id']}").json()
    assert bo.post(url, {"version": case["version"]}, content_type="application/json").status_code == 422
    stale = bo.post(url, {"version": case["version"] - 1, "reason": "x"}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    response = bo.post(url, {"version": case["version"], "reason": "Permintaan warga"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["id"] for r in body["cancelled"]] == [stays_draft["id"]]
    assert [r["id"] for r in body["flagged"]] == [sent["id"]]
    assert body["version"] > case["version"]

    after = bo.get(f"/api/v1/cases/{created['id']}").json()["consent"]
    assert after["share_with_agencies"] is False and after["share_withdrawn_at"] is not None
    at_agency = mitra.get(f"/api/v1/referrals/{sent['id']}").json()
    assert at_agency["consent_withdrawn_at"] is not None and at_agency["phone"] == ""
    again = bo.post(url, {"version": body["version"], "reason": "lagi"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    # Nothing more goes out for this case.
    third = new_referral()
    refused = manajer.post(
        f"/api/v1/referrals/{third['id']}/transitions",
        {"action": "send", "version": third["version"]},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "consent_required"


def test_demo_cases_carry_explicit_consent_answers(make_user, make_person):
    from slrt.cases.demo import seed_cases

    for i in range(4):
        make_person(nama=f"Demo {i}")
    cases = seed_cases("32.01", make_user("front_office", "32.01"), make_user("back_office", "32.01"))
    assert cases
    for case in cases:
        assert case.consent_given in (True, False) and case.consent_share_agencies in (True, False)
        assert not (case.consent_share_agencies and not case.consent_given)



def test_withdrawal_page_is_refused_to_roles_that_do_not_take_requests(desk):
    case, _need = make_case()
    url = reverse("referrals:consent_withdraw", args=[case.pk])
    for user in (desk.dinsos, desk.mitra):
        client = client_for(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"version": case.version, "reason": "x"}).status_code == 403
    assert client_for(desk.bo_other_kab).get(url).status_code == 404
    page = client_for(desk.dinsos).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="consent-withdraw"' not in page
    case.refresh_from_db()
    assert case.consent_share_withdrawn_at is None
