"""Formulas never leave in a file people open (issue 11, point 3).

The same hostile values go through every CSV and XLSX meant for people (the import error report
from the web and from `import_registry --report`, the SIKS-NG-style proposal sheet, the
targeting export): no cell may begin with a formula character unescaped, and no XLSX cell may be
a formula. The exchange file keeps values exact; instead, each entry point (the registry import,
the proposal and case services behind the forms and the API, the tablet's submissions) refuses
such text, naming the field."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from slrt.core.sheets import FORMULA_PREFIXES, CsvWriter, neutralise, starts_like_formula
from slrt.core.text import required_texts
from slrt.registry.models import ImportJob, ImportRowError
from slrt.updates import export
from slrt.updates import services as proposals
from slrt.updates.models import Proposal
from tests.test_cases_api import payload
from tests.test_fieldwork_services import field, send, verification_values  # noqa: F401 - the fixture
from tests.test_import import HEADER, person, write_csv
from tests.test_referrals_fixtures import api_client
from tests.test_updates_review import approved

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","klik")', "=1+1", "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1"]
DESA = "32.01.02.2001"


def assert_csv_safe(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), (cell, row)
    return rows


def assert_xlsx_safe(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))
    values = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), (ws.title, cell.coordinate, cell.value)
                values.append(cell.value)
    return values


# --- the writer ------------------------------------------------------------------------------


def test_the_writer_quotes_formula_like_text_and_keeps_numbers_numbers():
    for value in HOSTILE + ["\r=1", "\uff1d1+1"]:
        assert neutralise(value) == "'" + value
    assert neutralise(-5) == -5 and neutralise(2.5) == 2.5 and neutralise(None) == ""
    assert neutralise("Siti Aminah") == "Siti Aminah" and neutralise("3201020101900001") == "3201020101900001"
    out = io.StringIO()
    CsvWriter(out).writerow(HOSTILE + [-2])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'" + v for v in HOSTILE] + ["-2"]


def test_the_entry_rule_refuses_formulas_but_keeps_a_dash_and_negative_numbers():
    for value in HOSTILE + ["  =1", "\r=1", "\uff20SUM(1)", "-cmd", "- 1+1"]:
        assert starts_like_formula(value), value
    for value in ("", "-", "--", "-5", "-2,5", "Siti", "Jl. Merdeka 1", "'=1", "a=b", "RT 01 - RW 02"):
        assert not starts_like_formula(value), value


# --- files for people ------------------------------------------------------------------------


def hostile_import(tmp_path):
    """A registry file whose names and desil carry the hostile values: each row is refused."""
    rows = [person(i + 1, kk_no=i + 1, nama=value, desil=value) for i, value in enumerate(HOSTILE)]
    return write_csv(tmp_path / "hostile.csv", rows + [person(50, kk_no=50)], header=HEADER)


def test_the_import_refuses_formula_names_and_its_reports_web_and_cli_cannot_run_them(tmp_path, make_user):
    report = tmp_path / "report.csv"
    call_command("import_registry", str(hostile_import(tmp_path)), "--report", str(report), stdout=io.StringIO())
    job = ImportJob.objects.get()
    assert (job.created, job.rejected) == (1, len(HOSTILE))
    refused = ImportRowError.objects.filter(job=job, column="nama", reason__startswith="Kolom nama: tidak boleh")
    assert sorted(refused.values_list("line", flat=True)) == list(range(2, 2 + len(HOSTILE)))
    cli = assert_csv_safe(report.read_text(encoding="utf-8"))
    client = Client()
    client.force_login(make_user("admin", "00"))
    response = client.get(f"/registri/impor/{job.pk}/galat.csv")
    assert response.status_code == 200
    web = assert_csv_safe(b"".join(response.streaming_content).decode("utf-8"))
    for rows in (cli, web):
        values = {r[2] for r in rows[1:]}
        for value in HOSTILE:
            assert "'" + value.strip() in values  # shown as typed, behind the quote


def test_the_siks_sheet_cannot_run_formulas_while_the_exchange_file_keeps_them_exact(staff, make_person):
    # Entry refuses such text today; rows stored before (or by another way) must still be safe.
    p = approved(staff, {"nik": make_person(DESA).nik, "pekerjaan": "Petani"}, reason="Pindah kerja")
    Proposal.objects.system().filter(pk=p.pk).update(
        reason=HOSTILE[0], data={**p.data, "pekerjaan": HOSTILE[1], "nama": HOSTILE[2]})
    batch = proposals.create_batch(staff["man"], kab_code="32.01", period="2026-06")
    values = assert_xlsx_safe(export.siks_xlsx(batch))
    assert "'" + HOSTILE[0] in values and "'" + HOSTILE[2] in values
    # The exchange file (read back by the registry owner and import_registry): exact values, as text.
    sheet = openpyxl.load_workbook(io.BytesIO(export.exchange_xlsx(batch))).active
    cols = list(export.EXCHANGE_COLUMNS)
    row = next(sheet.iter_rows(min_row=2, max_row=2))
    assert row[cols.index("alasan")].value == HOSTILE[0] and row[cols.index("pekerjaan")].value == HOSTILE[1]
    assert all(c.data_type == "s" for c in row if c.value is not None)
    exchange = list(csv.DictReader(io.StringIO(export.exchange_csv(batch).decode("utf-8"))))
    assert exchange[0]["alasan"] == HOSTILE[0] and exchange[0]["pekerjaan"] == HOSTILE[1]


def test_the_targeting_export_cannot_run_formulas(make_user, make_person):
    from slrt.programs.models import Program
    from slrt.programs.services.export import export_run
    from slrt.programs.services.targeting import run_targeting

    make_person("32.01.02.2001")
    for program, value in zip(Program.objects.order_by("pk"), HOSTILE, strict=False):
        program.name = value
        program.save(update_fields=["name"])
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    values = assert_xlsx_safe(export_run(manajer, run).read())
    assert "'" + HOSTILE[0] in values
    assert any(isinstance(v, int) for v in values)  # counts stay numbers


# --- entry points ----------------------------------------------------------------------------


@pytest.fixture
def staff(make_user):
    return {
        "fas": make_user("fasilitator", DESA),
        "sup": make_user("supervisor", "32.01.02"),
        "man": make_user("manajer", "32.01"),
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_a_proposal_refuses_formula_text_naming_the_field(staff, make_person, value):
    target = make_person(DESA)
    with pytest.raises(ValidationError) as exc:
        proposals.draft_proposal(staff["fas"], kind="perubahan", data={"nik": target.nik, "pekerjaan": value})
    assert "Kolom pekerjaan: tidak boleh diawali" in " ".join(exc.value.message_dict["pekerjaan"])
    with pytest.raises(ValidationError) as exc:
        proposals.draft_proposal(staff["fas"], kind="perubahan", data={"nik": target.nik, "pekerjaan": "Guru"},
                                 reason=value)
    assert "Kolom alasan: tidak boleh diawali" in " ".join(exc.value.message_dict["reason"])
    response = api_client(staff["fas"]).post(
        "/api/v1/proposals", {"kind": "perubahan", "data": {"nik": target.nik, "pekerjaan": value}},
        content_type="application/json")
    assert response.status_code == 422 and "pekerjaan" in response.json()["errors"], response.content
    assert not Proposal.objects.system().exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_case_refuses_formula_text_naming_the_field_in_the_api(make_user, make_person, value):
    client = api_client(make_user("front_office", "32.01"))
    body = payload(person_id=make_person().pk, summary=value)
    response = client.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert "tidak boleh diawali" in str(response.json()["errors"]["summary"])
    response = client.post("/api/v1/cases", payload(person_id=make_person().pk, summary="Biaya berobat"),
                           content_type="application/json")
    assert response.status_code == 201, response.content


def test_required_texts_of_a_workflow_step_refuse_formulas():
    values, errors = required_texts(("reason",), {"reason": "=1+1"}, {"reason": "Alasan"})
    assert values == {} and errors["reason"].startswith("Kolom Alasan: tidak boleh diawali")


@pytest.mark.parametrize("value", ["=1+1", "@SUM(1)"])
def test_a_tablet_complaint_refuses_a_formula_name_naming_the_form_field(make_user, value):
    from slrt.cases.models import Case
    from slrt.fieldwork import services as fieldwork
    from slrt.fieldwork.models import SubmissionStatus

    values = {"persetujuan": "ya", "tujuan_persetujuan": "Layanan SLRT", "boleh_dibagikan": "ya",
              "nama": value, "kode_wilayah": DESA, "alamat": "", "jenis_keluhan": "pengaduan", "urgensi": "biasa",
              "sektor": "pangan", "uraian": "Butuh beras"}
    result = fieldwork.receive(make_user("fasilitator", DESA), form_id="slrt_pengaduan",
                               instance_id=f"uuid:f-{value}", values=values, base={})
    assert result.status == SubmissionStatus.INVALID
    assert "tidak boleh diawali" in " ".join(result.errors["nama"]), result.errors
    assert not Case.objects.system().exists()


def test_a_tablet_verification_refuses_a_formula_note_and_a_formula_address(field):  # noqa: F811 - the fixture
    from slrt.fieldwork.models import SubmissionStatus

    result = send(field, verification_values(field, catatan="=1+1"), instance="uuid:note")
    assert result.status == SubmissionStatus.INVALID
    assert "Kolom catatan: tidak boleh diawali" in " ".join(result.errors["catatan"]), result.errors
    result = send(field, verification_values(field, alamat="@SUM(1)"), instance="uuid:addr")
    assert result.status != SubmissionStatus.REVIEW
    assert "tidak boleh diawali" in str(result.errors), result.errors
    assert not Proposal.objects.system().exists()
