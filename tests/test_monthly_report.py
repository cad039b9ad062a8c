"""The monthly report (laporan bulanan, issue 13 point 2): the command of SPEC, the stored and
frozen reports, their versions, the scheduled job, the e-mail to the Manajer, the pages' scope
and the formula neutralising of the workbook.

Every figure checked here is counted from the rows the test created, never by calling the
selector that made the report."""

import datetime as dt
import hashlib
import io
import itertools

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from slrt.audit.models import AuditEvent
from slrt.cases.models import Case
from slrt.notifications.models import JobRun, Notification
from slrt.notifications.sending import process_outbox
from slrt.notifications.tasks import run_job
from slrt.reports.models import MonthlyReport, ReportStatus
from slrt.reports.monthly import services
from slrt.reports.period import month_period
from slrt.wilayah.models import Puskesos, Region, Secretariat
from slrt.wilayah.timezones import WIB

pytestmark = pytest.mark.django_db

KAB, OTHER_KAB = "32.01", "32.02"
DESA, OTHER_DESA, OTHER_KAB_DESA = "32.01.02.2001", "32.01.03.2001", "32.02.02.2001"
MONTH = "2026-10"
_seq = itertools.count(1)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def make_case(desa=DESA, created=None, in_registry=True, channel="sekretariat", secretariat=None):
    created = created or at(2026, 10, 15, 10)
    n = next(_seq)
    case = Case(ticket=f"SLRT-{desa[:5].replace('.', '')}-2026-{n:06d}", status_code_hash="x",
                applicant_name="Siti Aminah", applicant_nik="3201024403850001", complaint_type="pengaduan",
                channel=channel, consent_given=True, consent_share_agencies=True, in_registry=in_registry,
                secretariat=secretariat)
    case.set_region(desa)
    case.save()
    Case.unscoped.filter(pk=case.pk).update(created_at=created)  # auto_now_add: set the day afterwards
    return case


def make_agency(code, name):
    from slrt.programs.models import Agency

    return Agency.objects.create(code=code, name=name, kind="rsud", region_id=KAB)


def make_referral(agency, sent, status="terkirim", reason="", desa=DESA):
    from slrt.cases.models import Need
    from slrt.referrals.models import Referral

    case = make_case(desa, sent)
    need = Need.objects.create(case=case, sector="kesehatan", description="Biaya rawat inap")
    referral = Referral(number=f"RJK-{next(_seq):06d}", case=case, need=need, agency=agency, status=status,
                        reason=reason, sent_at=sent, due_at=sent + dt.timedelta(days=7))
    referral.set_region(desa)
    referral.save()
    return referral


@pytest.fixture
def october():
    """Cases of KAB in October (one at 23:30 WIB on the last day, one not in the registry) and
    cases that must not count: a day before, a minute after, and another kab/kota's."""
    inside = [make_case(), make_case(DESA, at(2026, 10, 31, 23, 30)), make_case(OTHER_DESA, at(2026, 10, 1, 0, 5),
                                                                               in_registry=False)]
    make_case(DESA, at(2026, 9, 30, 23, 59))
    make_case(DESA, at(2026, 11, 1, 0, 1))
    make_case(OTHER_KAB_DESA, at(2026, 10, 10, 9))
    return inside


def figure_rows(ws) -> dict:
    """{label: value} of a section sheet's summary block (columns A and B)."""
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and isinstance(row[0], str)}


def sheet_titled(wb, title):
    return next(ws for ws in wb.worksheets if ws["A1"].value == title)


def run_command(tmp_path, fmt, region=KAB, month=MONTH):
    out = tmp_path / f"laporan.{fmt}"
    call_command("monthly_report", "--region", region, "--month", month, "--format", fmt, "--out", str(out),
                 stdout=io.StringIO())
    return out


def generate_now(user, region=KAB, month=MONTH, capture=None) -> MonthlyReport:
    with capture(execute=True):  # the task is sent on commit and runs eagerly in tests
        report = services.request_report(user, region, month)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.message
    return report


# --- the command (SPEC) ---------------------------------------------------------------------------


def test_the_command_writes_an_xlsx_whose_figures_are_the_month_s_own_counts(tmp_path, october):
    out = run_command(tmp_path, "xlsx")
    wb = load_workbook(out)  # a valid workbook
    cover = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert cover["Wilayah"].startswith(Region.objects.get(code=KAB).name)
    assert (cover["Kode wilayah"], cover["Bulan"]) == (KAB, "Oktober 2026")
    intake = figure_rows(sheet_titled(wb, "Pengaduan masuk"))
    assert intake["Kasus baru"] == len(october) == 3
    assert intake["Warga belum terdaftar di registri yang dilayani"] == sum(not c.in_registry for c in october) == 1
    # Every section of the dashboard has its sheet, after the cover.
    assert len(wb.worksheets) == 1 + len(services.collect_sections(Region.objects.get(code=KAB),
                                                                   month_period(MONTH)))


def test_the_workbook_s_referral_table_holds_each_agency_s_referrals_sent_that_month(tmp_path):
    rsud, dinkes = make_agency("RSUD-X", "RSUD Uji"), make_agency("DINKES-X", "Dinas Kesehatan Uji")
    sent = [make_referral(rsud, at(2026, 10, 3, 9)), make_referral(rsud, at(2026, 10, 30, 9), status="selesai"),
            make_referral(dinkes, at(2026, 10, 12, 9), status="ditolak", reason="Bukan kewenangan kami")]
    make_referral(rsud, at(2026, 9, 29, 9))  # sent the month before: not October's
    make_referral(dinkes, at(2026, 10, 12, 9), desa=OTHER_KAB_DESA)  # another kab/kota's
    wb = load_workbook(run_command(tmp_path, "xlsx"))
    ws = sheet_titled(wb, "Rujukan per lembaga")
    rows = list(ws.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[:3] == ("Lembaga", "Dikirim", "Diterima")))
    table = {r[0]: dict(zip(rows[header], r, strict=True)) for r in rows[header + 1:header + 3]}
    for agency in (rsud, dinkes):
        mine = [r for r in sent if r.agency == agency]
        assert table[agency.name]["Dikirim"] == len(mine)
        assert table[agency.name]["Selesai"] == sum(r.status == "selesai" for r in mine)
        assert table[agency.name]["Ditolak"] == sum(r.status == "ditolak" for r in mine)
    assert figure_rows(ws)["Rujukan dikirim"] == len(sent)


def test_the_command_writes_a_pdf_naming_the_region_the_month_and_the_figures(tmp_path, october):
    out = run_command(tmp_path, "pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert Region.objects.get(code=KAB).name in text
    assert "Oktober 2026" in text and "Laporan Bulanan SLRT" in text and "Pengaduan masuk" in text
    assert "Kasus baru" in text


def test_a_desa_s_report_carries_its_puskesos_letterhead_and_counts_only_the_desa(tmp_path, october, desks):
    out = run_command(tmp_path, "pdf", region=DESA)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Puskesos Desa" in text and Region.objects.get(code=DESA).name in text
    wb = load_workbook(run_command(tmp_path, "xlsx", region=DESA))
    assert figure_rows(sheet_titled(wb, "Pengaduan masuk"))["Kasus baru"] == sum(c.desa_code == DESA for c in october)


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "99.99"], "Wilayah dengan kode 99.99 tidak ada"),
    (["--region", "32.01.02"], "bukan kecamatan"),
    (["--month", "2026-13"], "Bulan harus berformat YYYY-MM"),
    (["--month", "2999-01"], "belum dimulai"),
    (["--format", "docx"], "pilih xlsx atau pdf"),
])
def test_the_command_names_what_is_wrong_in_indonesian(tmp_path, args, message):
    given = {"--region": KAB, "--month": MONTH, "--format": "xlsx", "--out": str(tmp_path / "x.xlsx")}
    given.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError, match=message):
        call_command("monthly_report", *[v for pair in given.items() for v in pair], stdout=io.StringIO())
    assert not (tmp_path / "x.xlsx").exists()


def test_the_command_refuses_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="tidak ada; berkas tidak ditulis"):
        call_command("monthly_report", "--region", KAB, "--month", MONTH, "--format", "pdf",
                     "--out", str(tmp_path / "tidak-ada" / "x.pdf"), stdout=io.StringIO())


# --- stored, frozen, versioned ----------------------------------------------------------------------


def _sha(field) -> str:
    with field.open("rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def test_a_stored_report_keeps_its_figures_and_files_after_a_later_edit(
        make_user, october, django_capture_on_commit_callbacks, client):
    manajer = make_user("manajer", KAB)
    first = generate_now(manajer, capture=django_capture_on_commit_callbacks)
    assert first.generated_by == manajer and first.version == 1 and not first.automatic
    assert first.xlsx.name.startswith(f"reports/monthly/{KAB}/{MONTH}/") and first.pdf.name.endswith(".pdf")
    stored = next(s for s in first.figures if s["key"] == "intake")
    assert next(f["value"] for f in stored["figures"] if f["key"] == "total") == 3
    xlsx_sha, pdf_sha = _sha(first.xlsx), _sha(first.pdf)

    # A later edit: another October case is recorded (back-dated), one case moves to another kab.
    make_case(DESA, at(2026, 10, 20, 8))
    october[0].set_region(OTHER_KAB_DESA)
    october[0].save()

    first.refresh_from_db()
    assert next(f["value"] for f in next(s for s in first.figures if s["key"] == "intake")["figures"]
                if f["key"] == "total") == 3
    assert (_sha(first.xlsx), _sha(first.pdf)) == (xlsx_sha, pdf_sha)
    client.force_login(manajer)
    page = client.get(reverse("monthly_reports:detail", args=[first.pk])).content.decode()
    assert 'data-figure="total"><dt>Kasus baru</dt><dd>3</dd>' in page

    # Asked again: a new version with today's figures; the first is still listed and downloadable.
    second = generate_now(manajer, capture=django_capture_on_commit_callbacks)
    assert second.version == 2
    wb = load_workbook(second.xlsx.open("rb"))
    assert figure_rows(sheet_titled(wb, "Pengaduan masuk"))["Kasus baru"] == 3 - 1 + 1
    assert figure_rows(sheet_titled(load_workbook(first.xlsx.open("rb")), "Pengaduan masuk"))["Kasus baru"] == 3
    listing = client.get(reverse("monthly_reports:list"), {"wilayah": KAB}).content.decode()
    assert f'data-report="{first.pk}"' in listing and f'data-report="{second.pk}"' in listing
    assert "Oktober 2026</a>" in listing and f">{MONTH}<" not in listing  # the month in words
    assert client.get(reverse("monthly_reports:download", args=[first.pk, "xlsx"])).status_code == 200


def test_the_page_queues_a_report_and_shows_its_status_until_it_is_done(
        make_user, client, django_capture_on_commit_callbacks):
    manajer = make_user("manajer", KAB)
    client.force_login(manajer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(reverse("monthly_reports:request"), {"region": KAB, "month": MONTH})
    report = MonthlyReport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("monthly_reports:detail", args=[report.pk])
    assert report.status == ReportStatus.QUEUED and len(queued) == 1
    status = client.get(reverse("monthly_reports:status", args=[report.pk]))
    assert 'data-status="queued"' in status.content.decode() and "hx-get" in status.content.decode()
    assert client.get(reverse("monthly_reports:download", args=[report.pk, "pdf"])).status_code == 404
    queued[0]()  # the worker takes it
    status = client.get(reverse("monthly_reports:status", args=[report.pk]))
    assert 'data-status="done"' in status.content.decode() and status["HX-Refresh"] == "true"
    assert AuditEvent.objects.filter(action="monthly_report.request", actor=manajer, object_id=str(report.pk)).exists()


def test_a_bad_month_on_the_page_is_named_and_nothing_is_queued(make_user, client):
    client.force_login(make_user("manajer", KAB))
    answer = client.post(reverse("monthly_reports:request"), {"region": KAB, "month": "Oktober"})
    assert answer.status_code == 400 and "Bulan harus berformat YYYY-MM" in answer.content.decode()
    assert not MonthlyReport.objects.exists()


# --- the scheduled job --------------------------------------------------------------------------------


@pytest.fixture
def desks():
    kab = Secretariat.objects.create(region_id=KAB, name="Sekretariat SLRT Kabupaten", address="Jl. Raya 1")
    Puskesos.objects.create(region_id=DESA, secretariat=kab, name="Puskesos Desa")
    Secretariat.objects.create(region_id=OTHER_KAB, name="Sekretariat SLRT Lain")
    return kab


def test_the_month_due_is_the_previous_one_in_each_region_s_own_day():
    # 1 Dec 00:30 WIB is still 30 Nov in UTC: the job already owes November's report.
    assert services.previous_month(KAB, at(2026, 12, 1, 0, 30)) == "2026-11"
    assert services.previous_month(KAB, at(2026, 11, 30, 23, 59)) == "2026-10"
    assert services.previous_month("91.01", at(2026, 11, 30, 22, 30)) == "2026-11"  # 00:30 WIT on 1 Dec


def test_the_job_makes_last_month_s_report_once_however_often_and_whichever_day_it_runs(
        desks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # Two schedulers send the same period; another period (a later hour) runs the job again.
        for period in ("2026-12-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00", "2026-12-01T01:00:00+00:00"):
            run_job.apply(args=(services_job(),), kwargs={"period": period}, throw=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_scheduled(at(2026, 12, 17, 9)) == 0  # any later day of the month: nothing due
    assert JobRun.objects.filter(job=services_job()).count() == 2
    made = sorted(MonthlyReport.objects.values_list("region_id", "month", "automatic", "status", "generated_by"))
    assert made == [(code, services.previous_month(code), True, "done", None)
                    for code in sorted([KAB, OTHER_KAB, DESA])]

    # The scheduler was down on 1 January: the run of 17 January still makes December's, once.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_scheduled(at(2027, 1, 17, 9)) == 3
        assert services.run_scheduled(at(2027, 1, 18, 9)) == 0
    assert MonthlyReport.objects.filter(month="2026-12", automatic=True).count() == 3
    assert not MonthlyReport.objects.filter(region_id="32.03").exists()  # no secretariat, no report

    # A Puskesos post closed in January gets no more reports; its December report stays.
    Puskesos.objects.filter(region_id=DESA).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_scheduled(at(2027, 2, 1, 9)) == 2
    assert sorted(MonthlyReport.objects.filter(month="2027-01").values_list("region_id", flat=True)) == [
        KAB, OTHER_KAB]
    assert MonthlyReport.objects.filter(region_id=DESA, month="2026-12").exists()


def services_job() -> str:
    from slrt.reports.monthly.jobs import JOB

    return JOB


def test_an_automatic_report_that_failed_is_tried_again_by_a_later_run(desks, django_capture_on_commit_callbacks,
                                                                      monkeypatch):
    def broken(region, period):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "collect_sections", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_scheduled(at(2026, 12, 1, 1))
    failed = MonthlyReport.objects.get(region_id=KAB)
    assert failed.status == ReportStatus.FAILED and "gagal" in failed.message and not failed.xlsx
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.run_scheduled(at(2026, 12, 1, 2))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.version) == (ReportStatus.DONE, 2, 1)


def test_an_automatic_report_left_running_by_a_lost_worker_is_made_by_a_later_run(
        desks, django_capture_on_commit_callbacks):
    from django.utils import timezone

    lost = MonthlyReport.objects.create(region_id=KAB, month="2026-11", automatic=True, status=ReportStatus.RUNNING,
                                        attempts=1)
    MonthlyReport.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - dt.timedelta(hours=2))
    fresh = MonthlyReport.objects.create(region_id=OTHER_KAB, month="2026-11", automatic=True)  # still in the queue
    with django_capture_on_commit_callbacks(execute=True):
        services.run_scheduled(at(2026, 12, 1, 3))
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.attempts, lost.version) == (ReportStatus.DONE, 2, 1) and lost.xlsx
    assert fresh.status == ReportStatus.QUEUED  # a report queued a moment ago is not sent twice
    assert MonthlyReport.objects.filter(region_id=KAB, month="2026-11").count() == 1


def test_the_manajer_gets_a_link_when_the_automatic_report_is_ready_and_only_once(
        desks, make_user, october, django_capture_on_commit_callbacks, settings):
    settings.SLRT_PUBLIC_URL = "https://slrt.example.go.id"
    manajer = make_user("manajer", KAB)
    manajer.email = "manajer@dinsos.example.go.id"
    manajer.save()
    other = make_user("manajer", OTHER_KAB)
    other.email = "lain@dinsos.example.go.id"
    other.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.run_scheduled(at(2026, 11, 2, 9))  # October's reports
        services.run_scheduled(at(2026, 11, 3, 9))
    report = MonthlyReport.objects.get(region_id=KAB, month=MONTH)
    rows = Notification.objects.filter(event="monthly_report.ready", recipient=manajer.email)
    assert rows.count() == 1
    row = rows.get()
    assert f"https://slrt.example.go.id/laporan/{report.pk}/" in row.body and "Oktober 2026" in row.subject
    assert (row.kab_code, row.object_id) == (KAB, str(report.pk))
    assert "Siti" not in row.body and "3201024403850001" not in row.body
    # The other kab's Manajer hears of their own report only; the desa's report mails nobody.
    assert list(Notification.objects.filter(recipient=other.email).values_list("object_id", flat=True)) == [
        str(MonthlyReport.objects.get(region_id=OTHER_KAB).pk)]
    assert Notification.objects.filter(event="monthly_report.ready").count() == 2
    process_outbox()
    sent = [m for m in mail.outbox if manajer.email in m.to]
    assert len(sent) == 1 and not sent[0].attachments


# --- scope -------------------------------------------------------------------------------------------


@pytest.fixture
def stored(make_user, django_capture_on_commit_callbacks):
    admin = make_user("admin", "00")
    return {code: generate_now(admin, code, capture=django_capture_on_commit_callbacks)
            for code in (KAB, DESA, OTHER_KAB, "32", "00")}


SEES = {
    ("manajer", KAB): {KAB, DESA},
    ("manajer", OTHER_KAB): {OTHER_KAB},
    ("koordinator_puskesos", DESA): {DESA},
    ("dinsos", "32"): {KAB, DESA, OTHER_KAB, "32"},
    ("dinsos", "00"): {KAB, DESA, OTHER_KAB, "32", "00"},
    ("admin", "00"): {KAB, DESA, OTHER_KAB, "32", "00"},
}


@pytest.mark.parametrize(("role", "region"), list(SEES))
def test_each_role_lists_and_downloads_the_reports_of_its_scope_and_nothing_else(
        role, region, stored, make_user, client):
    user = make_user(role, region)
    client.force_login(user)
    for code, report in stored.items():
        visible = code in SEES[(role, region)]
        expected = 200 if visible else 404
        listing = client.get(reverse("monthly_reports:list"), {"wilayah": code})
        assert listing.status_code == expected, (code, "list")
        if visible:
            assert f'data-report="{report.pk}"' in listing.content.decode()
        assert client.get(reverse("monthly_reports:detail", args=[report.pk])).status_code == expected, code
        for fmt in ("xlsx", "pdf"):
            answer = client.get(reverse("monthly_reports:download", args=[report.pk, fmt]))
            assert answer.status_code == expected, (code, fmt)
            if visible:
                assert answer["Cache-Control"] == "no-store, private"
                assert b"".join(answer.streaming_content)[:4] in (b"PK\x03\x04", b"%PDF")
    downloads = AuditEvent.objects.filter(action="monthly_report.download", actor=user)
    assert sorted(set(downloads.values_list("object_id", flat=True))) == sorted(
        str(stored[c].pk) for c in SEES[(role, region)])


def test_the_own_page_lists_only_the_regions_below_in_scope(stored, make_user, client):
    client.force_login(make_user("manajer", KAB))
    page = client.get(reverse("monthly_reports:list")).content.decode()  # the Manajer's own kab/kota
    assert f'href="?wilayah={DESA}"' in page and OTHER_KAB not in page
    client.force_login(make_user("dinsos", "32"))  # a province: its kab/kota, whose pages list their desa
    page = client.get(reverse("monthly_reports:list")).content.decode()
    assert f'href="?wilayah={KAB}"' in page and f'href="?wilayah={OTHER_KAB}"' in page and DESA not in page


@pytest.mark.parametrize(("role", "region", "target", "status"), [
    ("manajer", KAB, KAB, 302),
    ("manajer", KAB, OTHER_KAB, 404),  # outside the scope: as if it did not exist
    ("manajer", KAB, DESA, 403),  # in scope, but a Manajer asks for the kab/kota's own report
    ("koordinator_puskesos", DESA, DESA, 302),
    ("koordinator_puskesos", DESA, KAB, 404),
    ("dinsos", "32", "32", 302),
    ("dinsos", "32", KAB, 403),  # Dinas Sosial makes the roll-ups
    ("dinsos", "00", "00", 302),
    ("admin", "00", DESA, 302),
    ("front_office", KAB, KAB, 403),  # no monthly reports for the front office
])
def test_who_may_ask_for_a_report_of_which_region(role, region, target, status, make_user, client):
    client.force_login(make_user(role, region))
    answer = client.post(reverse("monthly_reports:request"), {"region": target, "month": MONTH})
    assert answer.status_code == status
    assert MonthlyReport.objects.filter(region_id=target).exists() == (status == 302)


def test_a_roll_up_counts_the_cases_of_every_kab_below(make_user, october, django_capture_on_commit_callbacks):
    report = generate_now(make_user("dinsos", "32"), "32", capture=django_capture_on_commit_callbacks)
    intake = next(s for s in report.figures if s["key"] == "intake")
    # KAB's three October cases and OTHER_KAB's one.
    assert next(f["value"] for f in intake["figures"] if f["key"] == "total") == 4


# --- hostile values ------------------------------------------------------------------------------------


HOSTILE = '=HYPERLINK("http://evil.example","klik")'


def test_hostile_names_show_as_typed_and_never_run(tmp_path, desks):
    Region.objects.filter(code=KAB).update(name=HOSTILE)
    Secretariat.objects.filter(pk=desks.pk).update(name="@SUM(1+1)*cmd|' /C calc'!A0")
    make_case(DESA, secretariat=desks)
    make_referral(make_agency("EVIL", "=1+2"), at(2026, 10, 9, 9), status="ditolak", reason="-2+3+cmd|' /C calc'!A0")
    out = run_command(tmp_path, "xlsx")
    wb = load_workbook(out)
    texts = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert texts and all(c.data_type == "s" for c in texts)  # no formula cell anywhere
    values = {c.value for c in texts}
    assert any(v.startswith("'" + HOSTILE) for v in values)  # the cover's region name
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in values  # the desk row of the intake table
    assert {"'=1+2", "'-2+3+cmd|' /C calc'!A0"} <= values  # the agency's name, the rejection's reason
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)


def test_the_stored_files_are_in_the_storage_the_backup_archives(make_user, django_capture_on_commit_callbacks):
    from slrt.core.backup import file_columns, stored_names

    report = generate_now(make_user("manajer", KAB), capture=django_capture_on_commit_callbacks)
    assert {("reports_monthlyreport", "xlsx"), ("reports_monthlyreport", "pdf")} <= set(file_columns())
    assert {report.xlsx.name, report.pdf.name} <= set(stored_names())
