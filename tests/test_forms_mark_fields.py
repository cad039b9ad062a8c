"""Issue 9, point 4: an empty or wrong form marks the fields at fault.

Each hand-built form is posted empty or wrong; the page must mark the control itself
(aria-invalid="true"), link it to its error text (aria-describedby → an element with that id
holding the message) and give the row the .field-error class, keeping what was typed.
"""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from slrt.programs.models import Program
from slrt.updates import services as update_services
from tests.test_matching_override import _draft_bpnt, family_case
from tests.test_programs_web import regional_program, rule_post
from tests.test_referrals_fixtures import build_desk, client_for

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


@pytest.fixture
def desk():
    return build_desk()


def control(html, pattern):
    """The opening tag of the one control matching `pattern` (a regex inside the tag)."""
    found = re.findall(rf"<(?:input|select|textarea)\b[^>]*{pattern}[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


def assert_marked(html, pattern, message):
    """The control is aria-invalid and described by an element that holds `message`."""
    tag = control(html, pattern)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert described, tag
    error_ids = [i for i in described.group(1).split() if i.endswith("error")]
    assert error_ids, tag
    error = re.search(rf'<(\w+)[^>]*id="{re.escape(error_ids[0])}"[^>]*>(.*?)</\1>', html, re.S)
    assert error and message in error.group(2), (error_ids, message)
    assert "field-error" in html


def assert_not_marked(html, pattern):
    assert "aria-invalid" not in control(html, pattern)


# --- recommendation drafting and approval with override ---------------------------------------


def test_a_recommendation_without_its_programme_marks_the_programme_select(desk, make_person):
    case, need = family_case(make_person, 2, sector="pangan")
    url = reverse("cases:recommendation_draft", args=[case.pk])
    response = client_for(desk.bo).post(url, {"need": need.pk, "kind": "program", "program": "", "note": "Cek"})
    assert response.status_code == 422
    html = response.content.decode()
    form = html[html.index(f'data-need="{need.pk}"'):]
    assert_marked(form, r'id="rec-program"', "program")
    assert_not_marked(form, r'id="rec-note"')
    assert ">Cek</textarea>" in form  # nothing typed is lost


def test_the_recommendation_form_names_programmes_without_their_codes(desk, make_person):
    case, need = family_case(make_person, 2, sector="pangan")
    html = client_for(desk.bo).get(reverse("cases:detail", args=[case.pk])).content.decode()
    form = html[html.index(f'data-need="{need.pk}"'):]
    form = form[:form.index("</form>")]
    names = {}
    for program in Program.objects.filter(active=True):
        names[str(program.pk)] = {program.name, f"{program.name} ({program.get_sector_display()})"}
    options = re.findall(r'<select id="rec-program[^"]*"[^>]*>(.*?)</select>', form, re.S)
    shown = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', "".join(options))
    assert len(shown) == len(names)
    for pk, text in shown:
        assert text in names[pk], text  # the name (and sector), never "BPNT — Program Sembako"


def test_approving_without_the_override_marks_the_override_box_then_the_reason(desk, make_person):
    _case, rec = _draft_bpnt(desk, make_person, desil=8)
    client = client_for(desk.manajer)
    url = reverse("cases:recommendation_decide", args=[rec.pk])
    refused = client.post(url, {"decision": "approve", "version": rec.version, "note": "ok"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert_marked(html, rf'id="override-{rec.pk}"', "penyimpangan")
    no_reason = client.post(url, {"decision": "approve", "version": rec.version, "override": "1"})
    assert no_reason.status_code == 422
    html = no_reason.content.decode()
    assert_marked(html, rf'id="override-reason-{rec.pk}"', "Tuliskan alasan penyimpangan")
    assert_not_marked(html, rf'id="override-{rec.pk}"')


# --- proposals and meetings ---------------------------------------------------------------------


def test_a_proposal_missing_its_reason_marks_the_reason_field(make_user, make_person):
    person = make_person(DESA)
    client = client_for(make_user("fasilitator", DESA))
    response = client.post("/usulan/baru/", {"kind": "tinjau_desil", "col_nomor_kk": person.household.nomor_kk,
                                             "reason": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert_marked(html, r'name="reason"', "Alasan wajib diisi")
    assert person.household.nomor_kk in control(html, r'name="col_nomor_kk"')


def test_a_proposal_with_a_wrong_column_marks_that_column(make_user, make_person):
    make_person(DESA)
    client = client_for(make_user("fasilitator", DESA))
    response = client.post("/usulan/baru/", {"kind": "kk_baru", "col_nama": "Budi Santoso",
                                             "col_kode_wilayah": "99.99.99.9999"})
    assert response.status_code == 422
    html = response.content.decode()
    tag = control(html, r'name="col_kode_wilayah"')
    assert 'aria-invalid="true"' in tag and 'aria-describedby="id_col_kode_wilayah_error"' in tag
    assert 'id="id_col_kode_wilayah_error"' in html
    assert_not_marked(html, r'name="col_nama"')


def test_editing_a_proposal_with_a_wrong_column_marks_that_column(make_user, make_person):
    fas = make_user("fasilitator", DESA)
    person = make_person(DESA)
    proposal = update_services.draft_proposal(fas, kind="perubahan", data={"nik": person.nik, "pekerjaan": "Petani"})
    response = client_for(fas).post(f"/usulan/{proposal.pk}/ubah/", {
        "version": proposal.version, "col_nik": person.nik, "col_pekerjaan": "Petani",
        "col_tanggal_lahir": "bukan tanggal", "reason": "",
    })
    assert response.status_code == 422
    html = response.content.decode()
    tag = control(html, r'name="col_tanggal_lahir"')
    assert 'aria-invalid="true"' in tag and 'aria-describedby="id_col_tanggal_lahir_error"' in tag
    assert "bukan tanggal" in tag
    assert 'id="id_col_tanggal_lahir_error"' in html


def test_an_empty_meeting_form_marks_date_attendance_and_minutes(make_user, make_person):
    fas, sup = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02")
    p = update_services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    update_services.verify(fas, p)
    update_services.transition(sup, p, "check")
    response = client_for(fas).post("/usulan/musyawarah/baru/", {"desa_code": DESA, "kind": "musdes",
                                                                   "held_on": "", "attendance": "0"})
    assert response.status_code == 422
    html = response.content.decode()
    for name in ("held_on", "attendance", "minutes"):
        tag = control(html, rf'name="{name}"')
        assert 'aria-invalid="true"' in tag and f'aria-describedby="id_{name}_error"' in tag, tag
        assert f'id="id_{name}_error"' in html
    assert_not_marked(html, r'name="notes"')


def test_a_meeting_in_the_future_marks_the_date(make_user, make_person):
    fas, sup = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02")
    p = update_services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    update_services.verify(fas, p)
    update_services.transition(sup, p, "check")
    response = client_for(fas).post("/usulan/musyawarah/baru/", {
        "desa_code": DESA, "kind": "musdes", "held_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "attendance": "12", "proposals": [str(p.pk)],
        "minutes": SimpleUploadedFile("ba.pdf", b"%PDF-1.4 minutes", content_type="application/pdf"),
    })
    assert response.status_code == 422
    tag = control(response.content.decode(), r'name="held_on"')
    assert 'aria-invalid="true"' in tag and 'aria-describedby="id_held_on_error"' in tag


# --- rule editor, import upload, login --------------------------------------------------------


def test_a_rule_saved_without_its_note_marks_the_note(client, make_user):
    regional_program()
    client.force_login(make_user("manajer", "32.01"))
    response = client.post("/program/BLT-DD-3201/aturan/", rule_post([("desil", "between", "1-3")], note="", version=0))
    assert response.status_code == 400
    html = response.content.decode()
    tag = control(html, r'name="note"')
    assert 'aria-invalid="true"' in tag and "id_note_error" in tag and "id_note_helptext" in tag
    assert 'id="id_note_error"' in html


def test_an_import_without_a_file_marks_the_file_field(client, make_user):
    client.force_login(make_user("admin", "32"))
    response = client.post("/registri/impor/", {"source": "dtsen", "period": "2026-13"})
    html = response.content.decode()
    assert_marked(html, r'name="file"', "")
    assert 'id="id_file_error"' in html
    period = control(html, r'name="period"')
    assert 'aria-invalid="true"' in period and "id_period_error" in period and 'value="2026-13"' in period


def test_an_empty_login_marks_both_fields_and_keeps_the_username(client):
    response = client.post("/akun/masuk/", {"username": "", "password": ""})
    html = response.content.decode()
    assert_marked(html, r'name="username"', "Isi nama pengguna.")
    assert_marked(html, r'name="password"', "Isi kata sandi.")
    typed = client.post("/akun/masuk/", {"username": "siti", "password": ""}).content.decode()
    assert 'value="siti"' in control(typed, r'name="username"')
    assert_not_marked(typed, r'name="username"')
    assert_marked(typed, r'name="password"', "Isi kata sandi.")


# --- other hand-built forms found by grepping templates ----------------------------------------


def test_returning_a_proposal_without_a_reason_marks_the_reason(make_user, make_person):
    fas, sup = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02")
    p = update_services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    update_services.verify(fas, p)
    response = client_for(sup).post(f"/usulan/{p.pk}/aksi/",
                                    {"action": "return_to_draft", "version": p.version, "reason": ""})
    assert response.status_code == 422
    assert_marked(response.content.decode(), r'id="return_to_draft-reason"', "")


def test_a_batch_with_nothing_approved_marks_the_period(make_user):
    response = client_for(make_user("manajer", "32.01")).post("/usulan/berkas/",
                                                               {"kab_code": "32.01", "period": "2026-06"})
    assert response.status_code == 422
    html = response.content.decode()
    assert_marked(html, r'name="period"', "Belum ada usulan berstatus Disetujui")
    assert 'value="2026-06"' in control(html, r'name="period"')


def test_withdrawing_consent_without_a_reason_marks_the_reason(desk):
    from tests.test_referrals_fixtures import make_case

    case, _need = make_case(DESA)
    url = reverse("referrals:consent_withdraw", args=[case.pk])
    response = client_for(desk.fo).post(url, {"version": case.version, "reason": ""})
    assert response.status_code == 422
    assert_marked(response.content.decode(), r'id="id_withdraw_reason"', "")


def _field_visit(make_user, make_person):
    from slrt.fieldwork import services as field_services
    from slrt.fieldwork.models import VisitKind

    hh = make_person(desa_code=DESA, nama="Asep Sunandar", sex="L").household
    fas, sup = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02")
    visit = field_services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                        due_date=dt.date.today(), household=hh)
    return fas, sup, visit


def test_cancelling_a_visit_without_a_reason_marks_the_reason(make_user, make_person):
    _fas, sup, visit = _field_visit(make_user, make_person)
    response = client_for(sup).post(f"/lapangan/kunjungan/{visit.pk}/batal/", {"reason": "  "})
    assert response.status_code == 422
    assert_marked(response.content.decode(), r'id="cancel-reason"', "Tuliskan alasan pembatalan.")


def test_returning_a_submission_without_a_reason_marks_the_reason(make_user, make_person, settings, tmp_path):
    from slrt.fieldwork import selectors as field_selectors
    from slrt.fieldwork import services as field_services

    settings.MEDIA_ROOT = tmp_path / "media"
    fas, sup, visit = _field_visit(make_user, make_person)
    values = {"kunjungan": str(visit.pk), "hasil": "ditemukan", "kode_wilayah": DESA,
              "nomor_kk": visit.household.nomor_kk, "alamat": "Kp. Baru", "anggota": [], "minta_tinjau_desil": "tidak"}
    sub = field_services.receive(fas, form_id="slrt_verifikasi_rt", instance_id="uuid:mark-fields", values=values,
                                 base=field_selectors.visit_snapshot(visit)).submission
    response = client_for(sup).post(f"/lapangan/kiriman/{sub.pk}/tinjau/", {"action": "return", "note": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert_marked(html, r'id="return-note"', "Tuliskan alasan kiriman dikembalikan.")
    assert_not_marked(html, r'id="approve-note"')


def test_a_wrong_rule_value_marks_that_rows_value_and_a_wrong_operator_its_operator(client, make_user):
    regional_program()
    client.force_login(make_user("manajer", "32.01"))
    response = client.post("/program/BLT-DD-3201/aturan/",
                           rule_post([("desil", "between", "1-3"), ("desil", "between", "tiga")], version=0))
    assert response.status_code == 400
    html = response.content.decode()
    values = re.findall(r'<input name="value"[^>]*>', html)
    assert len(values) == 2 and 'aria-invalid' not in values[0]
    assert 'aria-invalid="true"' in values[1] and 'aria-describedby="rule-row-2-error"' in values[1]
    assert 'value="tiga"' in values[1]
    assert re.search(r'id="rule-row-2-error"[^>]*>Kriteria 2', html)
    wrong_op = client.post("/program/BLT-DD-3201/aturan/", rule_post([("desil", "contains", "1")], version=0))
    html = wrong_op.content.decode()
    op = re.search(r'<select name="op"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in op and 'aria-describedby="rule-row-1-error"' in op
    assert 'aria-invalid' not in re.search(r'<input name="value"[^>]*>', html).group(0)
