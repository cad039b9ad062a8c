"""Web pages of field work: the facilitator's task list, visits, assigning a visit, and the
supervisor's review queue with the submission page (values, attachments, conflicts side by side,
approve/return). Thin: scope in `selectors` (out of scope is 404), rules in `services`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slrt.accounts.models import User
from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.exceptions import DeskError
from slrt.core.http import capability_required, parse_pk
from slrt.core.locking import ConflictError
from slrt.wilayah.names import region_labels as region_names  # "Desa X, Kec. Y", one query per page

from . import selectors, services
from .formdefs import FORMS
from .models import SubmissionAttachment, SubmissionStatus, VisitKind
from .webforms import AssignVisitForm, ReviewForm
from .workflow import OPEN_VISIT

PAGE_SIZE = 25
RECENT = 20  # own submissions listed under the task list
HIDDEN_VALUES = ("anggota",)

# What the submission page shows for the forms' field names and their form-local choices. The
# XLSForm files carry the same labels in Indonesian only; these go through the catalogue.
_yes_no = {"ya": gettext_lazy("Ya"), "tidak": gettext_lazy("Tidak")}
VALUE_LABELS = {
    "kunjungan": gettext_lazy("Kunjungan yang ditugaskan"),
    "hasil": gettext_lazy("Hasil kunjungan"),
    "kode_wilayah": gettext_lazy("Desa/kelurahan"),
    "nomor_kk": gettext_lazy("Nomor KK"), "alamat": gettext_lazy("Alamat"), "dusun": gettext_lazy("Dusun"),
    "rt": gettext_lazy("RT"), "rw": gettext_lazy("RW"),
    "lantai": gettext_lazy("Jenis lantai terluas"), "dinding": gettext_lazy("Jenis dinding terluas"),
    "atap": gettext_lazy("Jenis atap terluas"), "sumber_air": gettext_lazy("Sumber air minum utama"),
    "penerangan": gettext_lazy("Sumber penerangan utama"), "jamban": gettext_lazy("Fasilitas buang air besar"),
    "bahan_bakar": gettext_lazy("Bahan bakar utama untuk memasak"),
    "status_bangunan": gettext_lazy("Status kepemilikan bangunan"), "luas_lantai": gettext_lazy("Luas lantai (m²)"),
    "jenis_ppks": gettext_lazy("Jenis PPKS"), "program": gettext_lazy("Program bantuan"),
    "minta_tinjau_desil": gettext_lazy("Minta peninjauan desil?"),
    "alasan_desil": gettext_lazy("Alasan peninjauan desil"),
    "catatan": gettext_lazy("Catatan"), "lokasi": gettext_lazy("Lokasi"),
    "persetujuan": gettext_lazy("Warga setuju datanya dicatat?"),
    "tujuan_persetujuan": gettext_lazy("Tujuan penggunaan data yang disetujui"),
    "boleh_dibagikan": gettext_lazy("Data boleh dibagikan kepada lembaga rujukan?"),
    "nik": gettext_lazy("NIK"), "nama": gettext_lazy("Nama lengkap"), "telepon": gettext_lazy("Nomor telepon/WhatsApp"),
    "jenis_keluhan": gettext_lazy("Jenis"),
    "urgensi": gettext_lazy("Urgensi"),
    "sektor": gettext_lazy("Sektor kebutuhan"),
    "uraian": gettext_lazy("Uraian keluhan atau permohonan"),
    "layanan_diterima": gettext_lazy("Apakah warga sudah menerima layanan?"),
    "tanggal_layanan": gettext_lazy("Tanggal layanan diterima"), "kondisi": gettext_lazy("Kondisi warga saat ini"),
    "perlu_tindak_lanjut": gettext_lazy("Perlu tindak lanjut lagi?"),
    "foto": gettext_lazy("Foto"),
    "foto_rumah": gettext_lazy("Foto rumah"),
    "tanda_tangan": gettext_lazy("Tanda tangan"),
    # household members
    "aksi": gettext_lazy("Perubahan"), "tanggal_lahir": gettext_lazy("Tanggal lahir"),
    "jenis_kelamin": gettext_lazy("Jenis kelamin"), "hubungan_keluarga": gettext_lazy("Hubungan keluarga"),
    "pekerjaan": gettext_lazy("Pekerjaan"),
}
CHOICE_LABELS = {
    "hasil": {"ditemukan": gettext_lazy("Rumah tangga ditemukan, data diperiksa"),
              "tidak_ditemukan": gettext_lazy("Tidak ditemukan di alamat"),
              "pindah": gettext_lazy("Seluruh rumah tangga pindah")},
    "persetujuan": _yes_no, "boleh_dibagikan": _yes_no, "minta_tinjau_desil": _yes_no, "perlu_tindak_lanjut": _yes_no,
    "jenis_keluhan": {"pertanyaan": gettext_lazy("Pertanyaan"), "saran": gettext_lazy("Saran"),
                      "pengaduan": gettext_lazy("Pengaduan")},
    "urgensi": {"biasa": gettext_lazy("Biasa"),
                "mendesak": gettext_lazy("Mendesak"),
                "darurat": gettext_lazy("Darurat")},
    "layanan_diterima": {"sudah": gettext_lazy("Sudah menerima"), "belum": gettext_lazy("Belum menerima"),
                         "ditolak": gettext_lazy("Ditolak oleh lembaga")},
    "aksi": {"tambah": gettext_lazy("Tambah anggota baru"), "ubah": gettext_lazy("Ubah data anggota"),
             "meninggal": gettext_lazy("Meninggal dunia"), "pindah": gettext_lazy("Pindah keluar")},
    "jenis_kelamin": {"L": gettext_lazy("Laki-laki"), "P": gettext_lazy("Perempuan")},
    "hubungan_keluarga": {"kepala_keluarga": gettext_lazy("Kepala keluarga"),
                          "istri_suami": gettext_lazy("Istri/suami"),
                          "anak": gettext_lazy("Anak"),
                          "menantu": gettext_lazy("Menantu"),
                          "cucu": gettext_lazy("Cucu"),
                          "orang_tua": gettext_lazy("Orang tua"), "mertua": gettext_lazy("Mertua"),
                          "famili_lain": gettext_lazy("Famili lain"), "lainnya": gettext_lazy("Lainnya")},
}
MEMBER_COLUMNS = ("aksi", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga", "pekerjaan")


def _choice(field, value):
    return CHOICE_LABELS.get(field, {}).get(value, value) if isinstance(value, str) else value


def _rows(visits):
    return [(v, selectors.is_overdue(v), selectors.visit_label(v)) for v in visits]


@region_safe  # task_list reads through Visit.objects.for_user and the user's own assignments
@login_required
@capability_required("view_registry")
@require_GET
def tasks(request):
    visits = list(selectors.task_list(request.user))
    selectors.record_visits_shown(request.user, visits, action="visit.tasks")
    context = {
        "rows": _rows(visits),
        "server_url": request.build_absolute_uri("/"),
        "forms": FORMS,
        "can_review": can(request.user, "review_submissions"),
        "can_assign": can(request.user, "assign_visits"),
        "submissions": selectors.submissions_for(request.user).filter(submitted_by=request.user)[:RECENT],
        "desa_names": region_names(v.desa_code for v in visits),
    }
    return render(request, "fieldwork/tasks.html", context)


@region_safe  # visits_for reads through for_user
@login_required
@capability_required("view_registry")
@require_GET
def visit_list(request):
    user = request.user
    form = selectors.visit_form(request.GET or None, user)
    try:
        f = selectors.visit_filters_from(request.GET, user)
    except ValueError as exc:
        form.is_valid()  # the field errors show beside the fields; nothing is listed
        f, error = None, str(exc)
    else:
        error = ""
    visits = selectors.list_visits(user, f) if f is not None else selectors.visits_for(user).none()
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("hal"))
    selectors.record_visits_shown(user, page)
    return render(request, "fieldwork/visit_list.html", {
        "page": page, "rows": _rows(page), "form": form, "filter_error": error,
        "status": f.status if f else "", "queue": f.queue if f else None,
        "can_assign": can(user, "assign_visits"),
        "desa_names": region_names(v.desa_code for v in page),
    }, status=400 if error else 200)


def _visit_context(request, visit, **extra):
    user = request.user
    staff = list(services.active_field_staff(visit.desa_code)) if can(user, "assign_visits") else []
    subs = selectors.submissions_for(user).filter(visit=visit).order_by("-received_at")
    return {
        "visit": visit, "overdue": selectors.is_overdue(visit), "label": selectors.visit_label(visit),
        "snapshot": selectors.visit_snapshot(visit) if visit.kind == VisitKind.VERIFICATION else None,
        "submissions": subs, "staff": staff, "is_open": visit.status in OPEN_VISIT,
        "can_assign": can(user, "assign_visits"), "errors": {}, "desa_names": region_names([visit.desa_code]),
        **extra,
    }


@region_safe  # get_visit reads through for_user; someone else's visit is 404 for a facilitator
@login_required
@capability_required("view_registry")
@require_GET
def visit_detail(request, pk):
    visit = selectors.get_visit(request.user, pk)  # audits the read
    return render(request, "fieldwork/visit_detail.html", _visit_context(request, visit))


@region_safe  # get_visit reads through for_user; the service locks it through for_user again
@login_required
@capability_required("assign_visits")
@require_POST
def visit_reassign(request, pk):
    visit = selectors.get_visit(request.user, pk, audit=False)
    assignee = User.objects.filter(pk=parse_pk(request.POST.get("assigned_to"))).first()
    try:
        services.reassign(request.user, visit, assigned_to=assignee, due_date=request.POST.get("due_date") or None)
    except ValidationError as exc:
        return render(request, "fieldwork/visit_detail.html",
                      _visit_context(request, visit, errors=exc.message_dict), status=422)
    visit.refresh_from_db()
    who = (visit.assigned_to.get_full_name() or visit.assigned_to.username) if visit.assigned_to_id else "—"
    messages.success(request, _("Kunjungan #%(id)s dialihkan kepada %(name)s.") % {"id": visit.pk, "name": who})
    return redirect("fieldwork:visit", pk=pk)


@region_safe  # get_visit reads through for_user; the service locks it through for_user again
@login_required
@capability_required("assign_visits")
@require_POST
def visit_cancel(request, pk):
    visit = selectors.get_visit(request.user, pk, audit=False)
    try:
        services.cancel_visit(request.user, visit, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return render(request, "fieldwork/visit_detail.html",
                      _visit_context(request, visit, errors=exc.message_dict,
                                     typed_reason=request.POST.get("reason", "")), status=422)
    messages.success(request, _("Kunjungan #%(id)s ke %(desa)s dibatalkan.") % {
        "id": visit.pk, "desa": region_names([visit.desa_code]).get(visit.desa_code, "—"),
    })
    return redirect("fieldwork:visit", pk=pk)


def _staff_for(user):
    """Field staff the user may assign: facilitators and Puskesos coordinators in the user's area."""
    from slrt.wilayah.models import NATION_CODE

    qs = User.objects.filter(is_active=True, role__in=services.FIELD_ROLES).order_by("region_id", "username")
    if user.region_id != NATION_CODE:
        code = user.region_id or "-"
        qs = qs.filter(Q(region_id=code) | Q(region__code__startswith=f"{code}."))
    return qs


@region_safe  # household/referral are looked up through for_user; outside the scope they are not found
@login_required
@capability_required("assign_visits")
@require_http_methods(["GET", "POST"])
def assign(request):
    from slrt.referrals.models import Referral
    from slrt.registry.models import Household

    user = request.user
    staff = list(_staff_for(user))
    initial = {}
    household = Household.objects.for_user(user).filter(pk=parse_pk(request.GET.get("rumah_tangga"))).first()
    if household is not None:
        initial.update(kind=VisitKind.VERIFICATION, nomor_kk=household.nomor_kk)
    referral = Referral.objects.for_user(user).filter(pk=parse_pk(request.GET.get("rujukan"))).first()
    if referral is not None:
        initial.update(kind=VisitKind.FOLLOW_UP, referral_number=referral.number)
    form = AssignVisitForm(request.POST or None, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = referral = None
        if data["kind"] == VisitKind.VERIFICATION:
            household = Household.objects.for_user(user).filter(nomor_kk=data["nomor_kk"].strip()).first()
            if household is None:
                form.add_error("nomor_kk", _("Nomor KK tidak ditemukan di registri wilayah Anda."))
        else:
            referral = Referral.objects.for_user(user).filter(number=data["referral_number"].strip()).first()
            if referral is None:
                form.add_error("referral_number", _("Nomor rujukan tidak ditemukan di wilayah Anda."))
        assignee = next((u for u in staff if str(u.pk) == data["assigned_to"]), None)
        if not form.errors:
            try:
                visit = services.assign_visit(user, kind=data["kind"], assigned_to=assignee,
                                              due_date=data["due_date"], note=data["note"], household=household,
                                              referral=referral)
            except ValidationError as exc:
                for name, errs in exc.message_dict.items():
                    target = {"household": "nomor_kk", "referral": "referral_number"}.get(name, name)
                    for e in errs:
                        form.add_error(target if target in form.fields else None, e)
            except Http404:
                form.add_error(None, _("Rumah tangga atau rujukan itu di luar wilayah Anda."))
            else:
                messages.success(request, _("Kunjungan #%(id)s ditugaskan kepada %(name)s, tenggat %(due)s.") % {
                    "id": visit.pk, "name": assignee.get_full_name() or assignee.username,
                    "due": visit.due_date.strftime("%d-%m-%Y") if visit.due_date else "—",
                })
                return redirect("fieldwork:visit", pk=visit.pk)
    return render(request, "fieldwork/assign.html", {"form": form}, status=422 if form.errors else 200)


@region_safe  # review_queue reads through Submission.objects.for_user
@login_required
@capability_required("review_submissions")
@require_GET
def review_queue(request):
    user = request.user
    form = selectors.submission_form(request.GET or None, user)
    try:
        f = selectors.submission_filters_from(request.GET, user)
    except ValueError as exc:
        form.is_valid()
        f, error = None, str(exc)
    else:
        error = ""
    subs = selectors.list_submissions(user, f) if f is not None else selectors.review_queue(user).none()
    page = Paginator(subs, PAGE_SIZE).get_page(request.GET.get("hal"))
    return render(request, "fieldwork/review_queue.html", {
        "page": page, "forms": FORMS, "desa_names": region_names(s.desa_code for s in page),
        "queue": f.queue if f else None, "form": form, "filter_error": error,
    }, status=400 if error else 200)


def _value_rows(sub):
    # House condition arrives as choice names; applying it stored the text (result["rumah"]).
    house = (sub.result or {}).get("rumah") or {}
    rows = []
    names = region_names([(sub.values or {}).get("kode_wilayah")]) if isinstance(sub.values, dict) else {}
    for key, value in (sub.values or {}).items():
        if key in HIDDEN_VALUES or isinstance(value, (list, dict)):
            continue
        if key == "kunjungan" and value:
            value = f"#{value}"
        elif key == "kode_wilayah" and value in names:
            value = f"{names[value]} ({value})"
        elif isinstance(house, dict) and key in house:
            value = house[key]
        else:
            value = _choice(key, value)
        rows.append((key, VALUE_LABELS.get(key, key), value, (sub.base or {}).get(key)))
    return rows


def _members(sub):
    members = (sub.values or {}).get("anggota") or []
    members = [m for m in members if isinstance(m, dict)] if isinstance(members, list) else []
    return [{col: _choice(col, m.get(col)) for col in MEMBER_COLUMNS} for m in members]


def _submission_context(request, sub, **extra):
    user = request.user
    chosen = extra.get("chosen") or {}
    may_review = (can(user, "review_submissions") and sub.submitted_by_id != user.pk)
    return {
        "sub": sub, "form": FORMS.get(sub.form_id), "rows": _value_rows(sub), "members": _members(sub),
        "member_columns": [(col, VALUE_LABELS.get(col, col)) for col in MEMBER_COLUMNS],
        "conflicts": [{**c, "label": VALUE_LABELS.get(c.get("field"), c.get("label")),
                       "choice": chosen.get(c.get("field")) or c.get("choice")} for c in sub.conflicts or []],
        "desa_names": region_names([sub.desa_code]), "value_labels": VALUE_LABELS,
        "attachments": sub.attachments.all(), "may_review": may_review,
        "can_approve": may_review and sub.status == SubmissionStatus.REVIEW,
        "can_return": may_review and sub.status in (SubmissionStatus.REVIEW, SubmissionStatus.CONFLICT),
        "can_resolve": may_review and sub.status == SubmissionStatus.CONFLICT,
        "errors": {}, "message": "", **extra,
    }


@region_safe  # get_submission reads through for_user (a facilitator sees only their own) and audits it
@login_required
@capability_required("view_registry")
@require_GET
def submission_detail(request, pk):
    sub = selectors.get_submission(request.user, pk)
    return render(request, "fieldwork/submission_detail.html", _submission_context(request, sub))


@region_safe  # get_submission reads through for_user; the service locks it through for_user again
@login_required
@capability_required("review_submissions")
@require_POST
def submission_review(request, pk):
    sub = selectors.get_submission(request.user, pk, audit=False)
    form = ReviewForm(request.POST)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    try:
        if not form.is_valid():
            raise ValidationError({"action": [_("Pilih setujui atau kembalikan.")]})
        services.review_submission(request.user, sub, action, note)
    except ValidationError as exc:
        context = _submission_context(request, sub, errors=exc.message_dict, typed_note=note, typed_action=action)
        return render(request, "fieldwork/submission_detail.html", context, status=422)
    except (DeskError, ConflictError, PermissionDenied) as exc:
        message = str(getattr(exc, "message", exc))
        context = _submission_context(request, sub, message=message, typed_note=note, typed_action=action)
        return render(request, "fieldwork/submission_detail.html", context, status=409)
    sender = (sub.submitted_by.get_full_name() or sub.submitted_by.username) if sub.submitted_by_id else "—"
    title = getattr(FORMS.get(sub.form_id), "title", "")
    done = _("Kiriman %(form)s dari %(name)s disetujui.") if action == "approve" else _(
        "Kiriman %(form)s dikembalikan kepada %(name)s untuk diperbaiki.")
    messages.success(request, done % {"form": title or _("formulir"), "name": sender})
    return redirect("fieldwork:review_queue")


@region_safe  # get_submission reads through for_user; the service locks it through for_user again
@login_required
@capability_required("review_submissions")
@require_POST
def submission_resolve(request, pk):
    sub = selectors.get_submission(request.user, pk, audit=False)
    choices = {c["field"]: request.POST.get(f"pilih-{c['field']}", "") for c in sub.conflicts}
    try:
        services.resolve_conflicts(request.user, sub, choices)
    except ValidationError as exc:
        context = _submission_context(request, sub, errors=exc.message_dict, chosen=choices)
        return render(request, "fieldwork/submission_detail.html", context, status=422)
    except (DeskError, ConflictError, PermissionDenied) as exc:
        context = _submission_context(request, sub, message=str(getattr(exc, "message", exc)), chosen=choices)
        return render(request, "fieldwork/submission_detail.html", context, status=409)
    messages.success(request, _("Konflik diselesaikan; kiriman diterapkan dan menunggu persetujuan."))
    return redirect("fieldwork:submission", pk=pk)


@region_safe  # the submission is read through for_user; files are never served from a public URL
@login_required
@capability_required("view_registry")
@require_GET
def attachment(request, pk, att):
    sub = selectors.get_submission(request.user, pk, audit=False)
    item = SubmissionAttachment.objects.filter(submission=sub, pk=att).first()
    if item is None:
        raise Http404
    record(request.user, "submission.attachment", sub, detail={"attachment": item.pk})
    response = FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


COLLECT_RATE = "10/h"  # password checks on the set-up page, per user


@region_safe  # shows only the user's own account settings
@login_required
@capability_required("use_field_forms")
@require_http_methods(["GET", "POST"])
def collect_setup(request):
    """ODK Collect's configuration QR code for the signed-in user (server address and account).

    The password is put in only when typed here just now and checked; the page is never cached.
    """
    from django_ratelimit.core import is_ratelimited

    from . import collect

    typed, error = "", ""
    if request.method == "POST":
        if is_ratelimited(request, group="fieldwork.collect_setup", key="user", rate=COLLECT_RATE, increment=True):
            error = _("Terlalu banyak percobaan. Coba lagi dalam satu jam.")
        else:
            typed = request.POST.get("password", "")
    server_url = request.build_absolute_uri("/")
    payload, with_password = collect.configuration(request.user, server_url, typed)
    if typed and not with_password:
        error = _("Kata sandi salah. Kode QR dibuat tanpa kata sandi.")
    response = render(request, "fieldwork/collect_setup.html", {
        "qr": collect.qr_svg(payload), "server_url": server_url, "with_password": with_password, "error": error,
    })
    response["Cache-Control"] = "no-store"
    return response
