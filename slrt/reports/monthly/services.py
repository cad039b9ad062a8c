"""Write side of the monthly reports: asking for one, generating it on the task queue, the
scheduled job that makes last month's reports, and the e-mail to the Manajer.

Whose figures: a report is the figures *of its region* (every record of it), whoever asked, so
two people in scope asking for the same month see the same numbers. They are computed by a
system reader (`system_reader`: an unsaved Admin account scoped to the region, so every figure
still goes through `for_user` and can never reach outside the region); who asked is recorded
(`generated_by`, the audit log).

Versions (models.py): the scheduler makes version 1 once per region and month; every request on
demand adds a version; no version is ever rewritten after it is done.
"""

import datetime as dt
import importlib
import json
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from slrt.accounts.models import User
from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.notifications.models import ChannelKind
from slrt.notifications.services import enqueue
from slrt.wilayah.desks import letterhead_of
from slrt.wilayah.models import NATION_CODE, Level, Puskesos, Region, Secretariat, level_of, normalize_code
from slrt.wilayah.names import region_label
from slrt.wilayah.timezones import zone_of

from ..figures import SECTIONS, Scope, section_function
from ..models import MonthlyReport, ReportStatus
from ..period import Period, month_period
from .document import ReportHeader
from .render_pdf import render_pdf
from .render_xlsx import render_xlsx

logger = logging.getLogger("slrt.reports")

FORMATS = ("xlsx", "pdf")
EARLIEST_MONTH = "2000-01"
MAX_ATTEMPTS = 3  # of an automatic report; after that it waits for a person to regenerate it
STALE_AFTER = dt.timedelta(hours=1)  # a queued/running report this old lost its worker
EVENT = "monthly_report.ready"


# --- the figures ---------------------------------------------------------------------------------


def system_reader(region: Region) -> User:
    """Reads every record of `region` and nothing outside it; never saved, never signs in."""
    return User(username="sistem-laporan-bulanan", role=Role.ADMIN, region_id=region.code, is_active=True)


def _plain(value):
    """JSON as stored: Decimal as a number, dates as ISO text, lazy strings as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def collect_sections(region: Region, period: Period) -> list[dict]:
    """Every section of `figures.SECTIONS`, in order, for the region and month, as plain JSON.

    A section whose module does not exist (yet) is left out; any other error is the report's."""
    scope = Scope(user=system_reader(region), region=region, period=period)
    with translation.override(settings.LANGUAGE_CODE):  # a document in Indonesian, whoever asked
        sections = _sections(scope)
    return json.loads(json.dumps(sections))


def _sections(scope: Scope) -> list[dict]:
    sections = []
    for key, target in SECTIONS:
        module = target.split(":")[0]
        try:
            fn = section_function(key)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        sections.append(_plain(fn(scope)))
    return sections


# --- what the documents print ----------------------------------------------------------------------


def region_name(region: Region) -> str:
    if region.code == NATION_CODE:
        return _("Nasional (Indonesia)")
    return region_label(region.code) or region.name


def month_label(month: str) -> str:
    with translation.override("id"):
        return formats.date_format(month_period(month).start, "F Y")


def moment_label(moment: dt.datetime, region_code: str) -> str:
    local = timezone.localtime(moment, zone_of(region_code))
    with translation.override("id"):
        return f"{formats.date_format(local, 'j F Y H.i')} {local.tzname()}"


def _desk(region: Region):
    """The desk whose letterhead a region's report carries: the kab/kota's secretariat, the
    desa's Puskesos post, none above the kab/kota."""
    level = level_of(region.code)
    if level == Level.KABUPATEN:
        return Secretariat.objects.filter(region_id=region.code).first()
    if level == Level.DESA:
        return Puskesos.objects.filter(region_id=region.code).order_by("-active", "pk").first()
    return None


def office_of(region: Region) -> tuple[str, list[str], object]:
    """(office, letterhead lines, logo) of the report's letterhead."""
    code, level = region.code, level_of(region.code)
    if level == Level.NATION:
        office = _("Kementerian Sosial Republik Indonesia")
    else:
        owner = Region.objects.filter(code=code if level <= Level.KABUPATEN else code[:5]).first()
        office = _("Dinas Sosial %(region)s") % {"region": owner.name if owner else code}
        if owner and level == Level.PROVINSI:
            office = _("Dinas Sosial Provinsi %(region)s") % {"region": owner.name}
    head = letterhead_of(_desk(region))
    lines = [head.name if head else _("Sistem Layanan dan Rujukan Terpadu (SLRT)")]
    if head:
        contact = [_("Telp. %(phone)s") % {"phone": head.phone} if head.phone else "",
                   _("Email %(email)s") % {"email": head.email} if head.email else ""]
        lines += [head.address, " · ".join(c for c in contact if c)]
    return office, [line for line in lines if line], head.logo_path if head else ""


def header_for(region: Region, month: str, generated_at: dt.datetime, generated_by, version: int = 1,
               who: str = "") -> ReportHeader:
    office, lines, logo = office_of(region)
    if not who:
        who = (generated_by.get_full_name() or generated_by.username) if generated_by else _("Penjadwal otomatis")
    return ReportHeader(
        title=_("Laporan Bulanan SLRT"), region_name=region_name(region), region_code=region.code,
        month_label=month_label(month), generated_label=moment_label(generated_at, region.code),
        generated_by=who, version=version, office=office, office_lines=lines, logo=logo,
    )


def render(fmt: str, header: ReportHeader, sections: list[dict]) -> bytes:
    # The documents are in Indonesian, whatever language the person who asked reads.
    with translation.override("id"):
        return render_xlsx(header, sections) if fmt == "xlsx" else render_pdf(header, sections)


# --- validation ----------------------------------------------------------------------------------


def parse_month(text: str, region_code: str = "") -> str:
    """A month that has begun (the current month is a report so far); ValidationError naming `month`."""
    text = (text or "").strip()
    try:
        period = month_period(text)
    except ValueError as exc:
        raise ValidationError({"month": str(exc)}) from None
    now = timezone.localtime(timezone.now(), zone_of(region_code))
    if period.month < EARLIEST_MONTH:
        raise ValidationError({"month": _("Bulan paling awal %(m)s.") % {"m": EARLIEST_MONTH}})
    if period.month > f"{now:%Y-%m}":
        raise ValidationError({"month": _("Bulan %(m)s belum dimulai.") % {"m": text}})
    return period.month


def report_region(code: str) -> Region:
    """A region a report can be of (nation, province, kab/kota, desa); ValidationError naming `region`."""
    code = normalize_code((code or "").strip()[:20]) if code else ""
    region = Region.objects.filter(code=code).first() if code else None
    if region is None:
        raise ValidationError({"region": _("Wilayah dengan kode %(code)s tidak ada.") % {"code": code or "—"}})
    if region.level == Level.KECAMATAN:
        raise ValidationError({"region": _(
            "Laporan bulanan dibuat untuk kabupaten/kota, desa (Puskesos), provinsi atau nasional, bukan kecamatan.")})
    return region


def may_generate(user, region_code: str) -> bool:
    """Who may ask for a fresh report: Admin in scope; the Manajer for their own kab/kota; the
    Koordinator Puskesos for their own desa; Dinas Sosial for its province or nation roll-up."""
    if not can(user, "view_monthly_report") or not in_scope(user, region_code):
        return False
    level = level_of(region_code)
    if level == Level.KECAMATAN:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role in (Role.MANAJER, Role.KOORDINATOR_PUSKESOS):
        return region_code == user.region_id
    if user.role == Role.DINSOS:
        return level <= Level.PROVINSI
    return False


# --- writes --------------------------------------------------------------------------------------


def _dispatch(report: MonthlyReport) -> None:
    # Imported by name: the tasks module imports this one.
    task = importlib.import_module("slrt.reports.monthly.tasks").generate_monthly_report
    pk = report.pk
    transaction.on_commit(lambda: task.delay(pk))


def request_report(user, region_code: str, month: str) -> MonthlyReport:
    """A new version of a region's report for a month, queued for a worker (the page shows it)."""
    region = report_region(region_code)
    if not may_generate(user, region.code):
        raise PermissionDenied
    month = parse_month(month, region.code)
    for _attempt in range(5):  # two people asking at once: the unique version decides, retry
        try:
            with transaction.atomic():
                top = MonthlyReport.objects.filter(region=region, month=month).aggregate(n=Max("version"))["n"] or 0
                report = MonthlyReport.objects.create(region=region, month=month, version=top + 1, generated_by=user)
                record(user, "monthly_report.request", report, region_code=region.code,
                       detail={"month": month, "version": report.version})
                _dispatch(report)
            return report
        except IntegrityError:
            continue
    raise ValidationError(_("Laporan sedang dibuat oleh orang lain; coba lagi sebentar lagi."))


def generate(report_id: int) -> MonthlyReport | None:
    """The task's work, idempotent: a done or failed report is left alone; one left running by a
    lost worker is generated again. The figures, both files and "done" are written together."""
    report = MonthlyReport.objects.filter(pk=report_id).first()
    if report is None or report.status in (ReportStatus.DONE, ReportStatus.FAILED):
        return report
    MonthlyReport.objects.filter(pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING]).update(
        status=ReportStatus.RUNNING, attempts=F("attempts") + 1)  # committed: the page shows "berjalan"
    written: list = []
    try:
        with transaction.atomic():
            report = (MonthlyReport.objects.select_for_update(of=("self",))
                      .select_related("region", "generated_by").get(pk=report_id))
            if report.status != ReportStatus.RUNNING:
                return report  # another delivery finished it while this one waited for the lock
            now = timezone.now()
            sections = collect_sections(report.region, month_period(report.month))
            header = header_for(report.region, report.month, now, report.generated_by, report.version)
            code, month = report.region_id, report.month
            base = f"{code}/{month}/laporan-bulanan-{code}-{month}-v{report.version}"
            for fmt in FORMATS:
                getattr(report, fmt).save(f"{base}.{fmt}", ContentFile(render(fmt, header, sections)), save=False)
                written.append(getattr(report, fmt).name)
            report.figures, report.generated_at, report.status, report.message = sections, now, ReportStatus.DONE, ""
            report.save(update_fields=["figures", "generated_at", "status", "message", "xlsx", "pdf"])
            record(None, "monthly_report.generate", report, region_code=report.region_id,
                   detail={"month": report.month, "version": report.version, "sections": len(sections)})
            if report.automatic:
                notify_ready(report)  # in the same transaction: a redelivery finds it done, no second mail
    except Exception as exc:  # noqa: BLE001 - recorded on the report; a database error's text may quote data
        logger.error("monthly report %s failed: %s", report_id, type(exc).__name__)
        _discard(written)
        MonthlyReport.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED, message=_(
                "Laporan gagal dibuat karena kesalahan sistem; tidak ada berkas yang disimpan. Buat lagi, atau "
                "hubungi admin (laporan #%(id)s).") % {"id": report_id})
    return MonthlyReport.objects.filter(pk=report_id).first()


def _discard(names: list[str]) -> None:
    """Files written by a generation that then rolled back: no row names them."""
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - best effort; an orphan file holds aggregates only
            logger.warning("monthly report: could not remove an unused file")


def manajer_emails(kab_code: str) -> list[str]:
    seen, out = set(), []
    for email in (User.objects.filter(role=Role.MANAJER, region_id=kab_code, is_active=True).exclude(email="")
                  .order_by("id").values_list("email", flat=True)):
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append(email)
    return out


def notify_ready(report: MonthlyReport) -> int:
    """E-mail the Manajer(s) of the report's kab/kota a link to the report's page.

    A link, not the files: the download stays behind the sign-in, the scope and the audit log (who
    fetched it), a forwarded mail carries nothing, and a small desa's counts stay out of mailboxes."""
    from django.urls import reverse

    from slrt.core.public import public_url

    if level_of(report.region_id) != Level.KABUPATEN:
        return 0
    with translation.override("id"):
        label, name = month_label(report.month), region_name(report.region)
        subject = _("Laporan bulanan SLRT %(month)s siap") % {"month": label}
        body = _(
            "Laporan bulanan SLRT %(region)s untuk %(month)s sudah dibuat oleh penjadwal (XLSX dan PDF).\n\n"
            "Buka dan unduh setelah masuk: %(url)s\n"
        ) % {"region": name, "month": label,
             "url": f"{public_url()}{reverse('monthly_reports:detail', args=[report.pk])}"}
    sent = 0
    prov, kab = report.region_id[:2], report.region_id
    for email in manajer_emails(report.region_id):
        row = enqueue(EVENT, ChannelKind.EMAIL, email, subject, body, report)
        # The outbox page shows a Manajer the messages of their own kab/kota (region columns).
        type(row).objects.filter(pk=row.pk).update(prov_code=prov, kab_code=kab)
        sent += 1
    return sent


# --- the scheduled job ---------------------------------------------------------------------------


def previous_month(region_code: str, now: dt.datetime | None = None) -> str:
    local = timezone.localtime(now or timezone.now(), zone_of(region_code)).date()
    last = local.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}"


def due_regions():
    """The regions that get a report every month: each kab/kota with a secretariat, each desa
    with an open Puskesos post (a closed post's earlier reports stay)."""
    kabs = Secretariat.objects.values_list("region_id", flat=True)
    desas = Puskesos.objects.filter(active=True).values_list("region_id", flat=True).distinct()
    return sorted(set(kabs) | set(desas))


def run_scheduled(now: dt.datetime | None = None) -> int:
    """The scheduled job: make last month's automatic report of every due region that has none.

    Safe to run on any day and any number of times: the automatic report of a (region, month) is
    unique, so a second run (or a second scheduler) makes nothing more; run on the 15th it still
    makes what the 1st missed. An automatic report whose worker was lost, or that failed fewer
    than MAX_ATTEMPTS times, is sent to the queue again. Answers how many were queued."""
    now = now or timezone.now()
    queued = 0
    codes = due_regions()
    months = {code: previous_month(code, now) for code in codes}
    have = set(MonthlyReport.objects.filter(automatic=True, region_id__in=codes, month__in=set(months.values()))
               .values_list("region_id", "month"))
    for code in codes:
        if (code, months[code]) in have:
            continue
        try:
            with transaction.atomic():
                report = MonthlyReport.objects.create(region_id=code, month=months[code], automatic=True,
                                                      version=_free_version(code, months[code]))
                _dispatch(report)
            queued += 1
        except IntegrityError:
            continue  # another scheduler's run made it a moment ago
    for report in _to_retry():
        with transaction.atomic():
            updated = MonthlyReport.objects.filter(pk=report.pk, status=report.status).update(
                status=ReportStatus.QUEUED, message="")
            if updated:
                _dispatch(report)
                queued += 1
    return queued


def _free_version(code: str, month: str) -> int:
    # Normally 1; someone may have asked for last month on demand before the scheduler ran.
    top = MonthlyReport.objects.filter(region_id=code, month=month).aggregate(n=Max("version"))["n"] or 0
    return top + 1


def _to_retry():
    base = MonthlyReport.objects.filter(automatic=True, attempts__lt=MAX_ATTEMPTS)
    # Against the clock `requested_at` was stamped with (not the `now` a caller may pass).
    stale = base.filter(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING],
                        requested_at__lt=timezone.now() - STALE_AFTER)
    failed = base.filter(status=ReportStatus.FAILED)
    return list(stale) + list(failed)
