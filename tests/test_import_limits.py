"""Hostile files cannot exhaust the server, and every refusal names the real problem.

Each case is a file generated here: ZIP bombs of one huge shared string or cell, millions of
blank rows, thousands of columns, a NUL byte, a 10 MB field, UTF-16 without a byte-order mark.
The bomb cases run the real `import_registry` in a child process (its own SQLite database) and
measure the child's peak memory (VmHWM, which the child reads of itself): a bound well under the ~2 GB
that openpyxl needed for the same files. The cap on imports at once is proved with real
processes holding the lock-file slots; the web page refuses an upload that is too large or
arrives while the server is full, before the file is stored.
"""

import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
import zipfile
from itertools import chain
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from slrt.registry.imports import ImportFileError
from slrt.registry.imports.reader import open_rows
from slrt.registry.models import ImportJob, ImportRowError, ImportStatus, Person
from slrt.registry.services.imports import ImportJobError, create_import_job, run_import

pytestmark = pytest.mark.django_db

BASE_DIR = Path(django_settings.BASE_DIR)
DESA = "3201011001"
HEADER = ["nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin", "periode"]
MB = 1024 * 1024
# A child import of a small file peaks near 90 MB (Django, the ORM, the region codes). openpyxl
# needed ~2.2 GB for a 1 MB workbook of one huge string; this bound leaves no room for that.
PEAK_MB = 250


def nik(serial: int, birth=dt.date(1980, 1, 15)) -> str:
    return f"320101{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def row(serial: int, kk_no: int = 1, nama=None) -> list[str]:
    return [nik(serial), f"320101{kk_no:010d}", nama or f"Warga {serial}", DESA, "1980-01-15", "L", "2026-01"]


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# --- a minimal workbook writer: the parts Excel writes, streamed (bombs never sit in memory) ----

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def cell(ref: str, value) -> str:
    if isinstance(value, tuple):  # ("s", index) a shared string; ("n", number, style) a number
        if value[0] == "s":
            return f'<c r="{ref}" t="s"><v>{value[1]}</v></c>'
        return f'<c r="{ref}" s="{value[2]}"><v>{value[1]}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def row_xml(number: int, values) -> str:
    return f'<row r="{number}">' + "".join(cell(f"{col_letter(i)}{number}", v) for i, v in enumerate(values)) + "</row>"


def write_xlsx(path: Path, sheet_rows, *, shared=None, level=6) -> Path:
    """`sheet_rows`: an iterable of row XML strings (or chunks); `shared`: an iterable of shared
    string XML chunks (each `<si>…</si>`), or None for a workbook without shared strings."""
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>',
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>']
    if shared is not None:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
                   f'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
                   f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
                   f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                   '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        # Style 1: the built-in date format 14 (what Excel gives a typed date).
        z.writestr("xl/styles.xml", f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
                   '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
        if shared is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                f.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode())
                for chunk in shared:
                    f.write(chunk.encode())
                f.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for chunk in sheet_rows:
                f.write(chunk.encode())
            f.write(b"</sheetData></worksheet>")
    return path


def huge(chars: int, piece: str = "A" * (1024 * 1024)):
    """`chars` characters of text in 1 MB pieces."""
    while chars > 0:
        yield piece[:chars]
        chars -= len(piece)


def joined(parts, n=10_000):
    """Join an iterable of small strings into chunks of `n` (fast writes of millions of rows)."""
    batch = []
    for part in parts:
        batch.append(part)
        if len(batch) >= n:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


def data_rows(first_line: int, serials) -> list[str]:
    return [row_xml(first_line + i, row(s)) for i, s in enumerate(serials)]


def run(path, **kwargs) -> ImportJob:
    return run_import(create_import_job(path=path, original_name=path.name, **kwargs))


def refused(path, **kwargs) -> str:
    job = create_import_job(path=path, original_name=path.name, **kwargs)
    with pytest.raises(ImportFileError) as exc:
        run_import(job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.message == exc.value.message
    assert not Person.objects.system().exists()
    return exc.value.message


def row_errors(job):
    return list(ImportRowError.objects.filter(job=job, is_warning=False).order_by("line")
                .values_list("line", "column", "reason"))


# --- child imports with measured peak memory ----------------------------------------------------


def _manage(env, *args, timeout=600):
    return subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def child_db(tmp_path_factory):
    """Environment for child imports: their own SQLite database with the regions of Jawa Barat."""
    folder = tmp_path_factory.mktemp("child")
    env = dict(os.environ, SLRT_VAR_DIR=str(folder / "var"), DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
               DJANGO_SETTINGS_MODULE="slrt.settings", PYTHONUNBUFFERED="1")
    migrated = _manage(env, "migrate", "--skip-checks", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    load = subprocess.run([sys.executable, "-c", "import django; django.setup(); from slrt.wilayah.services "
                           "import load_regions; load_regions(prefixes=('32',))"],
                          env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False)
    assert load.returncode == 0, load.stderr
    return env


# The child writes its own peak (VmHWM of /proc/self/status) as it exits. Not ru_maxrss: Linux
# carries the parent's resident size over exec into it, so a big test worker would count too.
PEAK_WRAPPER = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv = sys.argv[1:]  # manage.py sees itself as argv[0]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def child_import(env, path: Path, **extra_env) -> tuple[int, str, float]:
    """(exit status, output, peak resident memory in MB) of `import_registry path` in a child."""
    out, peak = path.with_suffix(".out"), path.with_suffix(".peak")
    with open(out, "w") as f:
        proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(peak), str(BASE_DIR / "manage.py"),
                               "import_registry", str(path), "--no-progress"], env=dict(env, **extra_env),
                              cwd=BASE_DIR, stdout=f, stderr=subprocess.STDOUT, check=False)
    return proc.returncode, out.read_text(), int(peak.read_text()) / 1024  # VmHWM is in KiB


def test_a_child_import_of_a_plain_file_sets_the_memory_baseline(child_db, tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", [row_xml(1, HEADER)] + data_rows(2, range(1, 201)))
    code, out, peak = child_import(child_db, path)
    assert code == 0, out
    assert "diterima       :        200" in out
    assert peak < PEAK_MB


def test_a_1_mb_workbook_holding_one_1_gb_shared_string_is_refused_before_it_is_unzipped(child_db, tmp_path):
    shared = ["<si><t>", *huge(1024 * MB), "</t></si>"]
    path = write_xlsx(tmp_path / "bom.xlsx", [row_xml(1, [("s", 0)] + HEADER[1:])], shared=shared, level=9)
    assert path.stat().st_size < 2 * MB
    code, out, peak = child_import(child_db, path)
    assert code != 0 and "bom ZIP" in out and "sharedStrings.xml" in out, out
    assert "Traceback" not in out
    assert peak < PEAK_MB


def test_a_1_mb_workbook_holding_one_1_gb_cell_is_refused_before_it_is_unzipped(child_db, tmp_path):
    sheet = [row_xml(1, HEADER), '<row r="2"><c r="A2" t="inlineStr"><is><t>', *huge(1024 * MB), "</t></is></c></row>"]
    path = write_xlsx(tmp_path / "bom.xlsx", sheet, level=9)
    assert path.stat().st_size < 2 * MB
    code, out, peak = child_import(child_db, path)
    assert code != 0 and "bom ZIP" in out and "sheet1.xml" in out, out
    assert peak < PEAK_MB


@pytest.mark.parametrize("where", ["shared string", "inline cell"])
def test_past_the_zip_checks_a_256_mb_field_rejects_its_row_and_memory_stays_bounded(child_db, tmp_path, where):
    """With the ratio check switched off, the streaming reader still drops the text past the cell
    limit: the row is rejected as "field too long" and the other rows are imported."""
    if where == "shared string":
        shared = ["<si><t>Warga Panjang ", *huge(256 * MB), "</t></si>"]
        bad = row_xml(3, [nik(2), "3201010000000001", ("s", 0), DESA, "1980-01-15", "L", "2026-01"])
    else:
        shared = None
        bad = (f'<row r="3"><c r="A3" t="inlineStr"><is><t>{nik(2)}</t></is></c>'
               '<c r="B3" t="inlineStr"><is><t>3201010000000001</t></is></c><c r="C3" t="inlineStr"><is><t>')
        bad = [bad, *huge(256 * MB), f'</t></is></c><c r="D3"><v>{DESA}</v></c></row>']
    sheet = [row_xml(1, HEADER), *data_rows(2, [1]), *([bad] if isinstance(bad, str) else bad),
             *data_rows(4, [3, 4])]
    path = write_xlsx(tmp_path / "long.xlsx", sheet, shared=shared, level=9)
    code, out, peak = child_import(child_db, path, SLRT_IMPORT_XLSX_MAX_RATIO="100000",
                                   SLRT_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES=str(1024 * MB))
    assert code == 0, out
    assert "diterima       :          3" in out and "ditolak        :          1" in out, out
    assert peak < PEAK_MB


def test_three_million_blank_rows_are_refused_at_the_sheet_row_limit_quickly(child_db, tmp_path):
    blank = joined(f'<row r="{n}"/>' for n in range(3, 3_000_003))
    path = write_xlsx(tmp_path / "kosong.xlsx", chain([row_xml(1, HEADER)], data_rows(2, [1]), blank), level=9)
    assert path.stat().st_size < 8 * MB  # numbered rows zip ~50×: past the ZIP checks, on to the row limit
    started = time.monotonic()
    code, out, peak = child_import(child_db, path)
    assert code != 0 and "1.048.576 baris" in out and "baris kosong" in out, out
    assert peak < PEAK_MB
    assert time.monotonic() - started < 120  # was past five minutes; bounded by the row limit


def test_trailing_blank_rows_under_the_limit_are_skipped_without_padding(tmp_path):
    blank = joined(f'<row r="{n}"><c r="A{n}" s="0"/><c r="XFD{n}" s="0"/></row>' for n in range(4, 200_004))
    path = write_xlsx(tmp_path / "ekor.xlsx", chain([row_xml(1, HEADER)], data_rows(2, [1, 2]), blank))
    job = run(path)
    assert (job.created, job.rejected, job.rows_read) == (2, 0, 2)


# --- the zip and workbook checks (in this process) ----------------------------------------------


@override_settings(SLRT_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES=4 * MB)
def test_a_workbook_larger_than_the_unzipped_limit_is_refused_naming_both_sizes(tmp_path):
    rnd = random.Random(1)
    names = joined(row_xml(n, [rnd.randbytes(20).hex()]) for n in range(2, 150_002))
    path = write_xlsx(tmp_path / "besar.xlsx", chain([row_xml(1, HEADER)], names))
    message = refused(path)
    assert "setelah dibuka" in message and "batasnya 4 MB" in message


@override_settings(SLRT_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES=1 * MB)
def test_shared_strings_past_their_limit_are_refused_before_they_are_read(tmp_path):
    rnd = random.Random(2)
    shared = joined(f"<si><t>{rnd.random()}</t></si>" for _ in range(100_000))
    path = write_xlsx(tmp_path / "ss.xlsx", [row_xml(1, HEADER)], shared=shared)
    assert "shared strings" in refused(path)


def test_a_workbook_with_a_dtd_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "dtd.xlsx", [])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                                         b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><worksheet xmlns="' + MAIN.encode()
                                         + b'"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is>'
                                         b"</c></row></sheetData></worksheet>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert "DTD" in refused(path)


def test_a_workbook_with_shared_strings_dates_and_numbers_reads_like_the_csv(tmp_path):
    """What Excel writes: text in shared strings (rich text too), a typed date as a number in a
    date style, numbers without a needless .0, a formula's cached value."""
    shared = ["<si><t>nik</t></si>", "<si><t>nomor_kk</t></si>", "<si><t>nama</t></si>",
              "<si><t>kode_wilayah</t></si>", "<si><t>tanggal_lahir</t></si>", "<si><t>jenis_kelamin</t></si>",
              "<si><t>periode</t></si>", f"<si><t>{nik(1)}</t></si>", "<si><r><t>Budi </t></r><r><t>Santoso</t></r>"
              "<rPh><t>ブディ</t></rPh></si>", "<si><t>2026-01</t></si>"]
    header = row_xml(1, [("s", i) for i in range(7)])
    data = (f'<row r="2"><c r="A2" t="s"><v>7</v></c><c r="B2"><v>3201010000000001</v></c><c r="C2" t="s"><v>8</v>'
            f'</c><c r="D2" t="str"><f>TEXT(3201011001,"0")</f><v>{DESA}</v></c><c r="E2" s="1"><v>29235</v></c>'
            '<c r="F2" t="inlineStr"><is><t>L</t></is></c><c r="G2" t="s"><v>9</v></c></row>')
    path = write_xlsx(tmp_path / "excel.xlsx", [header, data], shared=shared)
    job = run(path)
    assert (job.created, job.rejected) == (1, 0), row_errors(job)
    person = Person.objects.system().get()
    assert (person.nik, person.nama, person.tanggal_lahir) == (nik(1), "Budi Santoso", dt.date(1980, 1, 15))
    assert person.household.nomor_kk == "3201010000000001"


# --- columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_two_thousand_programme_columns_are_refused_clearly(tmp_path, kind):
    header = HEADER + [f"program_p{i}" for i in range(2000)]
    values = row(1) + ["1"] * 2000
    if kind == "csv":
        path = write_csv(tmp_path / "prog.csv", [values], header=header)
    else:
        path = write_xlsx(tmp_path / "prog.xlsx", [row_xml(1, header), row_xml(2, values)])
    message = refused(path)
    assert "2.000 kolom program_*" in message and "paling banyak 50" in message


def test_fifty_programme_columns_the_limit_import_on_this_database(tmp_path):
    """The programme limit is one the merge can run with (SQLite joins at most 64 tables)."""
    header = HEADER + [f"program_p{i}" for i in range(50)]
    job = run(write_csv(tmp_path / "prog.csv", [row(1) + ["1"] * 50, row(2) + ["0"] * 50], header=header))
    assert (job.created, job.rejected) == (2, 0)
    assert Person.objects.system().get(nik=nik(1)).programs.filter(active=True).count() == 50


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_of_more_columns_than_the_limit_is_refused(tmp_path, kind):
    header = HEADER + [f"kolom_{i}" for i in range(600)]
    if kind == "csv":
        path = write_csv(tmp_path / "lebar.csv", [row(1)], header=header)
    else:
        path = write_xlsx(tmp_path / "lebar.xlsx", [row_xml(1, header), row_xml(2, row(1))])
    assert "paling banyak 500" in refused(path)


# --- CSV: the real problem of each row ----------------------------------------------------------


def test_a_nul_byte_in_the_second_line_rejects_that_row_not_the_file(tmp_path):
    path = write_csv(tmp_path / "nul.csv", [row(1), row(2), row(3)])
    path.write_bytes(path.read_bytes().replace(b"Warga 2", b"Warga\x002"))
    job = run(path)
    assert (job.created, job.rejected) == (2, 1)
    [(line, column, reason)] = row_errors(job)
    assert line == 3 and "NUL" in reason and "UTF-8" not in reason


def test_a_10_mb_field_says_field_too_long_and_the_other_rows_are_imported(tmp_path):
    path = write_csv(tmp_path / "panjang.csv", [row(1), row(2, nama="X" * (10 * MB)), row(3)])
    job = run(path)
    assert (job.created, job.rejected) == (2, 1)
    [(line, _column, reason)] = row_errors(job)
    assert line == 3 and "Isian terlalu panjang" in reason and "32.767" in reason


def test_a_quoted_field_that_never_ends_rejects_rows_not_the_file(tmp_path):
    path = tmp_path / "kutip.csv"
    with open(path, "w") as f:
        f.write(",".join(HEADER) + "\n" + ",".join(row(1)) + "\n")
        f.write(f'{nik(2)},3201010000000001,"Tanpa akhir,{DESA}\n')
        for _ in range(5000):
            f.write("lanjutan baris tanpa tanda kutip penutup sama sekali,,,\n")
    job = run(path)
    assert job.created == 1
    reasons = {r for _l, _c, r in row_errors(job)}
    assert any("Isian terlalu panjang" in r for r in reasons)


def test_a_line_longer_than_the_row_limit_says_row_too_long(tmp_path):
    long_row = row(2)[:4] + ["1980-01-15", "L", "2026-01"] + ["y" * 30_000] * 3
    path = write_csv(tmp_path / "baris.csv", [row(1) + ["", "", ""], long_row, row(3) + ["", "", ""]],
                     header=HEADER + ["catatan_a", "catatan_b", "catatan_c"])
    job = run(path)
    assert (job.created, job.rejected) == (2, 1)
    [(line, _column, reason)] = row_errors(job)
    assert line == 3 and "Baris terlalu panjang" in reason


def test_a_csv_without_line_breaks_does_not_fill_memory(tmp_path):
    path = tmp_path / "satu.csv"
    with open(path, "w") as f:
        f.write(",".join(HEADER) + "\n" + ",".join(row(1)) + "\n")
        for chunk in huge(64 * MB, "abc;" * 262_144):
            f.write(chunk)
    source = open_rows(path)
    try:
        items = list(source.rows)
    finally:
        source.close()
    assert items[0][0] == 2 and items[1][0] == 3 and items[1][1].code in ("field_too_long", "row_too_long")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path, encoding):
    path = tmp_path / "unicode.csv"
    text = ",".join(HEADER) + "\r\n" + ",".join(row(1)) + "\r\n"
    path.write_bytes(text.encode(encoding))
    message = refused(path)
    assert "UTF-16" in message and "BOM" in message


def test_a_binary_file_whose_first_line_looks_like_text_is_named_binary(tmp_path):
    path = tmp_path / "gambar.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64 + b"\x00" * 4096)
    assert "biner" in refused(path)


# --- out-of-scope NIK: the report does not tell that it exists elsewhere --------------------------


def test_a_nik_registered_in_another_district_is_refused_like_any_row_outside_the_scope(tmp_path, make_user):
    elsewhere = [nik(1, dt.date(1970, 3, 3)).replace("320101", "320201", 1), "3202010000000001", "Orang Sukabumi",
                 "3202012002", "1970-03-03", "L", "2026-01"]
    run(write_csv(tmp_path / "nasional.csv", [elsewhere]))  # the national (CLI) import
    manajer = make_user("manajer", "32.01")

    # File A: the Sukabumi NIK, now said to live in Bogor. File B: an unknown NIK in Sukabumi.
    moved_in = [elsewhere[0], "3201010000000009", "Orang Sukabumi", "3202012002", "1970-03-03", "L", "2026-04"]
    moved_in[3] = DESA
    unknown_outside = [nik(7, dt.date(1970, 3, 3)).replace("320101", "320201", 1), "3202010000000007", "Orang Baru",
                       "3202012002", "1970-03-03", "L", "2026-04"]
    job_a = run_import(create_import_job(path=write_csv(tmp_path / "a.csv", [row(1), moved_in]),
                                         original_name="a.csv", actor=manajer))
    job_b = run_import(create_import_job(path=write_csv(tmp_path / "b.csv", [row(1, kk_no=2), unknown_outside]),
                                         original_name="b.csv", actor=manajer))

    [(line_a, column_a, reason_a)] = row_errors(job_a)
    [(line_b, column_b, reason_b)] = row_errors(job_b)
    assert (line_a, column_a, reason_a) == (line_b, column_b, reason_b) == (3, "kode_wilayah", reason_a)
    assert "NIK" not in reason_a and "terdaftar" not in reason_a
    value_a = ImportRowError.objects.get(job=job_a).value
    value_b = ImportRowError.objects.get(job=job_b).value
    assert (value_a, value_b) == ("32.01.01.1001", "32.02.01.2002")  # each the row's own village, alike
    assert (job_a.rejected, job_a.warnings, job_b.rejected, job_b.warnings) == (1, 0, 1, 0)
    assert Person.objects.system().get(nik=elsewhere[0]).desa_code == "32.02.01.2002"


def test_a_kk_registered_in_another_district_gets_the_same_refusal(tmp_path, make_user):
    run(write_csv(tmp_path / "nasional.csv", [["3202010303700001", "3202010000000001", "Kepala Sukabumi",
                                               "3202012002", "1970-03-03", "L", "2026-01"]]))
    newcomer = [nik(5), "3202010000000001", "Anak Baru", DESA, "1980-01-15", "L", "2026-04"]
    job = run_import(create_import_job(path=write_csv(tmp_path / "kk.csv", [newcomer]), original_name="kk.csv",
                                       actor=make_user("manajer", "32.01")))
    [(_line, column, reason)] = row_errors(job)
    assert column == "kode_wilayah" and "kewenangan" in reason and "KK" not in reason


# --- imports at once: lock-file slots across processes ------------------------------------------

HOLDER = """
import os, sys
sys.path.insert(0, {base!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
import django
django.setup()
from slrt.registry.imports.slots import ImportsBusy, import_slot
try:
    with import_slot() as n:
        print("held", n, flush=True)
        sys.stdin.read()  # until the test closes our stdin
except ImportsBusy:
    print("busy", flush=True)
"""


@pytest.fixture
def holders(tmp_path, settings):
    """Start processes that each try to take an import slot at the same moment."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER.format(base=str(BASE_DIR)))
    env = dict(os.environ, SLRT_VAR_DIR=str(settings.VAR_DIR), SLRT_IMPORT_MAX_CONCURRENT="2")
    procs = []

    def start(n: int) -> list[str]:
        started = [subprocess.Popen([sys.executable, str(script)], env=env, cwd=BASE_DIR, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True) for _ in range(n)]
        procs.extend(started)
        return [p.stdout.readline().split()[0] for p in started]

    yield start
    for p in procs:
        p.stdin.close()
        p.wait(timeout=30)


@override_settings(SLRT_IMPORT_MAX_CONCURRENT=2)
def test_three_processes_racing_for_two_slots_get_two_slots_and_one_refusal(holders):
    assert sorted(holders(3)) == ["busy", "held", "held"]


@override_settings(SLRT_IMPORT_MAX_CONCURRENT=2)
def test_an_import_while_the_slots_are_held_is_refused_and_runs_once_one_is_free(holders, tmp_path):
    assert holders(2) == ["held", "held"]
    path = write_csv(tmp_path / "f.csv", [row(1)])
    job = create_import_job(path=path, original_name="f.csv")
    with pytest.raises(ImportJobError, match="Coba lagi"):
        run_import(job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "Coba lagi" in job.message
    assert not Person.objects.system().exists()


@override_settings(SLRT_IMPORT_MAX_CONCURRENT=1)
def test_a_slot_is_freed_when_its_process_ends(tmp_path, settings):
    script = tmp_path / "holder.py"
    script.write_text(HOLDER.format(base=str(BASE_DIR)))
    env = dict(os.environ, SLRT_VAR_DIR=str(settings.VAR_DIR), SLRT_IMPORT_MAX_CONCURRENT="1")
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=BASE_DIR, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("held")
    path = write_csv(tmp_path / "f.csv", [row(1)])
    with pytest.raises(ImportJobError):
        run(path)
    proc.kill()  # SIGKILL: no clean-up code runs, the kernel drops the lock
    proc.wait(timeout=30)
    assert run(path).created == 1


# --- the upload page ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("admin", "00")
    client.force_login(admin)
    return client


def _upload(client, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("registry:imports"), {"file": upload, "source": "DTSEN", "period": ""})


def _uploads(settings) -> list:
    folder = Path(settings.MEDIA_ROOT) / "imports" / "uploads"  # the shared storage (slrt.conf.storage)
    return list(folder.iterdir()) if folder.exists() else []


def test_the_upload_page_states_the_limits(admin_client):
    page = admin_client.get(reverse("registry:imports")).content.decode()
    assert "paling besar 256 MB" in page and "1.048.576 baris" in page and "bersamaan" in page


@override_settings(SLRT_IMPORT_MAX_BYTES=200 * 1024)
def test_an_upload_over_the_limit_is_refused_before_it_is_stored(admin_client, settings, tmp_path):
    content = write_csv(tmp_path / "f.csv", [row(i) for i in range(1, 5000)]).read_bytes()
    assert len(content) > 300 * 1024  # past the limit and the multipart allowance: refused by its length
    response = _upload(admin_client, "f.csv", content)
    assert response.status_code == 413 and "Berkas terlalu besar" in response.content.decode()
    assert not ImportJob.objects.exists() and _uploads(settings) == []


@override_settings(SLRT_IMPORT_MAX_BYTES=200 * 1024)
def test_an_upload_just_over_the_limit_is_stopped_while_it_arrives(admin_client, settings, tmp_path):
    content = write_csv(tmp_path / "f.csv", [row(i) for i in range(1, 5000)]).read_bytes()[: 230 * 1024]
    response = _upload(admin_client, "f.csv", content)  # within the multipart allowance: counted
    assert response.status_code == 413 and "Berkas terlalu besar" in response.content.decode()
    assert not ImportJob.objects.exists() and _uploads(settings) == []


@override_settings(SLRT_IMPORT_MAX_CONCURRENT=2)
def test_an_upload_while_the_server_is_full_says_try_again_later(admin_client, holders, settings, tmp_path):
    assert holders(2) == ["held", "held"]
    response = _upload(admin_client, "f.csv", write_csv(tmp_path / "f.csv", [row(1)]).read_bytes())
    assert response.status_code == 503 and response["Retry-After"]
    assert "Coba lagi" in response.content.decode()
    assert not ImportJob.objects.exists() and _uploads(settings) == []
