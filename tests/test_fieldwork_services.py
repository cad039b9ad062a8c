"""Field work services: receiving submissions (idempotency, INVALID kept, the three-way conflict
rule), visits (assign, scope) and the supervisor's review (approve, return)."""

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from slrt.audit.models import AuditEvent
from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionAttachment, SubmissionStatus, Visit, VisitKind, VisitStatus
from slrt.updates.models import Proposal, ProposalKind, ProposalStatus

DESA = "32.01.02.2001"
OTHER_DESA = "32.01.02.2002"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 200
_seq = itertools.count(7001)


def nik_for(birth=dt.date(1990, 5, 17), sex="L", kec="320102"):
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{next(_seq):04d}"


@pytest.fixture
def field(make_user, make_person):
    head = make_person(desa_code=DESA, nama="Asep Sunandar", sex="L", hubungan_keluarga="Kepala Keluarga")
    household = head.household
    household.alamat, household.rt, household.rw, household.desil = "Kp. Cibodas", "001", "002", 3
    household.save()
    wife = make_person(desa_code=DESA, nama="Rina Marlina", sex="P", household=household, hubungan_keluarga="Istri")
    fas = make_user("fasilitator", DESA)
    sup = make_user("supervisor", "32.01.02")
    visit = services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                  due_date=dt.date.today() + dt.timedelta(days=3), note="Cek data", household=household)
    return SimpleNamespace(head=head, wife=wife, household=household, fas=fas, sup=sup, visit=visit,
                           make_user=make_user)


def verification_values(f, **over):
    values = {
        "kunjungan": str(f.visit.pk), "hasil": "ditemukan", "kode_wilayah": DESA,
        "nomor_kk": f.household.nomor_kk, "alamat": f.household.alamat, "dusun": "", "rt": "001", "rw": "002",
        "lantai": "semen", "luas_lantai": "36", "jenis_ppks": "", "program": "", "minta_tinjau_desil": "tidak",
        "alasan_desil": "", "anggota": [], "foto_rumah": "rumah.jpg", "catatan": "",
    }
    values.update(over)
    return values


def send(f, values, *, instance="uuid:one", base=None, attachments=(), actor=None):
    return services.receive(
        actor or f.fas, form_id="slrt_verifikasi_rt", form_version="abc", instance_id=instance, values=values,
        base=selectors.visit_snapshot(f.visit) if base is None else base, attachments=attachments,
    )


def proposals():
    return Proposal.objects.system()


def test_an_unchanged_server_applies_the_change_as_a_verified_proposal_waiting_for_review(field):
    result = send(field, verification_values(field, alamat="Kp. Cibodas Hilir No. 4"),
                  attachments=[("rumah.jpg", "image/jpeg", JPEG)])
    assert result.created and result.status == SubmissionStatus.REVIEW, result.errors
    p = proposals().get()
    assert p.kind == ProposalKind.CHANGE and p.status == ProposalStatus.VERIFIED
    assert p.data["alamat"] == "Kp. Cibodas Hilir No. 4" and p.base["alamat"] == "Kp. Cibodas"
    assert result.submission.result["proposals"] == [p.pk]
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.SUBMITTED
    att = SubmissionAttachment.objects.get()
    assert att.size == len(JPEG) and len(att.sha256) == 64
    assert result.submission.desa_code == DESA
    event = AuditEvent.objects.filter(action="submission.receive").get()
    assert "Cibodas" not in str(event.detail)


def test_the_same_instance_twice_creates_nothing_new_and_a_split_post_adds_its_attachments(field):
    values = verification_values(field, alamat="Jl. Baru 1")
    first = send(field, values, attachments=[("rumah.jpg", "image/jpeg", JPEG)])
    second = send(field, values, attachments=[("rumah.jpg", "image/jpeg", JPEG), ("ttd.png", "image/png", PNG)])
    assert first.created and not second.created
    assert second.submission.pk == first.submission.pk
    assert Submission.objects.system().count() == 1 and proposals().count() == 1
    assert sorted(SubmissionAttachment.objects.values_list("name", flat=True)) == ["rumah.jpg", "ttd.png"]


def test_another_users_instance_id_is_refused(field):
    send(field, verification_values(field, alamat="Jl. Baru 1"))
    other = field.make_user("fasilitator", DESA)
    with pytest.raises(PermissionDenied):
        send(field, verification_values(field), actor=other)


def test_a_form_not_of_the_role_is_refused(field):
    back_office = field.make_user("back_office", "32.01")
    with pytest.raises(PermissionDenied):
        send(field, verification_values(field), actor=back_office)


def test_a_server_change_after_download_is_a_conflict_and_nothing_is_applied(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat dari kantor"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat dari tablet"), base=base)
    assert result.status == SubmissionStatus.CONFLICT
    assert proposals().count() == 0
    [entry] = result.submission.conflicts
    assert (entry["field"], entry["base"], entry["server"], entry["submitted"]) == (
        "alamat", "Kp. Cibodas", "Alamat dari kantor", "Alamat dari tablet")
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.PLANNED

    # The supervisor must choose for every conflicted field.
    with pytest.raises(ValidationError):
        services.resolve_conflicts(field.sup, result.submission, {})
    sub = services.resolve_conflicts(field.sup, result.submission, {"alamat": "submitted"})
    assert sub.status == SubmissionStatus.REVIEW
    p = proposals().get()
    assert p.data["alamat"] == "Alamat dari tablet" and p.base["alamat"] == "Alamat dari kantor"
    assert p.created_by == field.fas  # applied as the facilitator's field work
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.SUBMITTED


def test_choosing_the_server_value_proposes_no_change_for_that_field(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat dari kantor"
    field.household.save()
    result = send(field, verification_values(field, alamat="Alamat dari tablet", rt="009"), base=base)
    sub = services.resolve_conflicts(field.sup, result.submission, {"alamat": "server"})
    assert sub.status == SubmissionStatus.REVIEW
    p = proposals().get()
    assert p.data == {"nomor_kk": field.household.nomor_kk, "rt": "009"}


def test_a_server_change_the_tablet_agrees_with_is_no_conflict(field):
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Sama"
    field.household.save()
    result = send(field, verification_values(field, alamat="Sama"), base=base)
    assert result.status == SubmissionStatus.REVIEW
    assert proposals().count() == 0


def test_a_field_left_as_downloaded_keeps_the_newer_server_value_without_a_conflict(field):
    """The facilitator did not edit the address (the tablet sends the stale downloaded copy back):
    that is no edit, so no conflict, and no proposal to put the old address back."""
    base = selectors.visit_snapshot(field.visit)
    field.household.alamat = "Alamat dari rilis baru"
    field.household.save()
    result = send(field, verification_values(field, alamat=base["alamat"], rt="009"), base=base)
    assert result.status == SubmissionStatus.REVIEW, result.submission.conflicts
    p = proposals().get()
    assert p.data == {"nomor_kk": field.household.nomor_kk, "rt": "009"}


def test_invalid_data_is_kept_with_named_errors_and_a_fixed_resend_replaces_it(field):
    bad_member = {"aksi": "tambah", "nik": "123", "nama": "Dede", "tanggal_lahir": "2099-01-01",
                  "jenis_kelamin": "X", "hubungan_keluarga": "anak"}
    result = send(field, verification_values(field, anggota=[bad_member]))
    assert result.created and result.status == SubmissionStatus.INVALID
    assert "anggota[1].nik" in result.errors and "anggota[1].jenis_kelamin" in result.errors
    assert "anggota[1].tanggal_lahir" in result.errors
    assert Submission.objects.system().get().values["anggota"][0]["nik"] == "123"  # nothing lost
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.PLANNED

    good = dict(bad_member, nik=nik_for(dt.date(2015, 1, 2)), tanggal_lahir="2015-01-02", jenis_kelamin="L")
    fixed = send(field, verification_values(field, anggota=[good]))
    assert fixed.status == SubmissionStatus.REVIEW, fixed.errors
    assert Submission.objects.system().count() == 1
    p = proposals().get()
    assert p.kind == ProposalKind.ADD_MEMBER and p.data["nik"] == good["nik"]
    assert p.data["hubungan_keluarga"] == "Anak"


def test_member_actions_become_one_proposal_each_and_desil_review(field):
    values = verification_values(
        field,
        minta_tinjau_desil="ya", alasan_desil="Kepala keluarga kehilangan pekerjaan",
        anggota=[
            {"aksi": "ubah", "nik": field.head.nik, "nama": field.head.nama, "pekerjaan": "Buruh harian"},
            {"aksi": "meninggal", "nik": field.wife.nik, "nama": field.wife.nama},
        ],
    )
    result = send(field, values)
    assert result.status == SubmissionStatus.REVIEW, result.errors
    kinds = sorted(proposals().values_list("kind", flat=True))
    assert kinds == sorted([ProposalKind.CHANGE, ProposalKind.REMOVAL, ProposalKind.DESIL_REVIEW])
    removal = proposals().get(kind=ProposalKind.REMOVAL)
    assert removal.removal_reason == "meninggal" and removal.person == field.wife
    assert proposals().get(kind=ProposalKind.CHANGE).data == {"nik": field.head.nik, "pekerjaan": "Buruh harian"}
    assert set(proposals().values_list("status", flat=True)) == {ProposalStatus.VERIFIED}


def test_a_household_that_moved_away_is_proposed_for_removal_member_by_member(field):
    result = send(field, verification_values(field, hasil="pindah"))
    assert result.status == SubmissionStatus.REVIEW, result.errors
    assert proposals().filter(kind=ProposalKind.REMOVAL, removal_reason="pindah").count() == 2


def test_not_found_makes_no_proposal(field):
    result = send(field, verification_values(field, hasil="tidak_ditemukan"))
    assert result.status == SubmissionStatus.REVIEW
    assert proposals().count() == 0


def test_a_facilitator_cannot_submit_for_another_desa(field):
    result = send(field, verification_values(field, kunjungan="", kode_wilayah=OTHER_DESA, nomor_kk=""))
    assert result.status == SubmissionStatus.INVALID
    assert "kode_wilayah" in result.errors and OTHER_DESA in result.errors["kode_wilayah"][0]


def test_a_visit_assigned_to_someone_else_is_named_in_the_error(field):
    other = field.make_user("fasilitator", DESA)
    result = send(field, verification_values(field), actor=other, instance="uuid:other")
    assert result.status == SubmissionStatus.INVALID
    assert f"#{field.visit.pk}" in result.errors["kunjungan"][0]


def test_a_disallowed_or_oversized_attachment_is_a_named_error(field, settings):
    result = send(field, verification_values(field), attachments=[("x.exe", "application/x-msdownload", b"MZ")])
    assert result.status == SubmissionStatus.INVALID and "x.exe" in result.errors["lampiran"][0]
    assert SubmissionAttachment.objects.count() == 0
    fake = send(field, verification_values(field), instance="uuid:fake",
                attachments=[("foto.jpg", "image/jpeg", b"not a jpeg")])
    assert "foto.jpg" in fake.errors["lampiran"][0]


def test_a_new_household_from_intake_is_verified_on_its_draft_proposal(field):
    from slrt.cases.services import Intake, NewPerson, create_case

    fo = field.make_user("front_office", "32.01")
    intake = Intake(complaint_type="pengaduan", channel="sekretariat",
                    needs=[{"sector": "pangan", "description": "Tidak punya beras"}], consent_given=True,
                    consent_share_agencies=True, consent_purpose="layanan SLRT")
    nik = nik_for(dt.date(1980, 1, 1))
    case = create_case(fo, intake, new_person=NewPerson(name="Ujang Baru", desa_code=DESA, nik=nik)).case
    visit = Visit.objects.system().get(case=case)
    assert visit.assigned_to is not None
    fas = visit.assigned_to
    draft = visit.proposal
    values = {
        "kunjungan": str(visit.pk), "hasil": "ditemukan", "kode_wilayah": DESA, "nomor_kk": "",
        "alamat": "Kp. Baru", "rt": "003", "rw": "001", "minta_tinjau_desil": "tidak",
        "anggota": [
            {"aksi": "tambah", "nik": nik, "nama": "Ujang Baru", "tanggal_lahir": "1980-01-01",
             "jenis_kelamin": "L", "hubungan_keluarga": "kepala_keluarga"},
            {"aksi": "tambah", "nik": nik_for(dt.date(2010, 3, 3), "P"), "nama": "Euis", "tanggal_lahir": "2010-03-03",
             "jenis_kelamin": "P", "hubungan_keluarga": "anak"},
        ],
    }
    result = services.receive(fas, form_id="slrt_verifikasi_rt", instance_id="uuid:new", values=values,
                              base=selectors.visit_snapshot(visit))
    assert result.status == SubmissionStatus.REVIEW, result.errors
    p = Proposal.objects.system().get(kind=ProposalKind.NEW_HOUSEHOLD)
    assert p.pk == draft.pk and p.status == ProposalStatus.VERIFIED
    assert p.data["alamat"] == "Kp. Baru" and p.data["nama"] == "Ujang Baru"
    assert [m["nama"] for m in p.data["anggota"]] == ["Euis"]


def test_an_unassigned_registration_of_an_unknown_kk_drafts_a_new_household(field):
    values = {"kunjungan": "", "hasil": "ditemukan", "kode_wilayah": DESA, "nomor_kk": "3201020101990001",
              "alamat": "Kp. Sawah", "minta_tinjau_desil": "tidak",
              "anggota": [{"aksi": "tambah", "nik": nik_for(), "nama": "Dadang", "jenis_kelamin": "L",
                           "hubungan_keluarga": "kepala_keluarga"}]}
    result = services.receive(field.fas, form_id="slrt_verifikasi_rt", instance_id="uuid:reg", values=values,
                              base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    p = proposals().get()
    assert p.kind == ProposalKind.NEW_HOUSEHOLD and p.data["nomor_kk"] == "3201020101990001"


def test_approve_completes_the_visit_and_checks_the_proposals(field):
    result = send(field, verification_values(field, alamat="Jl. Baru 1"))
    sub = services.review_submission(field.sup, result.submission, "approve", "Sesuai")
    assert sub.status == SubmissionStatus.APPROVED and sub.reviewed_by == field.sup
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.DONE and field.visit.completed_at is not None
    assert proposals().get().status == ProposalStatus.CHECKED


def test_return_reopens_the_visit_with_the_reason_and_leaves_proposals(field):
    result = send(field, verification_values(field, alamat="Jl. Baru 1"))
    with pytest.raises(ValidationError):
        services.review_submission(field.sup, result.submission, "return", "")
    sub = services.review_submission(field.sup, result.submission, "return", "Foto rumah buram")
    assert sub.status == SubmissionStatus.RETURNED
    field.visit.refresh_from_db()
    assert field.visit.status == VisitStatus.RETURNED and field.visit.return_reason == "Foto rumah buram"
    assert list(selectors.open_visits_for(field.fas, VisitKind.VERIFICATION)) == [field.visit]
    assert proposals().get().status == ProposalStatus.VERIFIED


def test_review_scope_and_no_self_review(field):
    result = send(field, verification_values(field, alamat="Jl. Baru 1"))
    other_sup = field.make_user("supervisor", "32.01.03")
    assert list(selectors.review_queue(field.sup)) == [result.submission]
    assert list(selectors.review_queue(other_sup)) == []
    from django.http import Http404

    with pytest.raises(Http404):
        services.review_submission(other_sup, result.submission, "approve")
    with pytest.raises(PermissionDenied):
        services.review_submission(field.fas, result.submission, "approve")


def test_assign_visit_checks_assignee_region_and_scope(field, make_person):
    far = make_person(desa_code="32.01.03.2001", nama="Jauh")
    with pytest.raises(ValidationError) as err:
        services.assign_visit(field.sup, kind=VisitKind.VERIFICATION, assigned_to=field.make_user("fasilitator",
                              OTHER_DESA), due_date=dt.date.today(), household=field.household)
    assert "assigned_to" in err.value.message_dict
    from django.http import Http404

    with pytest.raises(Http404):
        services.assign_visit(field.sup, kind=VisitKind.VERIFICATION, assigned_to=field.fas,
                              due_date=dt.date.today(), household=far.household)
    with pytest.raises(PermissionDenied):
        services.assign_visit(field.fas, kind=VisitKind.VERIFICATION, assigned_to=field.fas,
                              due_date=dt.date.today(), household=field.household)


def test_snapshot_version_changes_with_the_server_values(field):
    before = selectors.visit_snapshot(field.visit)
    assert before["alamat"] == "Kp. Cibodas" and len(before["versi"]) == 10
    field.household.rt = "005"
    field.household.save()
    assert selectors.visit_snapshot(field.visit)["versi"] != before["versi"]


def test_a_field_complaint_becomes_a_case_with_the_registry_person(field):
    values = {"persetujuan": "ya", "tujuan_persetujuan": "Layanan SLRT", "boleh_dibagikan": "ya",
              "nik": field.wife.nik, "nama": "Rina", "kode_wilayah": DESA, "alamat": "", "telepon": "081234567890",
              "jenis_keluhan": "pengaduan", "urgensi": "mendesak", "sektor": "kesehatan pangan",
              "uraian": "Butuh biaya berobat"}
    result = services.receive(field.fas, form_id="slrt_pengaduan", instance_id="uuid:adu", values=values, base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    from slrt.cases.models import Case

    case = Case.objects.system().get(pk=result.submission.result["case"])
    assert case.person == field.wife and case.channel == "kunjungan" and case.urgency == "mendesak"
    assert sorted(case.needs.values_list("sector", flat=True)) == ["kesehatan", "pangan"]
    assert result.submission.result["ticket"] == case.ticket


def test_an_anonymous_field_complaint_keeps_no_personal_data(field):
    values = {"persetujuan": "tidak", "boleh_dibagikan": "tidak", "nik": field.wife.nik, "nama": "Rina",
              "kode_wilayah": DESA,
              "telepon": "081234567890", "jenis_keluhan": "saran", "urgensi": "biasa", "sektor": "pangan",
              "uraian": "Bantuan beras telat"}
    result = services.receive(field.fas, form_id="slrt_pengaduan", instance_id="uuid:anon", values=values, base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    from slrt.cases.models import Case

    case = Case.objects.system().get()
    assert case.person is None and case.applicant_nik == "" and case.applicant_phone == ""


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_follow_up_visit_logs_the_timeline_and_asks_the_back_office_when_service_is_missing(field):
    from slrt.cases.models import CaseEvent, FollowUpTask
    from slrt.cases.timeline import describe
    from tests import test_referrals_fixtures as fx

    desk = fx.build_desk()
    case, need = fx.make_case()
    referral = fx.referral_in(desk, "diterima", case, need)
    visit = services.assign_visit(field.sup, kind=VisitKind.FOLLOW_UP, assigned_to=field.fas,
                                  due_date=dt.date.today(), referral=referral)
    assert visit.case == case and visit.desa_code == case.desa_code
    assert list(selectors.open_visits_for(field.fas, VisitKind.FOLLOW_UP)) == [visit]
    values = {"kunjungan": str(visit.pk), "layanan_diterima": "belum", "tanggal_layanan": "",
              "kondisi": "Masih menunggu jadwal", "perlu_tindak_lanjut": "tidak", "catatan": ""}
    result = services.receive(field.fas, form_id="slrt_tindak_lanjut", instance_id="uuid:tl", values=values,
                              base={"status_rujukan": "terkirim"})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    res = result.submission.result
    assert res["status_rujukan"] == {"base": "terkirim", "now": "diterima", "changed": True}
    task = FollowUpTask.objects.get(pk=res["task"])
    assert task.case == case
    event = CaseEvent.objects.get(case=case, kind="visit.follow_up")
    assert referral.number in describe(event)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED


def test_a_follow_up_form_needs_its_visit(field):
    values = {"kunjungan": "", "layanan_diterima": "sudah", "kondisi": "Baik", "perlu_tindak_lanjut": "tidak"}
    result = services.receive(field.fas, form_id="slrt_tindak_lanjut", instance_id="uuid:tl2", values=values,
                              base={})
    assert result.status == SubmissionStatus.INVALID and "kunjungan" in result.errors


def test_a_corrected_resubmission_after_return_updates_the_earlier_proposals(field):
    first = send(field, verification_values(field, alamat="Jl. Salah 1", anggota=[
        {"aksi": "meninggal", "nik": field.wife.nik, "nama": field.wife.nama}]))
    services.review_submission(field.sup, first.submission, "return", "Alamat salah ketik")
    assert [v.pk for v in selectors.open_visits_for(field.fas, VisitKind.VERIFICATION)] == [field.visit.pk]
    again = send(field, verification_values(field, alamat="Jl. Benar 1", anggota=[
        {"aksi": "meninggal", "nik": field.wife.nik, "nama": field.wife.nama}]), instance="uuid:two")
    assert again.status == SubmissionStatus.REVIEW, again.errors
    change = proposals().get(kind=ProposalKind.CHANGE)
    assert change.data["alamat"] == "Jl. Benar 1" and change.status == ProposalStatus.VERIFIED
    assert proposals().filter(kind=ProposalKind.REMOVAL).count() == 1
    # A third round that drops the removal cancels the earlier one.
    services.review_submission(field.sup, again.submission, "return", "Istri masih hidup")
    third = send(field, verification_values(field, alamat="Jl. Benar 1"), instance="uuid:three")
    assert third.status == SubmissionStatus.REVIEW, third.errors
    assert proposals().get(kind=ProposalKind.REMOVAL).status == ProposalStatus.CANCELLED
    assert proposals().filter(kind=ProposalKind.CHANGE).count() == 1


@pytest.mark.parametrize(
    ("leave_out", "field_name"),
    [("persetujuan", "persetujuan"), ("boleh_dibagikan", "boleh_dibagikan")],
)
def test_a_field_complaint_without_a_consent_answer_is_invalid_and_names_the_question(field, leave_out, field_name):
    """The ODK complaint (and the sync API push, which runs the same receive) needs both answers."""
    values = {"persetujuan": "ya", "tujuan_persetujuan": "Layanan SLRT", "boleh_dibagikan": "ya",
              "nama": "Rina", "kode_wilayah": DESA, "jenis_keluhan": "pengaduan", "urgensi": "biasa",
              "sektor": "pangan", "uraian": "Butuh beras"}
    del values[leave_out]
    result = services.receive(field.fas, form_id="slrt_pengaduan", instance_id=f"uuid:no-{leave_out}",
                              values=values, base={})
    assert result.status == SubmissionStatus.INVALID
    assert "pilih Ya atau Tidak" in " ".join(result.errors[field_name])
    from slrt.cases.models import Case

    assert not Case.objects.system().exists()


def test_a_field_complaint_records_the_share_answer_as_given(field):
    values = {"persetujuan": "ya", "tujuan_persetujuan": "Layanan SLRT", "boleh_dibagikan": "tidak",
              "nama": "Rina", "kode_wilayah": DESA, "jenis_keluhan": "pengaduan", "urgensi": "biasa",
              "sektor": "pangan", "uraian": "Butuh beras"}
    result = services.receive(field.fas, form_id="slrt_pengaduan", instance_id="uuid:share-no", values=values,
                              base={})
    assert result.status == SubmissionStatus.REVIEW, result.errors
    from slrt.cases.models import Case

    case = Case.objects.system().get()
    assert case.consent_given and not case.consent_share_agencies
