"""The XLSForm files: each converts with pyxform, passes ODK Validate, and carries exactly the
fields of the field form contract (docs: briefs forms4.md / slrt.fieldwork.formdefs) with the
right types, so the forms and the handlers cannot drift apart."""

import hashlib
import os
import shutil

import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook

from slrt.fieldwork import xforms
from slrt.fieldwork.formdefs import FORMS, VERIFICATION_BASE

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"

# name → kind. Kinds: text, int, date, geopoint, image, signature, calc (pulldata of the media file),
# select1 / select (with the choice list: a media CSV "x.csv" or the inline choices it must offer).
SELECT_VERIFIKASI_HOUSE = ("lantai", "dinding", "atap", "sumber_air", "penerangan", "jamban", "bahan_bakar",
                           "status_bangunan")
CONTRACT = {
    "slrt_verifikasi_rt": {
        "kunjungan": ("select1", "kunjungan.csv"),
        **{f"base_{c}": ("calc", "kunjungan") for c in (*VERIFICATION_BASE, "versi")},
        "hasil": ("select1", {"ditemukan", "tidak_ditemukan", "pindah"}),
        "kode_wilayah": ("select1", "desa.csv"),
        "nomor_kk": ("text",), "alamat": ("text",), "dusun": ("text",), "rt": ("text",), "rw": ("text",),
        **{name: ("select1", None) for name in SELECT_VERIFIKASI_HOUSE},
        "luas_lantai": ("int",),
        "jenis_ppks": ("select1", "ppks.csv"),
        "program": ("select", "program.csv"),
        "minta_tinjau_desil": ("select1", {"ya", "tidak"}),
        "alasan_desil": ("text",),
        "anggota/aksi": ("select1", {"tambah", "ubah", "meninggal", "pindah"}),
        "anggota/nik": ("text",), "anggota/nama": ("text",), "anggota/tempat_lahir": ("text",),
        "anggota/tanggal_lahir": ("date",),
        "anggota/jenis_kelamin": ("select1", {"L", "P"}),
        "anggota/hubungan_keluarga": ("select1", {"kepala_keluarga", "istri_suami", "anak", "menantu", "cucu",
                                                  "orang_tua", "mertua", "famili_lain", "lainnya"}),
        "anggota/nama_ibu_kandung": ("text",), "anggota/pendidikan": ("select1", None),
        "anggota/pekerjaan": ("text",), "anggota/status_kawin": ("select1", None), "anggota/disabilitas": ("text",),
        "foto_rumah": ("image",), "tanda_tangan": ("signature",), "lokasi": ("geopoint",), "catatan": ("text",),
    },
    "slrt_pengaduan": {
        "persetujuan": ("select1", {"ya", "tidak"}),
        "tujuan_persetujuan": ("text",),
        "boleh_dibagikan": ("select1", {"ya", "tidak"}),
        "nik": ("text",), "nama": ("text",), "kode_wilayah": ("select1", "desa.csv"), "alamat": ("text",),
        "telepon": ("text",),
        "jenis_keluhan": ("select1", {"pertanyaan", "saran", "pengaduan"}),
        "urgensi": ("select1", {"biasa", "mendesak", "darurat"}),
        "sektor": ("select", "sektor.csv"),
        "uraian": ("text",),
        "foto": ("image",), "tanda_tangan": ("signature",), "lokasi": ("geopoint",),
    },
    "slrt_tindak_lanjut": {
        "kunjungan": ("select1", "kunjungan_rujukan.csv"),
        "base_status_rujukan": ("calc", "kunjungan_rujukan"),
        "layanan_diterima": ("select1", {"sudah", "belum", "ditolak"}),
        "tanggal_layanan": ("date",),
        "kondisi": ("text",),
        "perlu_tindak_lanjut": ("select1", {"ya", "tidak"}),
        "catatan": ("text",), "foto": ("image",), "lokasi": ("geopoint",),
    },
}
BIND_TYPE = {"text": "string", "int": "int", "date": "date", "geopoint": "geopoint", "image": "binary",
             "signature": "binary", "calc": "string", "select1": "string", "select": "string"}


def _fields(xml: bytes) -> dict:
    """Leaf name (prefixed by its repeat, groups dropped) → bind attributes and body control."""
    doc = ElementTree.fromstring(xml)
    repeats = {r.get("nodeset") for r in doc.iter(f"{XF}repeat")}
    controls = {}
    for el in doc.find(f"{H}body").iter():
        if el.get("ref") and el.tag in {f"{XF}{t}" for t in ("input", "select1", "select", "upload")}:
            controls[el.get("ref")] = el
    fields = {}
    for bind in doc.iter(f"{XF}bind"):
        path = bind.get("nodeset")
        if path is None or "/meta/" in path or path in repeats or bind.get("type") is None:  # groups
            continue
        name = path.rsplit("/", 1)[-1]
        repeat = next((r for r in repeats if path.startswith(r + "/")), None)
        key = f"{repeat.rsplit('/', 1)[-1]}/{name}" if repeat else name
        fields[key] = (bind, controls.get(path))
    instances = {i.get("id"): i.get("src") for i in doc.iter(f"{XF}instance") if i.get("id")}
    inline = {i.get("id"): {n.text for n in i.iter(f"{XF}name")} for i in doc.iter(f"{XF}instance") if i.get("id")}
    return fields, instances, inline


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_each_xlsform_names_its_form_and_converts_with_pyxform(form_id):
    form = FORMS[form_id]
    settings_sheet = load_workbook(xforms.xlsform_path(form))["settings"]
    header, row = ([c.value for c in r] for r in settings_sheet.iter_rows(max_row=2))
    assert dict(zip(header, row, strict=True))["form_id"] == form_id
    xform = xforms.xform_for(form)
    root = ElementTree.fromstring(xform.xml).find(f"{H}head/{XF}model/{XF}instance")[0]
    assert root.get("id") == form_id
    sha = hashlib.sha256(xforms.xlsform_path(form).read_bytes()).hexdigest()
    assert root.get("version") == xform.version == sha[:10]


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_each_xform_passes_odk_validate(form_id):
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("Java is needed to run ODK Validate on the field forms (apt install openjdk-17-jre-headless)")
        pytest.skip("java not installed")
    form = FORMS[form_id]
    xlsx = xforms.xlsform_path(form).read_bytes()
    # Raises ODKValidateError on an invalid form.
    result = xforms.convert_xlsform(xlsx, version="test", validate=True)
    assert "<h:html" in result.xform


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_each_xform_has_the_contract_fields_with_their_types(form_id):
    xform = xforms.xform_for(FORMS[form_id])
    fields, instances, inline = _fields(xform.xml)
    contract = CONTRACT[form_id]
    assert set(fields) == set(contract), "fields differ from the field form contract"
    for name, (kind, *detail) in contract.items():
        bind, control = fields[name]
        assert bind.get("type") == BIND_TYPE[kind], name
        if kind == "calc":
            assert control is None and f"pulldata('{detail[0]}'" in bind.get("calculate", ""), name
            continue
        assert control is not None, f"{name} is not shown"
        tag = control.tag.removeprefix(XF)
        if kind in ("select1", "select"):
            assert tag == kind, name
            itemset = control.find(f"{XF}itemset")
            list_id = itemset.get("nodeset").split("'")[1]
            choices = detail[0]
            if isinstance(choices, str):
                assert instances[list_id] == f"jr://file-csv/{choices}", name
            else:
                assert instances[list_id] is None, f"{name} should list its choices in the form"
                if choices is not None:
                    assert inline[list_id] == choices, name
        elif kind in ("image", "signature"):
            assert tag == "upload" and control.get("mediatype") == "image/*", name
            assert (control.get("appearance") == "signature") == (kind == "signature"), name
        else:
            assert tag == "input", name


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_the_media_files_a_form_uses_are_exactly_those_its_manifest_lists(form_id):
    form = FORMS[form_id]
    _fields_, instances, _inline = _fields(xforms.xform_for(form).xml)
    used = {src.removeprefix("jr://file-csv/").removesuffix(".csv") for src in instances.values() if src}
    assert used == set(form.media)


def test_base_fields_are_hidden_calculations_of_the_chosen_visit():
    fields, _instances, _inline = _fields(xforms.xform_for(FORMS["slrt_verifikasi_rt"]).xml)
    bind, control = fields["base_versi"]
    assert control is None
    assert "pulldata('kunjungan', 'versi', 'name'" in bind.get("calculate")


def test_choice_labels_map_a_sent_slug_back_to_its_text():
    assert xforms.choice_labels("slrt_verifikasi_rt", "pendidikan")["slta_sederajat"] == "SLTA/Sederajat"
    assert xforms.choice_labels("slrt_verifikasi_rt", "lantai")["kayu_papan_kualitas_rendah"] == (
        "Kayu/papan kualitas rendah")
    assert xforms.choice_labels("slrt_verifikasi_rt", "desa") == {}  # a media list, not in the form
