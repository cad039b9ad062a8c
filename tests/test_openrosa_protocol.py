"""ODK Collect's request sequence against the server: form list, form download, manifest and
media, HEAD then multipart POST of a submission, resubmission and split submissions."""

import csv
import datetime as dt
import hashlib
import io
import types

import pytest
from defusedxml import ElementTree
from django.core.exceptions import PermissionDenied

from slrt.fieldwork.formdefs import FORMS
from slrt.fieldwork.models import Submission, SubmissionAttachment, SubmissionStatus, Visit, VisitKind, VisitStatus
from slrt.fieldwork.openrosa.instance import InstanceError, parse_instance
from slrt.fieldwork.openrosa.views import _repeats_for
from tests.conftest import PASSWORD
from tests.openrosa_client import Collect, challenge, instance_xml

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE_NS = "{http://openrosa.org/http/response}"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120


def _form_list(response):
    assert response.status_code == 200, response.content
    doc = ElementTree.fromstring(response.content)
    assert doc.tag == f"{LIST_NS}xforms"
    return {
        x.find(f"{LIST_NS}formID").text: {c.tag.removeprefix(LIST_NS): c.text for c in x}
        for x in doc.findall(f"{LIST_NS}xform")
    }


def _path(url):
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _csv(content):
    return list(csv.DictReader(io.StringIO(content.decode())))


def _openrosa_headers(response):
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["Date"]


# --- form list ------------------------------------------------------------------------------


def test_form_list_without_credentials_answers_a_digest_challenge(client):
    response = client.get("/formList")
    assert response.status_code == 401
    _openrosa_headers(response)
    header = response["WWW-Authenticate"]
    assert header.startswith('Digest realm="SLRT", qop="auth", nonce="')
    chal = challenge(response)
    assert chal["algorithm"] == "MD5" and chal["opaque"] and chal["nonce"]
    assert "Basic" not in header  # never offered over plain HTTP


@pytest.mark.parametrize(
    "role,region,expected",
    [
        ("fasilitator", "32.01.02.2001", {"slrt_verifikasi_rt", "slrt_pengaduan", "slrt_tindak_lanjut"}),
        ("koordinator_puskesos", "32.01.02.2001", {"slrt_pengaduan", "slrt_tindak_lanjut"}),
        ("supervisor", "32.01.02", {"slrt_verifikasi_rt", "slrt_pengaduan"}),
        ("back_office", "32.01", set()),
        ("mitra", "32.01", set()),
    ],
)
def test_form_list_shows_only_the_forms_of_the_role(client, make_user, role, region, expected):
    collect = Collect(client, make_user(role, region), PASSWORD)
    response = collect.get("/formList")
    _openrosa_headers(response)
    assert set(_form_list(response)) == expected


def test_form_list_entries_point_to_the_form_and_manifest_and_hash_the_served_xform(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    forms = _form_list(collect.get("/formList"))
    entry = forms["slrt_pengaduan"]
    assert entry["name"] == "Pengaduan dan permohonan di lapangan"
    assert entry["downloadUrl"].startswith("http://testserver/")
    xml = collect.get(_path(entry["downloadUrl"]))
    assert xml.status_code == 200 and xml["Content-Type"].startswith("text/xml")
    _openrosa_headers(xml)
    assert entry["hash"] == "md5:" + hashlib.md5(xml.content, usedforsecurity=False).hexdigest()
    root = ElementTree.fromstring(xml.content).find(
        "{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/2002/xforms}model/{http://www.w3.org/2002/xforms}instance"
    )[0]
    assert root.get("id") == "slrt_pengaduan" and root.get("version") == entry["version"]
    assert entry["manifestUrl"].endswith("/forms/slrt_pengaduan/manifest")


def test_form_list_filters_by_form_id(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    assert set(_form_list(collect.get("/formList?formID=slrt_tindak_lanjut"))) == {"slrt_tindak_lanjut"}


def test_a_form_not_of_the_role_is_not_found(client, make_user):
    collect = Collect(client, make_user("koordinator_puskesos", "32.01.02.2001"), PASSWORD)
    response = collect.get("/forms/slrt_verifikasi_rt/form.xml")
    assert response.status_code == 404
    _openrosa_headers(response)
    assert collect.get("/forms/slrt_verifikasi_rt/manifest").status_code == 404
    assert collect.get("/forms/slrt_verifikasi_rt/media/desa.csv").status_code == 404


# --- manifest and media ---------------------------------------------------------------------


def _visit(user, household, *, kind=VisitKind.VERIFICATION, status=VisitStatus.PLANNED, desa="32.01.02.2001"):
    visit = Visit(kind=kind, status=status, household=household, assigned_to=user, due_date=dt.date(2026, 7, 1))
    visit.set_region(desa)
    visit.save()
    return visit


def test_manifest_lists_the_media_files_with_the_md5_of_what_is_downloaded(client, make_user, make_person):
    user = make_user("fasilitator", "32.01.02.2001")
    _visit(user, make_person().household)
    collect = Collect(client, user, PASSWORD)
    response = collect.get("/forms/slrt_verifikasi_rt/manifest")
    assert response.status_code == 200
    _openrosa_headers(response)
    doc = ElementTree.fromstring(response.content)
    assert doc.tag == f"{MANIFEST_NS}manifest"
    files = {m.find(f"{MANIFEST_NS}filename").text: m for m in doc.findall(f"{MANIFEST_NS}mediaFile")}
    assert set(files) == {"desa.csv", "ppks.csv", "program.csv", "kunjungan.csv"}
    for name, entry in files.items():
        data = collect.get(_path(entry.find(f"{MANIFEST_NS}downloadUrl").text))
        assert data.status_code == 200, name
        digest = hashlib.md5(data.content, usedforsecurity=False).hexdigest()
        assert entry.find(f"{MANIFEST_NS}hash").text == f"md5:{digest}", name


def test_desa_list_holds_only_the_desa_of_the_users_scope(client, make_user):
    fasilitator = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    rows = _csv(fasilitator.get("/forms/slrt_pengaduan/media/desa.csv").content)
    assert [r["name"] for r in rows] == ["32.01.02.2001"]
    assert ", Kec. " in rows[0]["label"]

    client.logout()
    supervisor = Collect(client, make_user("supervisor", "32.01.02"), PASSWORD)
    codes = {r["name"] for r in _csv(supervisor.get("/forms/slrt_pengaduan/media/desa.csv").content)}
    assert {"32.01.02.2001", "32.01.02.2002"} <= codes
    assert all(c.startswith("32.01.02.") for c in codes) and "32.01.03.2001" not in codes


def test_choice_lists_from_the_database(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    sektor = {r["name"] for r in _csv(collect.get("/forms/slrt_pengaduan/media/sektor.csv").content)}
    assert {"kesehatan", "pendidikan", "adminduk"} <= sektor
    ppks = {r["name"]: r["label"] for r in _csv(collect.get("/forms/slrt_verifikasi_rt/media/ppks.csv").content)}
    assert ppks["orang_dengan_hiv_aids"] == "Orang dengan hiv/aids"


def test_visit_list_holds_only_the_users_own_open_visits_with_their_base_values(client, make_user, make_person):
    user = make_user("fasilitator", "32.01.02.2001")
    other = make_user("fasilitator", "32.01.02.2001")
    mine = _visit(user, make_person(nomor_kk="3201020000000777").household)
    returned = _visit(user, make_person().household, status=VisitStatus.RETURNED)
    _visit(user, make_person().household, status=VisitStatus.DONE)
    _visit(other, make_person().household)
    _visit(user, make_person().household, kind=VisitKind.FOLLOW_UP)
    collect = Collect(client, user, PASSWORD)
    rows = _csv(collect.get("/forms/slrt_verifikasi_rt/media/kunjungan.csv").content)
    assert {r["name"] for r in rows} == {str(mine.pk), str(returned.pk)}
    row = next(r for r in rows if r["name"] == str(mine.pk))
    assert row["nomor_kk"] == "3201020000000777" and len(row["versi"]) == 10
    assert row["label"].startswith("01/07/2026 · ")
    follow_up = _csv(collect.get("/forms/slrt_tindak_lanjut/media/kunjungan_rujukan.csv").content)
    assert len(follow_up) == 1 and set(follow_up[0]) == {"name", "label", "status_rujukan"}
    # Handing the household lists to a tablet is an audited read (rows counted, no names).
    from slrt.audit.models import AuditEvent

    events = AuditEvent.objects.filter(action="openrosa.media", actor=user).order_by("pk")
    assert [(e.detail["file"], e.detail["rows"]) for e in events] == [
        ("kunjungan.csv", 2), ("kunjungan_rujukan.csv", 1)]
    assert "3201020000000777" not in str([e.detail for e in events])


def test_the_manifest_hash_changes_when_the_users_visit_list_changes(client, make_user, make_person):
    user = make_user("fasilitator", "32.01.02.2001")
    collect = Collect(client, user, PASSWORD)

    def hashes():
        doc = ElementTree.fromstring(collect.get("/forms/slrt_verifikasi_rt/manifest").content)
        return {m.find(f"{MANIFEST_NS}filename").text: m.find(f"{MANIFEST_NS}hash").text
                for m in doc.findall(f"{MANIFEST_NS}mediaFile")}

    before = hashes()
    _visit(user, make_person().household)
    after = hashes()
    assert before["kunjungan.csv"] != after["kunjungan.csv"]
    assert before["desa.csv"] == after["desa.csv"]


# --- submission -----------------------------------------------------------------------------


def test_head_submission_challenges_then_answers_204_with_the_accepted_length(client, make_user, settings):
    first = client.head("/submission")
    assert first.status_code == 401 and first["WWW-Authenticate"].startswith("Digest ")
    _openrosa_headers(first)
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    response = collect.request("HEAD", "/submission")
    assert response.status_code == 204
    _openrosa_headers(response)
    assert response["X-OpenRosa-Accept-Content-Length"] == str(settings.SLRT_OPENROSA_MAX_BYTES)


def _complaint(instance_id, **values):
    return instance_xml(
        "slrt_pengaduan",
        {
            "persetujuan": "ya", "tujuan_persetujuan": "Penanganan keluhan", "boleh_dibagikan": "ya",
            "nama": "Siti Aminah", "kode_wilayah": "32.01.02.2001", "alamat": "Jl. Mawar 3", "telepon": "081234567890",
            "jenis_keluhan": "pengaduan", "urgensi": "mendesak", "sektor": "kesehatan",
            "uraian": "Tagihan rumah sakit belum dibayar", "foto": "foto.jpg", "tanda_tangan": "ttd.png",
            "lokasi": "-6.9 107.6 700 5", **values,
        },
        instance_id=instance_id,
    )


def _upload(name, data, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _post(collect, xml, *files):
    data = {"xml_submission_file": _upload("submission.xml", xml, "text/xml")}
    for name, content, ctype in files:
        data[name] = _upload(name, content, ctype)
    return collect.request("POST", "/submission", data=data)


def _message(response):
    doc = ElementTree.fromstring(response.content)
    assert doc.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return doc.find(f"{RESPONSE_NS}message")


def test_submission_is_stored_with_its_attachments_and_a_resubmission_adds_nothing(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    xml = _complaint("uuid:11111111-1111-4111-8111-111111111111")
    files = [("foto.jpg", JPEG, "image/jpeg"), ("ttd.png", PNG, "image/png")]
    response = _post(collect, xml, *files)
    assert response.status_code == 201, response.content
    _openrosa_headers(response)
    assert response["Content-Type"].startswith("text/xml")
    assert _message(response).get("nature") == "submit_success"
    sub = Submission.objects.system().get(instance_id="uuid:11111111-1111-4111-8111-111111111111")
    assert sub.form_id == "slrt_pengaduan" and sub.values["uraian"] == "Tagihan rumah sakit belum dibayar"
    assert sub.values["sektor"] == "kesehatan" and "instanceID" not in sub.values
    stored = {a.name: a for a in sub.attachments.all()}
    assert set(stored) == {"foto.jpg", "ttd.png"}
    assert stored["foto.jpg"].content_type == "image/jpeg" and stored["foto.jpg"].file.read() == JPEG

    counts = (Submission.objects.system().count(), SubmissionAttachment.objects.count())
    again = _post(collect, xml, *files)
    assert again.status_code == 201
    assert (Submission.objects.system().count(), SubmissionAttachment.objects.count()) == counts


def test_a_split_submission_ends_as_one_submission_with_all_attachments(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    xml = _complaint("uuid:22222222-2222-4222-8222-222222222222")
    assert _post(collect, xml, ("foto.jpg", JPEG, "image/jpeg")).status_code == 201
    assert _post(collect, xml, ("ttd.png", PNG, "image/png")).status_code == 201
    subs = Submission.objects.system().filter(instance_id="uuid:22222222-2222-4222-8222-222222222222")
    assert subs.count() == 1
    assert {a.name for a in subs.get().attachments.all()} == {"foto.jpg", "ttd.png"}


def test_a_refused_attachment_in_a_later_part_of_a_split_submission_is_a_400_naming_it(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    xml = _complaint("uuid:25252525-2525-4252-8252-252525252525")
    assert _post(collect, xml, ("foto.jpg", JPEG, "image/jpeg")).status_code == 201
    response = _post(collect, xml, ("skrip.exe", b"MZ\x90\x00" * 10, "application/x-msdownload"))
    assert response.status_code == 400  # Collect keeps the form unsent instead of losing the file
    assert "skrip.exe" in _message(response).text
    sub = Submission.objects.system().get(instance_id="uuid:25252525-2525-4252-8252-252525252525")
    assert {a.name for a in sub.attachments.all()} == {"foto.jpg"}


def test_an_instance_of_a_form_not_of_the_role_is_refused(client, make_user):
    collect = Collect(client, make_user("koordinator_puskesos", "32.01.02.2001"), PASSWORD)
    xml = instance_xml("slrt_verifikasi_rt", {"hasil": "ditemukan", "kode_wilayah": "32.01.02.2001"})
    response = _post(collect, xml)
    assert response.status_code == 403
    _openrosa_headers(response)
    assert not Submission.objects.system().exists()


def test_a_role_without_field_forms_cannot_submit(client, make_user):
    collect = Collect(client, make_user("back_office", "32.01"), PASSWORD)
    assert _post(collect, _complaint("uuid:33333333-3333-4333-8333-333333333333")).status_code == 403


def test_a_body_over_the_limit_is_refused(client, make_user, settings):
    settings.SLRT_OPENROSA_MAX_BYTES = 2_000
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    response = _post(collect, _complaint("uuid:44444444-4444-4444-8444-444444444444"), ("foto.jpg", JPEG * 20,
                                                                                         "image/jpeg"))
    assert response.status_code == 413
    _openrosa_headers(response)
    assert not Submission.objects.system().exists()


def test_xml_with_a_doctype_is_refused(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    xml = _complaint("uuid:55555555-5555-4555-8555-555555555555").replace(
        b"<data ", b'<!DOCTYPE data [<!ENTITY x "xx">]><data ', 1
    )
    response = _post(collect, xml)
    assert response.status_code == 400 and "DOCTYPE" in _message(response).text
    assert not Submission.objects.system().exists()


def test_malformed_requests_are_refused_with_400(client, make_user):
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    not_multipart = collect.request("POST", "/submission", data=b"<data/>", content_type="text/xml")
    assert not_multipart.status_code == 400
    no_id = _complaint("uuid:x").replace(b"<instanceID>uuid:x</instanceID>", b"<instanceID />")
    assert _post(collect, no_id).status_code == 400
    assert _post(collect, b"<data id='slrt_pengaduan'><unclosed></data>").status_code == 400
    assert not Submission.objects.system().exists()


# --- the transport's mapping of receive's answers (independent of the handlers) ------------------


@pytest.fixture
def fake_receive(monkeypatch):
    calls = []
    outcome = {}

    def receive(actor, **kwargs):
        calls.append(kwargs)
        if "raise" in outcome:
            raise outcome["raise"]
        return types.SimpleNamespace(submission=None, created=True, status=outcome.get("status", "menunggu_tinjauan"),
                                     message=outcome.get("message", "Diterima."), errors=outcome.get("errors", {}))

    from slrt.fieldwork import services

    monkeypatch.setattr(services, "receive", receive)
    return calls, outcome


def test_the_transport_hands_receive_the_parsed_instance_and_attachments(client, make_user, fake_receive):
    calls, _outcome = fake_receive
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    xml = instance_xml("slrt_tindak_lanjut", {"kunjungan": "9", "base_status_rujukan": "diterima",
                                              "layanan_diterima": "sudah", "kondisi": "Sehat"},
                       instance_id="uuid:66666666-6666-4666-8666-666666666666")
    response = _post(collect, xml, ("foto.jpg", JPEG, "image/jpeg"))
    assert response.status_code == 201
    (call,) = calls
    assert call["form_id"] == "slrt_tindak_lanjut" and call["form_version"] == _form_version("slrt_tindak_lanjut")
    assert call["instance_id"] == "uuid:66666666-6666-4666-8666-666666666666"
    assert call["base"] == {"status_rujukan": "diterima"}
    assert call["values"]["kunjungan"] == "9" and call["values"]["catatan"] == ""
    assert "base_status_rujukan" not in call["values"] and "meta" not in call["values"]
    assert call["attachments"] == [("foto.jpg", "image/jpeg", JPEG)]
    assert call["source"] == "odk" and call["xml"].startswith("<?xml")


def _form_version(form_id):
    from slrt.fieldwork.xforms import xform_for

    return xform_for(FORMS[form_id]).version


def test_an_invalid_submission_answers_400_with_the_messages(client, make_user, fake_receive):
    _calls, outcome = fake_receive
    outcome.update(status=SubmissionStatus.INVALID, message="",
                   errors={"nik": ["NIK harus 16 angka."], "uraian": ["Uraian wajib diisi."]})
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    response = _post(collect, _complaint("uuid:77777777-7777-4777-8777-777777777777"))
    assert response.status_code == 400
    text = _message(response).text
    assert "NIK harus 16 angka." in text and "Uraian wajib diisi." in text


def test_permission_denied_from_receive_answers_403(client, make_user, fake_receive):
    _calls, outcome = fake_receive
    outcome["raise"] = PermissionDenied("Kiriman ini milik pengguna lain.")
    collect = Collect(client, make_user("fasilitator", "32.01.02.2001"), PASSWORD)
    response = _post(collect, _complaint("uuid:88888888-8888-4888-8888-888888888888"))
    assert response.status_code == 403 and _message(response).text == "Kiriman ini milik pengguna lain."


# --- instance parsing -------------------------------------------------------------------------


def test_instance_parsing_follows_the_contract():
    xml = instance_xml(
        "slrt_verifikasi_rt",
        {"kunjungan": "5", "base_nomor_kk": "3201020000000001", "base_versi": "abc", "hasil": "ditemukan",
         "program": "PKH BPNT"},
        repeats={"anggota": [{"aksi": "tambah", "nik": "3201024101900001", "nama": "Budi"},
                             {"aksi": "meninggal", "nik": "3201024101900002"}]},
        instance_id="uuid:99",
    )
    parsed = parse_instance(xml, _repeats_for)
    assert parsed.form_id == "slrt_verifikasi_rt" and parsed.instance_id == "uuid:99"
    assert parsed.base["nomor_kk"] == "3201020000000001" and parsed.base["versi"] == "abc"
    assert parsed.base["alamat"] == ""  # empty leaves stay, as ""
    assert parsed.values["program"] == "PKH BPNT"  # select_multiple stays space-separated
    assert parsed.values["nomor_kk"] == "" and "g_rumah_tangga" not in parsed.values  # groups are transparent
    assert [m["aksi"] for m in parsed.values["anggota"]] == ["tambah", "meninggal"]
    assert parsed.values["anggota"][0]["tanggal_lahir"] == ""  # a group inside the repeat is transparent too
    assert not any(k.startswith("base_") for k in parsed.values) and "instanceName" not in parsed.values


def test_a_single_repeat_item_is_still_a_list():
    xml = instance_xml("slrt_verifikasi_rt", {"hasil": "ditemukan"},
                       repeats={"anggota": [{"aksi": "pindah", "nik": "3201024101900003"}]})
    assert parse_instance(xml, _repeats_for).values["anggota"][0]["aksi"] == "pindah"


def test_entity_expansion_is_refused_before_parsing():
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><d id="x">&b;</d>'
    with pytest.raises(InstanceError):
        parse_instance(bomb)
    with pytest.raises(InstanceError):
        parse_instance(b'<?xml version="1.0"?><!doctype d SYSTEM "file:///etc/passwd"><d id="x"/>')
