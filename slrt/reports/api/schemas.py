"""Shapes of the report API: SPEC's `GET /api/v1/reports/summary`, codes only (sector, complaint
type, channel and agency codes as in SPEC; names are the pages' business)."""

import datetime as dt

from ninja import Field, Schema


class ReportCaseCountsOut(Schema):
    total: int = Field(description="Kasus yang dibuat pada periode (hari provinsi kasus)")
    closed: int = Field(description="Dari kasus itu, yang sudah selesai")
    by_sector: dict[str, int] = Field(
        description="Kasus per sektor kebutuhannya (setiap kode sektor); kasus dengan kebutuhan di dua sektor "
        "terhitung sekali di masing-masing sektor dan sekali di total"
    )
    by_type: dict[str, int] = Field(description="Kasus per jenis keluhan: pertanyaan, saran, pengaduan")
    by_channel: dict[str, int] = Field(description="Kasus per saluran datangnya keluhan")


class ReportAgencyCountsOut(Schema):
    agency: str = Field(description="Kode lembaga penerima rujukan")
    name: str = Field("", description="Nama lembaga")
    sent: int = Field(description="Rujukan yang dikirim pada periode (hari provinsi rujukan)")
    accepted: int = Field(description="Dari rujukan itu, yang pernah diterima lembaga")
    rejected: int = Field(description="... yang ditolak lembaga")
    done: int = Field(description="... yang selesai dilayani")
    done_on_time: int = Field(description="... yang selesai dalam batas waktu layanan (SLA, dihitung sejak dikirim)")


class ReportReferralCountsOut(Schema):
    by_agency: list[ReportAgencyCountsOut]


class ReportSummaryOut(Schema):
    region: str = Field(description="Kode wilayah (Kemendagri, bertitik), di dalam wilayah tugas pemanggil")
    from_: dt.date = Field(alias="from", description="Hari pertama periode (YYYY-MM-DD)")
    to: dt.date = Field(description="Hari terakhir periode, termasuk (YYYY-MM-DD)")
    cases: ReportCaseCountsOut
    referrals: ReportReferralCountsOut
