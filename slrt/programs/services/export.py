"""Excel export of a targeting run: a summary sheet and one sheet per kind of error.

openpyxl's write-only workbook keeps memory flat however many rows there are; the file is
written to a temporary file and streamed from there.
"""

import tempfile

from django.utils.translation import gettext as _
from openpyxl import Workbook

from slrt.audit.services import record
from slrt.core.sheets import xlsx_row

from ..models import TargetingError
from ..selectors.targeting import error_rows, run_programs


def export_run(user, run) -> tempfile.SpooledTemporaryFile:
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("Ringkasan"))
    summary.append(xlsx_row(summary, [_("Wilayah"), f"{run.region.code} {run.region.name}"]))
    summary.append(xlsx_row(summary, [_("Tanggal acuan"), run.summary.get("ref_date", "")]))
    summary.append(xlsx_row(summary, [_("Jumlah keluarga"), run.households]))
    summary.append([])
    summary.append(
        xlsx_row(
            summary,
            [
                _("Kode"),
                _("Program"),
                _("Versi aturan"),
                _("Layak"),
                _("Menerima"),
                _("Layak tetapi tidak menerima"),
                _("Menerima tetapi tidak layak"),
            ],
        )
    )
    for row in run_programs(run):
        summary.append(
            xlsx_row(
                summary,
                [
                    row["code"],
                    row["program"].name if row["program"] else row["code"],
                    row["rule_version"],
                    row["eligible"],
                    row["receiving"],
                    row["exclusion"],
                    row["inclusion"],
                ],
            )
        )
    count = 0
    for kind, title in (
        (TargetingError.Kind.EXCLUSION, _("Layak tidak menerima")),
        (TargetingError.Kind.INCLUSION, _("Menerima tidak layak")),
    ):
        sheet = wb.create_sheet(title)
        sheet.append(
            xlsx_row(
                sheet, [_("Kode program"), _("Program"), _("Kode desa"), _("ID keluarga"), _("Nomor KK"), _("Desil")]
            )
        )
        for e in error_rows(user, run, kind=kind):
            sheet.append(
                xlsx_row(
                    sheet,
                    [e["program"], e["program_name"], e["desa_code"], e["household_id"], e["nomor_kk"], e["desil"]],
                )
            )
            count += 1
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    wb.save(out)
    out.seek(0)
    record(user, "targeting.export", run, region_code=run.region_id, detail={"rows": count})
    return out
