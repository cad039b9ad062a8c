"""Editing a proposal's data while it is still at home (draf, terverifikasi), on the web page and
with PATCH /api/v1/proposals/{id}: optimistic locking (a stale form comes back with what was typed
and the conflict message), validation per column, scope 404, and no edit once checked."""

import pytest

from slrt.audit.models import AuditEvent
from slrt.updates import services
from slrt.updates.models import Proposal, ProposalStatus
from tests.test_referrals_fixtures import api_client, client_for

pytestmark = pytest.mark.django_db
DESA = "32.01.02.2001"
JSON = "application/json"


@pytest.fixture
def staff(make_user):
    return {
        "fas": make_user("fasilitator", DESA),
        "fas2": make_user("fasilitator", DESA),
        "other": make_user("fasilitator", "32.01.03.2001"),
        "sup": make_user("supervisor", "32.01.02"),
        "front": make_user("front_office", "32.01"),
    }


def draft(actor, person, pekerjaan="Petani"):
    return services.draft_proposal(actor, kind="perubahan", data={"nik": person.nik, "pekerjaan": pekerjaan})


def test_the_edit_page_is_prefilled_saves_and_is_audited(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    fas = client_for(staff["fas"])
    assert f'href="/usulan/{p.pk}/ubah/"' in fas.get(f"/usulan/{p.pk}/").text
    page = fas.get(f"/usulan/{p.pk}/ubah/")
    assert page.status_code == 200 and 'value="Petani"' in page.text and f'value="{p.version}"' in page.text
    assert AuditEvent.objects.filter(action="proposal.view", object_id=str(p.pk), actor=staff["fas"]).exists()
    r = fas.post(f"/usulan/{p.pk}/ubah/", {"version": p.version, "col_nik": p.data["nik"], "col_pekerjaan": "Nelayan",
                                           "reason": "dicek di lapangan"})
    assert r.status_code == 302 and r["Location"] == f"/usulan/{p.pk}/"
    p.refresh_from_db()
    assert p.data == {"nik": p.person.nik, "pekerjaan": "Nelayan"} and p.reason == "dicek di lapangan"
    assert p.version == 2
    assert AuditEvent.objects.filter(action="proposal.update", object_id=str(p.pk)).exists()


def test_a_stale_edit_comes_back_with_the_input_and_a_conflict_message(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    old_version = p.version
    services.update_data(staff["fas2"], p, p.version, data={"nik": p.data["nik"], "pekerjaan": "Buruh"})
    fas = client_for(staff["fas"])
    r = fas.post(f"/usulan/{p.pk}/ubah/", {"version": old_version, "col_nik": p.data["nik"],
                                           "col_pekerjaan": "Pedagang keliling"})
    assert r.status_code == 409
    assert "baru saja diubah oleh pengguna lain" in r.text and 'data-conflict="1"' in r.text
    assert 'value="Pedagang keliling"' in r.text  # what the user typed is kept
    assert f'name="version" value="{old_version + 1}"' in r.text  # a deliberate resubmit goes through
    p.refresh_from_db()
    assert p.data["pekerjaan"] == "Buruh"
    again = fas.post(f"/usulan/{p.pk}/ubah/", {"version": p.version, "col_nik": p.data["nik"],
                                               "col_pekerjaan": "Pedagang keliling"})
    assert again.status_code == 302
    p.refresh_from_db()
    assert p.data["pekerjaan"] == "Pedagang keliling"


def test_edit_validation_names_the_column_and_keeps_the_input(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    r = client_for(staff["fas"]).post(f"/usulan/{p.pk}/ubah/", {"version": p.version, "col_nik": p.data["nik"],
                                                                 "col_jenis_kelamin": "X"})
    assert r.status_code == 422 and "jenis_kelamin" in r.text and 'value="X"' in r.text
    p.refresh_from_db()
    assert p.version == 1 and p.data["pekerjaan"] == "Petani"


def test_edit_after_the_supervisor_check_is_refused_and_other_regions_get_404(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    services.verify(staff["fas"], p)
    fas = client_for(staff["fas"])
    assert fas.get(f"/usulan/{p.pk}/ubah/").status_code == 200  # terverifikasi is still editable
    services.transition(staff["sup"], p, "check", p.version)
    page = fas.get(f"/usulan/{p.pk}/ubah/")
    assert page.status_code == 409 and "<form method=\"post\" class=\"card\">" not in page.text
    r = fas.post(f"/usulan/{p.pk}/ubah/", {"version": p.version, "col_nik": p.data["nik"], "col_pekerjaan": "Guru"})
    assert r.status_code == 409
    p.refresh_from_db()
    assert p.status == ProposalStatus.CHECKED and p.data["pekerjaan"] == "Petani"
    assert client_for(staff["other"]).get(f"/usulan/{p.pk}/ubah/").status_code == 404
    assert client_for(staff["front"]).get(f"/usulan/{p.pk}/ubah/").status_code == 403


def test_editing_a_new_household_keeps_member_columns_the_form_does_not_show(staff):
    p = services.draft_proposal(staff["fas"], kind="kk_baru", data={
        "nama": "Budi Santoso", "kode_wilayah": DESA,
        "anggota": [{"nama": "Siti", "jenis_kelamin": "P", "pekerjaan": "Penjahit"}]})
    fas = client_for(staff["fas"])
    page = fas.get(f"/usulan/{p.pk}/ubah/")
    assert "Siti" in page.text
    r = fas.post(f"/usulan/{p.pk}/ubah/", {"version": p.version, "col_nama": "Budi Santoso", "col_kode_wilayah": DESA,
                                           "anggota": "; Siti; 1990-05-01; P; Istri"})
    assert r.status_code == 302, r.text
    p.refresh_from_db()
    assert p.data["anggota"] == [{"nama": "Siti", "tanggal_lahir": "1990-05-01", "jenis_kelamin": "P",
                                  "hubungan_keluarga": "Istri", "pekerjaan": "Penjahit"}]


def test_api_patch_edits_with_the_version_and_answers_conflict_and_state_errors(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    fas = api_client(staff["fas"])
    url = f"/api/v1/proposals/{p.pk}"
    r = fas.patch(url, {"version": p.version, "data": {"nik": p.data["nik"], "pekerjaan": "Guru"}}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["data"]["pekerjaan"] == "Guru"
    stale = fas.patch(url, {"version": 1, "data": {"nik": p.data["nik"], "pekerjaan": "Tani"}}, content_type=JSON)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    missing = fas.patch(url, {"data": {"nik": p.data["nik"], "pekerjaan": "Tani"}}, content_type=JSON)
    assert missing.status_code == 422
    bad = fas.patch(url, {"version": 2, "data": {"nik": p.data["nik"], "warna": "merah"}}, content_type=JSON)
    assert bad.status_code == 422 and "warna" in bad.json()["errors"]
    assert api_client(staff["other"]).patch(url, {"version": 2, "data": {}}, content_type=JSON).status_code == 404
    forbidden = api_client(staff["front"]).patch(url, {"version": 2, "data": {"nik": p.data["nik"], "pekerjaan": "X"}},
                                                content_type=JSON)
    assert forbidden.status_code == 403
    p.refresh_from_db()
    services.verify(staff["fas"], p)
    services.transition(staff["sup"], p, "check", p.version)
    late = fas.patch(url, {"version": p.version, "data": {"nik": p.data["nik"], "pekerjaan": "Tani"}},
                     content_type=JSON)
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"
    assert Proposal.objects.system().get(pk=p.pk).data["pekerjaan"] == "Guru"
