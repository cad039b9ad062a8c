"""Field work: regressions found in review (choice slugs of the XLSForms, scope, idempotency,
the conflict rule, bad input)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionStatus, VisitStatus
from slrt.fieldwork.xforms import choice_labels
from slrt.updates.models import Proposal
from tests import test_fieldwork_services as base_tests
from tests.test_fieldwork_services import DESA, nik_for, send, verification_values

field = base_tests.field  # the same household, facilitator, supervisor and visit


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def proposals():
    return Proposal.objects.system()


def slug(list_name, label):
    """The XLSForm choice name of a label, read from the real form (fails if the form changes)."""
    names = {v: k for k, v in choice_labels("slrt_verifikasi_rt", list_name).items()}
    return names[label]


# --- choice slugs ---------------------------------------------------------------------------------


def test_choice_slugs_of_a_new_household_are_stored_as_the_registry_text(field):
    values = {
        "kunjungan": "", "hasil": "ditemukan", "kode_wilayah": DESA, "nomor_kk": "3201020101990002",
        "alamat": "Kp. Sawah", "minta_tinjau_desil": "tidak", "jenis_ppks": "orang_dengan_hiv_aids",
        "lantai": slug("lantai", "Kayu/papan kualitas rendah"), "sumber_air": slug("sumber_air", "Sumur bor/pompa"),
        "anggota": [
            {"aksi": "tambah", "nik": nik_for(), "nama": "Dadang", "jenis_kelamin": "L",
             "hubungan_keluarga": slug("hubungan_keluarga", "Kepala keluarga"),
             "pendidikan": slug("pendidikan", "SLTA/Sederajat"), "status_kawin": slug("status_kawin", "Kawin")},
            {"aksi": "tambah", "nik": nik_for(dt.date(1992, 2, 2), "P"), "nama": "Euis", "jenis_kelamin": "P",
             "hubungan_keluarga": slug("hubungan_keluarga", "Istri/suami"),
             "pendidikan": slug("pendidikan", "Akademi/Diploma III/Sarjana Muda"),
             "status_kawin": slug("status_kawin", "Belum kawin")},
        ],
    }
    result = services.receive(field.fas, form_id="slrt_verifikasi_rt", instance_id="uuid:slugs", values=values,
                              base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    data = proposals().get().data
    assert data["jenis_ppks"] == "Orang dengan HIV/AIDS"
    assert (data["hubungan_keluarga"], data["pendidikan"], data["status_kawin"]) == (
        "Kepala Keluarga", "SLTA/Sederajat", "Kawin")
    [wife] = data["anggota"]
    assert (wife["hubungan_keluarga"], wife["pendidikan"], wife["status_kawin"]) == (
        "Istri", "Akademi/Diploma III/Sarjana Muda", "Belum Kawin")
    # The house condition is kept as text for the reviewer (not an exchange column).
    rumah = result.submission.result["rumah"]
    assert rumah["lantai"] == "kayu/papan kualitas rendah" and rumah["sumber_air"] == "Sumur bor/pompa"


def test_unchanged_member_choices_sent_as_slugs_propose_no_change(field):
    field.wife.status_kawin, field.wife.pendidikan = "Kawin", "Tamat SD/Sederajat"
    field.wife.save()
    values = verification_values(field, anggota=[{
        "aksi": "ubah", "nik": field.wife.nik, "nama": field.wife.nama, "jenis_kelamin": "P",
        "hubungan_keluarga": slug("hubungan_keluarga", "Istri/suami"),
        "status_kawin": slug("status_kawin", "Kawin"), "pendidikan": slug("pendidikan", "Tamat SD/Sederajat"),
    }])
    result = send(field, values)
    assert result.status == SubmissionStatus.REVIEW, result.errors
    assert proposals().count() == 0


def test_a_changed_member_choice_is_proposed_as_the_registry_text(field):
    values = verification_values(field, anggota=[{
        "aksi": "ubah", "nik": field.head.nik, "nama": field.head.nama,
        "status_kawin": slug("status_kawin", "Cerai mati"),
        "pendidikan": slug("pendidikan", "Belum Tamat SD/Sederajat"),
    }])
    result = send(field, values)
    assert result.status == SubmissionStatus.REVIEW, result.errors
    assert proposals().get().data == {"nik": field.head.nik, "status_kawin": "Cerai Mati",
                                      "pendidikan": "Belum Tamat SD/Sederajat"}


# --- idempotency ----------------------------------------------------------------------------------


def test_an_instance_id_reused_with_different_values_is_refused_not_silently_dropped(field):
    first = send(field, verification_values(field, alamat="Jl. Pertama 1"))
    assert first.status == SubmissionStatus.REVIEW, first.errors
    with pytest.raises(ValidationError) as err:
        send(field, verification_values(field, alamat="Jl. Kedua 2"))
    assert "instance_id" in err.value.message_dict
    assert Submission.objects.system().get().values["alamat"] == "Jl. Pertama 1"
    assert proposals().get().data["alamat"] == "Jl. Pertama 1"


def test_a_retry_after_approval_is_still_a_plain_duplicate(field):
    values = verification_values(field, alamat="Jl. Pertama 1")
    first = send(field, values)
    services.review_submission(field.sup, first.submission, "approve", "OK")
    again = send(field, values)
    assert not again.created and again.status == SubmissionStatus.APPROVED
    assert proposals().count() == 1


def _api_item(f, key, **over):
    return {"idempotency_key": key, "form_id": "slrt_verifikasi_rt", "values": verification_values(f, **over),
            "base": selectors.visit_snapshot(f.visit)}


def test_api_idempotency_keys_belong_to_their_user(field):
    from tests.test_referrals_fixtures import api_client

    other = field.make_user("fasilitator", DESA)
    send(field, verification_values(field, alamat="Jl. ODK 1"), instance="k-1")  # an ODK instanceID
    [mine] = api_client(field.fas).post(
        "/api/v1/sync/push", {"items": [_api_item(field, "k-1", alamat="Jl. API 1")]},
        content_type="application/json").json()["items"]
    [theirs] = api_client(other).post(
        "/api/v1/sync/push", {"items": [_api_item(field, "k-1", kunjungan="", nomor_kk="", hasil="tidak_ditemukan")]},
        content_type="application/json").json()["items"]
    # Neither the user's own ODK instance nor another user's key with the same text is hit.
    assert mine["duplicate"] is False and mine["submission"] is not None
    assert theirs["status"] == SubmissionStatus.REVIEW and theirs["duplicate"] is False, theirs
    assert Submission.objects.system().count() == 3


# --- the conflict rule ----------------------------------------------------------------------------


def test_a_visit_submission_without_base_does_not_silently_overwrite_the_server(field):
    # An old form version without base_* fields: what the tablet downloaded is unknown.
    field.household.alamat = "Alamat dari kantor"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat dari tablet", rt="001"), base={})
    assert result.status == SubmissionStatus.CONFLICT
    [entry] = result.submission.conflicts
    assert (entry["field"], entry["server"], entry["submitted"]) == ("alamat", "Alamat dari kantor",
                                                                     "Alamat dari tablet")
    assert proposals().count() == 0


def test_a_visit_submission_without_base_that_agrees_with_the_server_or_fills_a_blank_applies(field):
    assert field.household.dusun == ""
    result = send(field, verification_values(field, alamat=field.household.alamat, dusun="Dusun I"), base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    assert proposals().get().data == {"nomor_kk": field.household.nomor_kk, "dusun": "Dusun I"}


def test_a_server_change_while_the_supervisor_decides_is_asked_once_not_in_a_loop(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat dari kantor"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat dari tablet", rt="009"), base=base)
    assert [c["field"] for c in result.submission.conflicts] == ["alamat"]
    field.household.rt = "007"  # changed again on the server before the supervisor decides
    field.household.save()
    sub = services.resolve_conflicts(field.sup, result.submission, {"alamat": "submitted"})
    assert sub.status == SubmissionStatus.CONFLICT
    assert {c["field"] for c in sub.conflicts} == {"alamat", "rt"}
    sub = services.resolve_conflicts(field.sup, sub, {"alamat": "submitted", "rt": "server"})
    assert sub.status == SubmissionStatus.REVIEW, sub.errors
    assert proposals().get().data == {"nomor_kk": field.household.nomor_kk, "alamat": "Alamat dari tablet"}


def test_choosing_a_server_value_that_changed_again_does_not_revert_the_newer_one(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat B"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat C"), base=base)
    field.household.alamat = "Alamat D"
    field.household.save()
    sub = services.resolve_conflicts(field.sup, result.submission, {"alamat": "server"})
    assert sub.status == SubmissionStatus.CONFLICT
    assert [(c["server"], c["choice"]) for c in sub.conflicts] == [("Alamat D", "")]
    assert proposals().count() == 0


# --- review ---------------------------------------------------------------------------------------


def test_returning_a_conflicted_submission_tells_the_facilitator_why(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat dari kantor"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat dari tablet"), base=base)
    services.review_submission(field.sup, result.submission, "return", "Cek ulang alamat")
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.RETURNED and field.visit.return_reason == "Cek ulang alamat"
    assert list(selectors.open_visits_for(field.fas, field.visit.kind)) == [field.visit]


# --- transactions and bad input -------------------------------------------------------------------


def test_a_failing_handler_keeps_the_submission_and_rolls_back_its_work(field, monkeypatch):
    from slrt.fieldwork import handlers

    real = handlers.HANDLERS["slrt_verifikasi_rt"]

    def broken(actor, sub, visit, *, choices):
        real(actor, sub, visit, choices=choices)  # drafts a proposal, then fails
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "slrt_verifikasi_rt", broken)
    result = send(field, verification_values(field, alamat="Jl. Baru 9"))
    assert result.status == SubmissionStatus.INVALID and result.errors["__all__"]
    assert Submission.objects.system().get().values["alamat"] == "Jl. Baru 9"
    assert proposals().count() == 0
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.PLANNED


def test_a_huge_member_repeat_is_a_named_error(field):
    rows = [{"aksi": "tambah", "nik": nik_for(), "nama": f"Anggota {i}", "jenis_kelamin": "L"} for i in range(300)]
    result = send(field, verification_values(field, anggota=rows))
    assert result.status == SubmissionStatus.INVALID and "anggota" in result.errors
    assert proposals().count() == 0


@pytest.mark.parametrize("name", ["..", ".", "a\x00b.jpg", "../../etc/passwd"])
def test_odd_attachment_names_are_stored_under_a_safe_name(field, name):
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 20
    result = send(field, verification_values(field), attachments=[(name, "image/jpeg", jpeg)])
    assert result.status == SubmissionStatus.REVIEW, result.errors
    [att] = result.submission.attachments.all()
    assert "\x00" not in att.name and att.name not in ("", ".", "..") and "/" not in att.name


def test_a_follow_up_date_that_does_not_exist_is_a_named_error(field):
    from tests import test_referrals_fixtures as fx

    desk = fx.build_desk()
    case, need = fx.make_case()
    referral = fx.referral_in(desk, "diterima", case, need)
    visit = services.assign_visit(field.sup, kind="tindak_lanjut", assigned_to=field.fas,
                                  due_date=dt.date.today(), referral=referral)
    values = {"kunjungan": str(visit.pk), "layanan_diterima": "sudah", "tanggal_layanan": "2026-02-30",
              "kondisi": "Baik", "perlu_tindak_lanjut": "tidak"}
    result = services.receive(field.fas, form_id="slrt_tindak_lanjut", instance_id="uuid:tl-bad", values=values,
                              base={})
    assert result.status == SubmissionStatus.INVALID and "tanggal_layanan" in result.errors


# --- audit ----------------------------------------------------------------------------------------


def test_a_sync_pull_records_which_records_it_handed_out(field):
    from slrt.audit.models import AuditEvent
    from tests.test_referrals_fixtures import api_client

    result = send(field, verification_values(field, alamat="Jl. Baru 1"))
    api_client(field.sup).get("/api/v1/sync/pull")
    event = AuditEvent.objects.filter(action="sync.pull").get()
    assert event.detail["proposals"] == result.submission.result["proposals"]
    assert event.detail["submissions"] == [result.submission.pk]
    assert event.detail["visits"] == [field.visit.pk]


def test_a_stranger_cannot_open_or_review_another_kecamatans_submission(field):
    from tests.test_referrals_fixtures import api_client

    result = send(field, verification_values(field, alamat="Jl. Baru 1"))
    far_sup = field.make_user("supervisor", "32.01.03")
    client = api_client(far_sup)
    assert client.get(f"/api/v1/submissions/{result.submission.pk}").status_code == 404
    assert client.post(f"/api/v1/submissions/{result.submission.pk}/review", {"action": "approve"},
                       content_type="application/json").status_code == 404
    other_fas = field.make_user("fasilitator", DESA)
    assert api_client(other_fas).get(f"/api/v1/submissions/{result.submission.pk}").status_code == 404
    with pytest.raises(PermissionDenied):
        services.review_submission(other_fas, result.submission, "approve")
