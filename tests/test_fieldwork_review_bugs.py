"""Field work: regressions found in review (choice slugs of the XLSForms, scope, idempotency,
the conflict rule, bad input)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionStatus, VisitStatus
from slrt.fieldwork.openrosa.xforms import choice_labels
from slrt.updates.models import Proposal, ProposalKind
from tests.test_fieldwork_services import DESA, field, nik_for, send, verification_values  # noqa: F401


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
