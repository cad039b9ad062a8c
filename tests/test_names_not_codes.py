"""Issue 9, points 4 and 6: pages speak in names, not codes.

Region names in lists (batched, one query a page), the region box's suggestions (scoped to the
user) and its resolution of a typed name, status badges that differ per state, success
messages in words, the agency's outcome on the case page, fields marked when a form is wrong,
and the intake search with the filters and pages of *Cari warga*.
"""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from slrt.core.status import ICONS, MACHINES
from slrt.referrals.models import ReferralStatus
from slrt.wilayah.models import Region
from slrt.wilayah.names import region_labels, resolve_region, suggest_regions
from tests.test_referrals_fixtures import build_desk, client_for, make_case, referral_in

pytestmark = pytest.mark.django_db

WANAHERANG = "32.01.02.2001"  # Desa Wanaherang, Kec. Gunungputri, Kabupaten Bogor
PUSPASARI = "32.01.03.2001"  # Desa Puspasari, Kec. Citeureup


@pytest.fixture
def desk():
    return build_desk()


# --- region names ------------------------------------------------------------------------------


def test_region_labels_name_the_desa_with_its_kecamatan_in_one_query():
    with CaptureQueriesContext(connection) as queries:
        labels = region_labels([WANAHERANG, PUSPASARI, "32.01.02", "32.01"])
    assert len(queries) == 1
    assert labels[WANAHERANG] == "Desa Wanaherang, Kec. Gunungputri"
    assert labels[PUSPASARI] == "Desa Puspasari, Kec. Citeureup"
    assert labels["32.01.02"] == "Kec. Gunungputri, Kabupaten Bogor"
    assert labels["32.01"] == "Kabupaten Bogor, Jawa Barat"


def test_case_list_shows_resident_and_region_names_not_codes_and_batches_lookups(desk):
    make_case(WANAHERANG, name="Siti Rahmawati")
    client = client_for(desk.bo)
    with CaptureQueriesContext(connection) as one:
        html = client.get("/layanan/").content.decode()
    assert "Siti Rahmawati" in html
    assert "Desa Wanaherang, Kec. Gunungputri" in html
    assert not re.search(r">\s*32\.01\.02\.2001\s*<", html)
    for _ in range(4):
        make_case(PUSPASARI, name="Budi Santoso")
    with CaptureQueriesContext(connection) as five:
        html = client.get("/layanan/").content.decode()
    assert "Desa Puspasari, Kec. Citeureup" in html
    # Names are looked up once per page, not once per row.
    assert len(five) == len(one)


def test_oversight_roles_see_initials_not_the_resident_name(desk):
    make_case(WANAHERANG, name="Siti Rahmawati")
    html = client_for(desk.dinsos).get("/layanan/").content.decode()
    assert "Siti Rahmawati" not in html
    assert "S. R." in html


def test_referral_list_shows_resident_and_region_names(desk):
    referral_in(desk, ReferralStatus.SENT)
    html = client_for(desk.bo).get("/rujukan/").content.decode()
    assert "Siti Rahmawati" in html and "Desa Wanaherang, Kec. Gunungputri" in html


# --- suggestions and resolution ----------------------------------------------------------------


def test_suggestions_stay_inside_the_users_scope(client, make_user):
    bandung = make_user("back_office", "32.04")
    client.force_login(bandung)
    html = client.get("/wilayah/saran/", {"q": "soreang"}).content.decode()
    assert "Soreang" in html and "Kabupaten Bandung" in html
    assert "Gowa" not in html  # the other Soreang (73.72.03) is outside the scope
    bogor = make_user("back_office", "32.01")
    client.force_login(bogor)
    html = client.get("/wilayah/saran/", {"q": "soreang"}).content.decode()
    assert 'role="option"' not in html
    assert "Tidak ada wilayah" in html


def test_suggestions_need_a_login_and_are_capped(client, make_user):
    assert client.get("/wilayah/saran/", {"q": "an"}).status_code == 302
    client.force_login(make_user("back_office", "32.01"))
    html = client.get("/wilayah/saran/", {"q": "an"}).content.decode()
    assert html.count('role="option"') == 15
    # The box sends its own field name; levels narrow the list.
    html = client.get("/wilayah/saran/", {"field": "desa", "desa": "gunungputri", "tingkat": "3"}).content.decode()
    assert html.count('role="option"') == 1 and 'data-label="Kec. Gunungputri, Kabupaten Bogor"' in html


def test_suggestions_put_exact_names_first(make_user):
    user = make_user("back_office", "32.01")
    names = [s.name for s in suggest_regions(user, "ciomas")]
    assert names[:3] == ["Ciomas", "Ciomas", "Ciomas"]


def test_a_typed_name_or_code_resolves_to_one_region_in_scope(make_user):
    user = make_user("back_office", "32.01")
    assert resolve_region(user, "Kec. Gunungputri").code == "32.01.02"
    assert resolve_region(user, "Citeureup", levels=(3,)).code == "32.01.03"
    assert resolve_region(user, "Desa Wanaherang, Kec. Gunungputri").code == WANAHERANG
    assert resolve_region(user, "wanaherang").code == WANAHERANG
    assert resolve_region(user, "3201022001").code == WANAHERANG
    assert resolve_region(user, "32.01.02.2001").code == WANAHERANG
    # The label a picked suggestion writes resolves back to that suggestion.
    for s in suggest_regions(user, "ciomas"):
        assert resolve_region(user, s.label).code == s.code


def test_resolution_errors_say_why(make_user):
    user = make_user("back_office", "32.01")
    with pytest.raises(ValidationError) as unknown:
        resolve_region(user, "Xyzzyplaats")
    assert unknown.value.code == "unknown" and "tidak ditemukan" in unknown.value.messages[0]
    with pytest.raises(ValidationError) as ambiguous:
        resolve_region(user, "Ciomas")  # a kecamatan and two desa of Kabupaten Bogor
    assert ambiguous.value.code == "ambiguous"
    assert "Kec. Ciomas" in ambiguous.value.messages[0] and "Desa Ciomas" in ambiguous.value.messages[0]
    with pytest.raises(ValidationError) as outside:
        resolve_region(user, "Soreang")
    assert outside.value.code == "out_of_scope" and "di luar wilayah tugas" in outside.value.messages[0]
    with pytest.raises(ValidationError) as level:
        resolve_region(user, "Kec. Gunungputri", levels=(4,))
    assert level.value.code in ("unknown", "wrong_level")
    with pytest.raises(ValidationError) as code:
        resolve_region(user, "32.99.99")
    assert code.value.code == "unknown"


def test_case_list_filters_by_a_typed_region_name(desk):
    make_case(WANAHERANG, name="Siti Rahmawati")
    make_case(PUSPASARI, name="Budi Santoso")
    client = client_for(desk.bo)
    html = client.get("/layanan/", {"desa": "Desa Wanaherang, Kec. Gunungputri"}).content.decode()
    assert "Siti Rahmawati" in html and "Budi Santoso" not in html
    html = client.get("/layanan/", {"desa": "Kec. Citeureup"}).content.decode()
    assert "Budi Santoso" in html and "Siti Rahmawati" not in html
    # The box shows the name again, never the code, and a wrong name is marked on the field.
    html = client.get("/layanan/", {"desa": "32.01.03"}).content.decode()
    assert 'value="Kec. Citeureup, Kabupaten Bogor"' in html
    html = client.get("/layanan/", {"desa": "Ciomas"}).content.decode()
    assert "cocok dengan beberapa wilayah" in html
    assert re.search(r'<input[^>]*name="desa"[^>]*aria-invalid="true"', html)
    assert 'value="Ciomas"' in html  # what was typed is kept


def test_referral_list_filters_by_region_name(desk):
    referral_in(desk, ReferralStatus.SENT)
    other_case, other_need = make_case(PUSPASARI, name="Budi Santoso")
    referral_in(desk, ReferralStatus.SENT, other_case, other_need)
    html = client_for(desk.bo).get("/rujukan/", {"region": "Kec. Citeureup"}).content.decode()
    assert "Budi Santoso" in html and "Siti Rahmawati" not in html


def test_registry_search_accepts_a_typed_region_name(make_user, make_person, client):
    make_person(desa_code=WANAHERANG, nama="Sumarni Lestari")
    make_person(desa_code=PUSPASARI, nama="Sumarni Wati")
    client.force_login(make_user("back_office", "32.01"))
    html = client.post("/registri/cari/", {"q": "Sumarni", "region": "Wanaherang"}, follow=True).content.decode()
    assert "Sumarni Lestari" in html and "Sumarni Wati" not in html


# --- status badges -----------------------------------------------------------------------------


def test_every_state_of_every_machine_has_a_tone_and_final_states_differ():
    for machine, (choices, tones) in MACHINES.items():
        assert set(tones) == set(choices.values), machine
        assert all(tone in ICONS for tone in tones.values())
    referral = MACHINES["referral"][1]
    assert len({referral["ditolak"], referral["selesai"], referral["dibatalkan"], referral["dikembalikan"]}) == 4


def test_badge_tag_gives_each_state_its_class_icon_and_words():
    tpl = Template('{% load slrt_tags %}{% status_badge "referral" state %}')
    rendered = {s: tpl.render(Context({"state": s})) for s in ("ditolak", "selesai", "dibatalkan")}
    classes = {s: re.search(r'class="badge ([^"]+)"', html).group(1) for s, html in rendered.items()}
    assert len(set(classes.values())) == 3
    assert "Ditolak" in rendered["ditolak"] and "Selesai" in rendered["selesai"]
    assert "Dibatalkan" in rendered["dibatalkan"]
    assert 'aria-hidden="true">✕' in rendered["ditolak"]
    css = open("static/css/slrt.css", encoding="utf-8").read()
    for cls in classes.values():
        assert f".badge.{cls}" in css


def test_referral_list_badges_differ_for_rejected_done_and_cancelled(desk):
    for status in (ReferralStatus.REJECTED, ReferralStatus.DONE, ReferralStatus.CANCELLED):
        referral_in(desk, status)
    html = client_for(desk.bo).get("/rujukan/").content.decode()
    for state, cls in (("ditolak", "st-rejected"), ("selesai", "st-done"), ("dibatalkan", "st-cancelled")):
        assert f'class="badge {cls}" data-state="{state}"' in html


# --- messages and outcome ----------------------------------------------------------------------


def test_agency_action_message_names_the_referral_and_the_agency(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    client = client_for(desk.mitra)
    response = client.post(f"/rujukan/{ref.pk}/aksi/", {"action": "accept", "version": ref.version}, follow=True)
    assert f"Rujukan {ref.number} diterima oleh {desk.rsud.name}." in response.content.decode()


def test_case_messages_say_what_happened_with_names(desk):
    case, _need = make_case(WANAHERANG)
    client = client_for(desk.bo)
    response = client.post(f"/layanan/{case.pk}/kebutuhan/", {"version": 1, "sector": "pendidikan",
                                                              "description": "Seragam sekolah"}, follow=True)
    assert f"Kebutuhan Pendidikan ditambahkan ke kasus {case.ticket}." in response.content.decode()


def test_case_page_shows_what_the_agency_recorded(desk):
    ref = referral_in(desk, ReferralStatus.DONE)
    rejected_case, rejected_need = make_case(WANAHERANG)
    rejected = referral_in(desk, ReferralStatus.REJECTED, rejected_case, rejected_need)
    html = client_for(desk.bo).get(f"/layanan/{ref.case_id}/").content.decode()
    assert "Layanan yang diberikan" in html and "Rawat inap 3 hari" in html
    assert "Hasil layanan" in html and "Sembuh" in html and "05-01-2026" in html
    html = client_for(desk.bo).get(f"/layanan/{rejected.case_id}/").content.decode()
    assert "Alasan penolakan" in html and "Bukan wewenang kami" in html


# --- fields at fault ---------------------------------------------------------------------------


def test_an_empty_need_form_marks_the_field_at_fault(desk):
    case, _need = make_case(WANAHERANG)
    response = client_for(desk.bo).post(f"/layanan/{case.pk}/kebutuhan/", {"version": 1, "sector": "pendidikan"})
    html = response.content.decode()
    assert response.status_code == 422
    field = re.search(r'<textarea[^>]*name="description"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_description_error"' in field
    assert re.search(r'id="id_description_error"[^>]*>\s*<p>Uraikan kebutuhannya\.</p>', html)
    assert "field-error" in html


# --- intake search (point 6) -------------------------------------------------------------------


def test_intake_search_has_the_registry_filters_and_pages(make_user, make_person, client):
    for i in range(23):
        make_person(desa_code=WANAHERANG, nama=f"Siti Aminah {chr(65 + i)}", birth=dt.date(1980 + i % 2, 1, 5))
    make_person(desa_code=PUSPASARI, nama="Siti Aminah Puspa", birth=dt.date(1980, 1, 5))
    client.force_login(make_user("front_office", "32.01"))
    first = client.post("/layanan/baru/", {"q": "Siti Aminah", "region": "Wanaherang"}, follow=True).content.decode()
    assert 'name="region"' in first and 'name="birth_year"' in first
    assert first.count("data-person-id=") == 20 and "Puspa" not in first
    assert "hal=2" in first
    second = client.post("/layanan/baru/", {"q": "Siti Aminah", "region": "Wanaherang", "hal": 2},
                         follow=True).content.decode()
    assert second.count("data-person-id=") == 3
    shown = set(re.findall(r'data-person-id="(\d+)"', first)) | set(re.findall(r'data-person-id="(\d+)"', second))
    assert len(shown) == 23
    by_year = client.post("/layanan/baru/", {"q": "Siti Aminah", "region": "Desa Wanaherang, Kec. Gunungputri",
                                            "birth_year": 1981}, follow=True).content.decode()
    assert by_year.count("data-person-id=") == 11
    # The register-new step still follows a search.
    assert "register-new" in by_year


def test_intake_search_refuses_a_region_outside_the_scope(make_user, client):
    client.force_login(make_user("front_office", "32.01"))
    html = client.post("/layanan/baru/", {"q": "Siti", "region": "Soreang"}, follow=True).content.decode()
    assert "di luar wilayah tugas Anda" in html
    assert Region.objects.filter(name="Soreang", code__startswith="32.01").count() == 0


# --- gateway errors in words -------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "words"), [
    ("http_error: HTTP 503", "Gateway sedang bermasalah"),
    ("http_error: HTTP 401", "periksa token gateway"),
    ("http_error: HTTP 429", "membatasi jumlah pesan"),
    ("timeout: TimeoutError", "tidak menjawab tepat waktu"),
    ("connection: ConnectionRefusedError", "tidak dapat terhubung ke gateway"),
    ("smtp: SMTPRecipientsRefused", "menolak alamat penerima"),
    ("invalid_recipient: nomor tidak sah", "tidak dapat dipakai"),
    ("config: SLRT_SMS_GATEWAY_URL bukan http(s)", "salah diatur"),
    ("error: ValueError", "galat tak terduga"),
])
def test_gateway_errors_reach_the_outbox_in_words(stored, words):
    from slrt.notifications.errors import error_text

    text = error_text(stored)
    assert words in text
    assert stored.split(":")[0] not in text and "Error" not in text


def test_agency_pages_show_names_not_codes_and_filter_by_region_name(make_user, client):
    from slrt.programs.catalogue import load_agencies
    from slrt.programs.models import Agency

    load_agencies("32.01")
    client.force_login(make_user("back_office", "32.01"))
    html = client.get("/program/lembaga/").content.decode()
    rsud = Agency.objects.get(code="RSUD-3201")
    assert rsud.name in html
    assert not re.search(r">\s*RSUD-3201\s*<", html)
    detail = client.get(f"/program/lembaga/{rsud.pk}/").content.decode()
    assert not re.search(r">\s*RSUD-3201\s*<", detail) and "<small>RSUD-3201" not in detail
    by_name = client.get("/program/lembaga/", {"wilayah": "Kabupaten Bogor"}).content.decode()
    assert rsud.name in by_name
    wrong = client.get("/program/lembaga/", {"wilayah": "Xyzzyplaats"}).content.decode()
    assert "tidak ditemukan" in wrong and "field-error" in wrong


# --- visits and proposals: region filters by name, names in lists ------------------------------


def test_visit_list_filters_by_region_name_and_names_villages(make_user, make_person, client):
    from slrt.fieldwork import services as field_services
    from slrt.fieldwork.models import VisitKind

    man = make_user("manajer", "32.01")
    for desa, name in ((WANAHERANG, "Asep Sunandar"), (PUSPASARI, "Ujang Komar")):
        hh = make_person(desa_code=desa, nama=name, sex="L").household
        field_services.assign_visit(man, kind=VisitKind.VERIFICATION, assigned_to=make_user("fasilitator", desa),
                                    due_date=dt.date.today(), household=hh)
    client.force_login(man)
    html = client.get("/lapangan/kunjungan/").content.decode()
    assert "Desa Wanaherang, Kec. Gunungputri" in html and "Desa Puspasari, Kec. Citeureup" in html
    html = client.get("/lapangan/kunjungan/", {"wilayah": "Kec. Citeureup"}).content.decode()
    assert "Desa Puspasari, Kec. Citeureup" in html and "Desa Wanaherang" not in html
    # The assign form names each facilitator's village, not its code.
    form = client.get("/lapangan/kunjungan/baru/").content.decode()
    assert "Desa Wanaherang, Kec. Gunungputri" in form and "· 32.01.02.2001" not in form


def test_proposal_list_filters_by_region_name(make_user, make_person, client):
    from slrt.updates import services as update_services

    man = make_user("manajer", "32.01")
    for desa in (WANAHERANG, PUSPASARI):
        person = make_person(desa_code=desa)
        update_services.draft_proposal(man, kind="perubahan", data={"nik": person.nik, "pekerjaan": "Petani"})
    client.force_login(man)
    html = client.get("/usulan/", {"desa": "Wanaherang"}).content.decode()
    assert "Desa Wanaherang, Kec. Gunungputri" in html
    assert "Desa Puspasari" not in html
    html = client.get("/usulan/", {"desa": "Kec. Citeureup"}).content.decode()
    assert "Desa Puspasari, Kec. Citeureup" in html and "Desa Wanaherang" not in html


def test_an_agency_answer_without_its_reason_marks_the_field(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    response = client_for(desk.mitra).post(f"/rujukan/{ref.pk}/aksi/",
                                           {"action": "reject", "version": ref.version, "reason": ""})
    html = response.content.decode()
    assert response.status_code == 422
    field = re.search(r'<textarea[^>]*id="reject-reason"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="reject-reason-error"' in field
    assert 'id="reject-reason-error"' in html
