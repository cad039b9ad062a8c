"""The monthly proposal file of a kabupaten/kota, in two forms.

* The registry exchange format of SPEC (CSV and XLSX): one row per person, every row a complete
  record (the registry's current values overlaid with the proposed ones), so that the registry
  owner's importer, and ours (`import_registry`), read it like any release; three extra columns
  say what is proposed (`jenis_usulan`, `id_usulan`, `alasan`).
* An SIKS-NG-style proposal sheet (XLSX) for the people who read it: one row per proposal,
  written through slrt.core.sheets so that formula-like text cannot run.
  It is ONE sheet with a "Jenis Usulan" column rather than a sheet per kind, because the
  operators work through the file in order, cite a proposal by its row number (No) and check the
  total in the title block against the row count; the per-kind counts are in the title block.
"""

import csv
import io

from django.utils.translation import gettext as _

from slrt.core import sheets
from slrt.registry.models import Person
from slrt.wilayah.models import Region

from .models import ProposalKind, ProposalStatus
from .rows import ROW_COLUMNS, household_row, person_row

EXTRA_COLUMNS = ("jenis_usulan", "id_usulan", "alasan")
EXCHANGE_COLUMNS = ROW_COLUMNS + EXTRA_COLUMNS
SIKS_COLUMNS = ("No", "ID Usulan", "Jenis Usulan", "NIK", "No KK", "Nama", "Desa/Kelurahan", "Kecamatan", "Alasan",
                "Tanggal Musdes", "Status")


def proposal_code(proposal) -> str:
    return f"USL-{proposal.pk:07d}"


def _reason(p) -> str:
    if p.kind == ProposalKind.REMOVAL and p.removal_reason:
        return f"{p.removal_reason}: {p.reason}" if p.reason else p.removal_reason
    return p.reason


def _heads(household_ids) -> dict:
    """household id -> its head (or first active member), for household-level rows."""
    out = {}
    for m in (Person.objects.system().select_related("household").filter(household_id__in=household_ids,
                                                                          is_active=True).order_by("pk")):
        is_head = "kepala" in (m.hubungan_keluarga or "").lower()
        if m.household_id not in out or (is_head and "kepala" not in
                                         (out[m.household_id].hubungan_keluarga or "").lower()):
            out[m.household_id] = m
    return out


def _proposals(batch):
    return (batch.proposals.model.objects.system().filter(batch=batch)
            .select_related("person__household", "household").order_by("pk"))


def proposal_rows(p, heads=None) -> list[dict]:
    """The exchange rows of one proposal (complete records; values as proposals hold them)."""
    heads = heads if heads is not None else _heads([p.household_id] if p.household_id else [])
    data = p.data or {}
    if p.kind == ProposalKind.NEW_HOUSEHOLD:
        head = {k: v for k, v in data.items() if k != "anggota"}
        shared = {k: head.get(k, "") for k in ("nomor_kk", "kode_wilayah", "alamat", "dusun", "rt", "rw", "desil")}
        rows = [head] + [{**shared, **m} for m in data.get("anggota", [])]
    elif p.kind == ProposalKind.ADD_MEMBER:
        base = household_row(p.household) if p.household_id else {}
        rows = [{**base, **data}]
    elif p.kind in (ProposalKind.CHANGE, ProposalKind.REMOVAL) and p.person_id:
        rows = [{**person_row(p.person), **data}]
    else:  # a household-level change or desil review: the head's record carries the household columns
        head = heads.get(p.household_id)
        current = person_row(head) if head is not None else household_row(p.household) if p.household_id else {}
        rows = [{**current, **data}]
    extra = {"jenis_usulan": p.kind, "id_usulan": proposal_code(p), "alasan": _reason(p)}
    return [{c: _cell(row.get(c)) for c in ROW_COLUMNS} | extra for row in rows]


def _cell(value) -> str:
    return "" if value is None else str(value)


def exchange_rows(batch):
    """Every exchange row of a batch, in proposal order."""
    proposals = list(_proposals(batch))
    heads = _heads({p.household_id for p in proposals if p.household_id and not p.person_id})
    for p in proposals:
        yield from proposal_rows(p, heads)


def count_rows(batch) -> int:
    return sum(1 for _row in exchange_rows(batch))


def exchange_csv(batch) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXCHANGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in exchange_rows(batch):
        writer.writerow(row)
    return buf.getvalue().encode("utf-8")


def _xlsx_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _as_text(cell):
    """openpyxl stores a string starting with "=" as a formula. The exchange file keeps values
    exact (no quote prefix: the registry owner's importer and ours read them back), so a cell is
    only kept a string; formula-like text is refused where it enters (slrt.core.sheets)."""
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def exchange_xlsx(batch) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("usulan")
    ws.append(list(EXCHANGE_COLUMNS))
    for row in exchange_rows(batch):
        # Text cells throughout: a NIK or KK as a number would lose digits.
        ws.append([_as_text(WriteOnlyCell(ws, value=row[c])) for c in EXCHANGE_COLUMNS])
    return _xlsx_bytes(wb)


def siks_rows(batch) -> list[list]:
    proposals = list(_proposals(batch).select_related("meeting"))
    codes = set()
    for p in proposals:
        codes.update({p.desa_code, p.kec_code})
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    status = dict(ProposalStatus.choices)
    kinds = dict(ProposalKind.choices)
    rows = []
    for i, p in enumerate(proposals, start=1):
        data = p.data or {}
        nik, kk, nama = data.get("nik", ""), data.get("nomor_kk", ""), data.get("nama", "")
        if p.person_id:
            nik, kk, nama = p.person.nik, data.get("nomor_kk") or p.person.household.nomor_kk, nama or p.person.nama
        elif p.household_id:
            kk = kk or p.household.nomor_kk
        rows.append([
            i, proposal_code(p), str(kinds.get(p.kind, p.kind)), nik, kk, nama,
            names.get(p.desa_code, p.desa_code), names.get(p.kec_code, p.kec_code), _reason(p),
            p.meeting.held_on.isoformat() if p.meeting_id else "", str(status.get(p.status, p.status)),
        ])
    return rows


def siks_xlsx(batch) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Usulan"
    rows = siks_rows(batch)
    kab = Region.objects.filter(code=batch.region_id).values_list("name", flat=True).first() or batch.region_id
    ws.append([_("USULAN PEMUTAKHIRAN DATA KESEJAHTERAAN SOSIAL")])
    ws["A1"].font = Font(bold=True, size=13)
    sheets.append_row(ws, [_("Kabupaten/Kota"), kab])
    sheets.append_row(ws, [_("Periode"), batch.period])
    ws.append([_("Jumlah usulan"), len(rows)])
    counts = {}
    for r in rows:
        counts[r[2]] = counts.get(r[2], 0) + 1
    sheets.append_row(ws, [_("Per jenis"), "; ".join(f"{k}: {v}" for k, v in sorted(counts.items()))])
    ws.append([])
    ws.append(list(SIKS_COLUMNS))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    header_row = ws.max_row
    for r in rows:
        sheets.append_row(ws, r)  # a sheet for people: formula-like text neutralised
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for col, width in zip("ABCDEFGHIJK", (5, 14, 22, 19, 19, 28, 22, 22, 40, 14, 22), strict=True):
        ws.column_dimensions[col].width = width
    return _xlsx_bytes(wb)


SIKS_HEADER_ROW = 7
