"""Web pages of the service desk: intake (search before create), case list, case page with
monitoring actions, receipt PDF, and the public status page.

Thin by design: forms check input, `services` write, `selectors` read through the region
scope (out of scope = 404 like a missing case). A write that loses an optimistic-locking race
re-renders the page with what the user typed and status 409.
"""

import datetime as dt
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from slrt.accounts.models import User
from slrt.accounts.roles import STAFF_ROLES, can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record, record_shown, shown_ids
from slrt.core.dbrouter import replica_reads
from slrt.core.http import capability_required, is_htmx
from slrt.core.locking import ConflictError
from slrt.core.search_terms import Search
from slrt.registry import tables as registry_tables
from slrt.registry.forms import SearchForm
from slrt.registry.selectors.people import get_person, search_page
from slrt.wilayah.forms import bind_user
from slrt.wilayah.models import ancestor_codes

from . import selectors, services, tickets, workflow
from .forms import (
    CaseEditForm,
    CaseFilterForm,
    CloseForm,
    IntakeForm,
    NeedEditForm,
    NeedFormSet,
    NeedStatusForm,
    PublicStatusForm,
    ReopenForm,
    TaskDoneForm,
    TaskForm,
    apply_errors,
)
from .models import CaseStatus, Channel, NeedStatus
from .receipt import desk_name, receipt_pdf
from .timeline import describe

PAGE_SIZE = 25
SEARCH_LIMIT = 20
SESSION_CODES = "cases.status_codes"  # case pk -> [status code, time], for printing the receipt
# The plain code lives in the (server-side) session only while the desk prints the receipt; after
# that only its hash exists, and a lost receipt means a reprint with a new code.
CODE_KEPT_SECONDS = 30 * 60
PUBLIC_RATE = "10/m"


# --- intake ------------------------------------------------------------------------------------


@region_safe  # search_people reads through Person.objects.for_user
@login_required
@capability_required("intake_case")
@require_http_methods(["GET", "POST"])
def intake_search(request):
    """Step 1: search the registry by NIK, KK or name, narrowed like *Cari warga* (kecamatan or
    desa, birth year) and paged; pick a match or register someone new. The terms are posted and
    kept under a session key like *Cari warga* (slrt.core.search_terms), never in the URL."""
    found = Search(request, INTAKE_SEARCH_FIELDS, reverse("cases:intake"), results_target="intake-results")
    if found.redirect:
        return found.redirect
    form = SearchForm(found.data, user=request.user)
    rows, searched, token, has_more = [], False, "", False
    page = found.page
    if form.is_bound and form.is_valid() and form.has_query:
        c = form.cleaned_data
        people, has_more, how = search_page(request.user, c, page=page, page_size=SEARCH_LIMIT)
        by = "nomor" if c["number"] else "nama"
        rows = registry_tables.person_rows(request.user, people)
        searched = True
        # The signed token is the server's proof that this user searched before registering someone new.
        token = tickets.issue_search_token(request.user, by)
        record_shown(request.user, "person.search", count=len(rows),
                     region_code=c["region"].code if c["region"] else "", detail={"by": how or [by], "for": "intake"},
                     people=shown_ids(people), households=shown_ids(people, "household_id"))
    context = {"form": form, "rows": rows, "searched": searched, "token": token, "page": page, "has_more": has_more,
               "search_key": found.key}
    if is_htmx(request) and request.headers.get("HX-Target") == "intake-results":
        return found.finish(render(request, "cases/_intake_results.html", context))
    return found.finish(render(request, "cases/intake_search.html", context))


INTAKE_SEARCH_FIELDS = ("q", "region", "birth_year")


def _default_channel(user) -> str:
    return Channel.PUSKESOS if user.region_id and user.region_id.count(".") == 3 else Channel.SECRETARIAT


@region_safe  # the picked person is read through get_person (for_user); cases are written in scope
@login_required
@capability_required("intake_case")
@require_http_methods(["GET", "POST"])
def intake_create(request):
    """Step 2: record the case for the person picked, or for a new person after a search."""
    source = request.POST if request.method == "POST" else request.GET
    person = None
    person_id = source.get("orang") or ""
    if person_id:
        person = get_person(request.user, person_id)  # 404 outside scope
    token = source.get("token", "")
    if person is None and not tickets.search_token_valid(request.user, token):
        messages.warning(request, _("Cari warga di registri terlebih dahulu sebelum mendaftarkan warga baru."))
        return redirect("cases:intake")
    status = 200
    if request.method == "POST":
        form = bind_user(IntakeForm(request.POST), request.user)
        needs = NeedFormSet(request.POST, prefix="kebutuhan")
        if form.is_valid() and needs.is_valid():
            c = form.cleaned_data
            intake = services.Intake(
                complaint_type=c["complaint_type"],
                channel=c["channel"],
                urgency=c["urgency"],
                summary=c["summary"],
                phone=c["phone"],
                email=c["email"],
                needs=[n for n in needs.cleaned_data if n],
                consent_given=c["consent_given"],
                consent_purpose=c["consent_purpose"],
                consent_share_agencies=c["consent_share_agencies"],
            )
            new_person = None
            if person is None:
                new_person = services.NewPerson(
                    name=c["name"], desa_code=c["desa_code"], nik=c["nik"], address=c["address"]
                )
            try:
                result = services.create_case(
                    request.user, intake, person=person, new_person=new_person, search_token=token
                )
            except ValidationError as exc:
                apply_errors(form, exc, {"needs": None, "search": None, "person": None})
                status = 422
            else:
                _remember_code(request, result.case.pk, result.status_code)
                return redirect("cases:created", pk=result.case.pk)
        else:
            status = 422
    else:
        form = IntakeForm(
            initial={"orang": person.pk if person else None, "token": token, "channel": _default_channel(request.user)}
        )
        needs = NeedFormSet(prefix="kebutuhan")
    return render(
        request,
        "cases/intake_form.html",
        {
            "form": form,
            "needs": needs,
            "person": person,
            "person_nik": registry_tables.show_number(request.user, person.nik) if person else "",
        },
        status=status,
    )


@region_safe  # renders an empty form row; reads nothing
@login_required
@capability_required("intake_case")
@require_GET
def need_row(request):
    """HTMX: one more empty need row for the intake form, and the formset's new total (out of band)."""
    try:
        index = max(0, min(int(request.GET.get("i", "0")), NeedFormSet.max_num - 1))
    except ValueError:
        index = 0
    form = NeedFormSet(prefix="kebutuhan").empty_form
    form.prefix = f"kebutuhan-{index}"
    return render(
        request, "cases/_need_row.html", {"nf": form, "total": index + 1, "full": index + 1 >= NeedFormSet.max_num}
    )


def _fresh_codes(request) -> dict:
    now = time.time()
    codes = request.session.get(SESSION_CODES, {})
    fresh = {pk: v for pk, v in codes.items() if isinstance(v, list) and now - v[1] < CODE_KEPT_SECONDS}
    if fresh != codes:
        request.session[SESSION_CODES] = fresh
    return fresh


def _remember_code(request, pk: int, code: str) -> None:
    codes = _fresh_codes(request)
    codes[str(pk)] = [code, time.time()]
    request.session[SESSION_CODES] = dict(list(codes.items())[-20:])


def _remembered_code(request, pk: int) -> str:
    return _fresh_codes(request).get(str(pk), [""])[0]


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_GET
def created(request, pk):
    """The intake result: the ticket and the status code, shown once, and the receipt to print."""
    case = selectors.get_case(request.user, pk)
    code = _remembered_code(request, case.pk)
    return render(
        request,
        "cases/created.html",
        {
            "case": case,
            "status_code": tickets.format_status_code(code) if code else "",
            "visits": case.visits.all(),
            "proposals": case.proposals.all(),
        },
    )


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_GET
def receipt(request, pk):
    case = selectors.get_case(request.user, pk)
    code = _remembered_code(request, case.pk)
    if not code:
        messages.info(request, _("Kode status hanya ditampilkan sekali. Cetak ulang tanda terima untuk kode baru."))
        return redirect("cases:detail", pk=case.pk)
    response = HttpResponse(receipt_pdf(case, code), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tanda-terima-{case.ticket}.pdf"'
    record(request.user, "case.receipt", case)
    return response


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("intake_case")
@require_POST
def reprint(request, pk):
    case = selectors.get_case(request.user, pk, audit=False)
    code = services.reissue_status_code(request.user, case)
    _remember_code(request, case.pk, code)
    messages.success(
        request,
        _("Kode status baru: %(code)s. Kode lama tidak berlaku lagi.") % {"code": tickets.format_status_code(code)},
    )
    return redirect("cases:created", pk=case.pk)


# --- list --------------------------------------------------------------------------------------


@region_safe  # list_cases reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_GET
@replica_reads  # a search page: the read replica may serve it (read-your-writes)
def case_list(request):
    """The case list with its filters (`selectors.case_filters_from`, the one parser the exports
    and the figures' links share), shown in names with a "filter active" line."""
    form = CaseFilterForm(request.GET or None, user=request.user)
    page_obj = None
    active = []
    if not form.is_bound or form.is_valid():
        filters = form.filters if form.is_bound else selectors.CaseFilters()
        qs = selectors.list_cases(request.user, filters).select_related("secretariat", "puskesos")
        page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("hal"))
        shown = list(page_obj.object_list)
        record_shown(request.user, "case.list", count=len(shown), region_code=filters.desa,
                     cases=shown_ids(shown), people=shown_ids(shown, "person_id"))
        active = selectors.describe_filters(filters)
    context = {"form": form, "page_obj": page_obj, "may_intake": can(request.user, "intake_case"),
               "active_filters": active}
    if is_htmx(request) and request.headers.get("HX-Target") == "case-results":
        return render(request, "cases/_case_rows.html", context)
    return render(request, "cases/case_list.html", context)


# --- case page and monitoring -------------------------------------------------------------------


def _may_task(user) -> bool:
    return any(can(user, c) for c in ("intake_case", "assess_case", "close_case"))


def _staff_for(case):
    """Staff whose scope contains the case: who a follow-up task may be given to."""
    return User.objects.filter(
        is_active=True, role__in=STAFF_ROLES, region_id__in=ancestor_codes(case.desa_code)
    ).order_by("username")


def _detail_context(request, case, **forms):
    user = request.user
    needs = list(case.needs.all())
    status_forms = forms.get("status_forms") or {}
    for need in needs:
        need.status_form = status_forms.get(need.pk) or NeedStatusForm(
            prefix=f"n{need.pk}", initial={"version": need.version}
        )
    tasks = list(case.tasks.select_related("assigned_to", "done_by", "need"))
    today = timezone.localdate()
    for task in tasks:
        task.overdue = task.done_at is None and task.due_date < today
    events = list(case.events.select_related("actor"))
    for event in events:
        event.text = describe(event)
    context = {
        "case": case,
        "needs": needs,
        "tasks": tasks,
        "events": events,
        "visits": list(case.visits.select_related("assigned_to")),
        "proposals": list(case.proposals.all()),
        "desk": desk_name(case),
        "applicant_nik": registry_tables.show_number(user, case.applicant_nik) if case.applicant_nik else "",
        "may_edit": can(user, "intake_case") or can(user, "assess_case"),
        "may_monitor": can(user, "assess_case") or can(user, "close_case"),
        "may_close": can(user, "close_case"),
        "may_reprint": can(user, "intake_case"),
        # Follow-up tasks: whoever takes in, assesses or closes cases; read-only roles only look.
        "may_task": _may_task(user),
        "is_closed": case.status == CaseStatus.CLOSED,
        "open_needs": [n for n in needs if n.status not in (NeedStatus.HANDLED, NeedStatus.CLOSED)],
        "open_referrals": workflow.open_referrals(case)
        if can(user, "close_case") and case.status != CaseStatus.CLOSED
        else [],
        "need_form": forms.get("need_form") or NeedEditForm(initial={"version": 1}),
        "task_form": forms.get("task_form")
        or TaskForm(staff=_staff_for(case), needs=case.needs.all(), initial={"due_date": today + dt.timedelta(days=7)}),
        "close_form": forms.get("close_form") or CloseForm(initial={"version": case.version}),
        "reopen_form": forms.get("reopen_form") or ReopenForm(initial={"version": case.version}),
        "edit_form": forms.get("edit_form")
        or CaseEditForm(
            initial={
                "version": case.version,
                "urgency": case.urgency,
                "summary": case.summary,
                "applicant_phone": case.applicant_phone,
                "applicant_email": case.applicant_email,
                "applicant_address": case.applicant_address,
            }
        ),
        "conflict": forms.get("conflict", False),
    }
    return context


def _render_detail(request, case, status=200, **forms):
    return render(request, "cases/case_detail.html", _detail_context(request, case, **forms), status=status)


@region_safe  # get_case reads through Case.objects.for_user; outside scope is 404
@login_required
@capability_required("view_cases")
@require_GET
def case_detail(request, pk):
    case = selectors.get_case(request.user, pk)
    return _render_detail(request, case)


def _conflict(form, current_version: int) -> None:
    """Keep what the user typed, say what happened, and carry the current version so that a
    deliberate second submit (after looking at the newer data) goes through."""
    form.add_error(None, ConflictError().message)
    data = form.data.copy()
    data[form.add_prefix("version")] = str(current_version)
    form.data = data


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_POST
def case_edit(request, pk):
    case = selectors.get_case(request.user, pk, audit=False)
    form = CaseEditForm(request.POST)
    status = 422
    if form.is_valid():
        c = form.cleaned_data
        try:
            services.update_case(
                request.user,
                case,
                c["version"],
                urgency=c["urgency"],
                summary=c["summary"],
                applicant_phone=c["applicant_phone"],
                applicant_email=c["applicant_email"],
                applicant_address=c["applicant_address"],
            )
        except ConflictError:
            status = 409
            case = selectors.get_case(request.user, pk, audit=False)
            _conflict(form, case.version)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Data kasus %(ticket)s (%(name)s) disimpan.") % {
                "ticket": case.ticket, "name": case.applicant_name,
            })
            return redirect("cases:detail", pk=case.pk)
    return _render_detail(request, case, status=status, edit_form=form, conflict=status == 409)


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_POST
def need_add(request, pk):
    case = selectors.get_case(request.user, pk, audit=False)
    form = NeedEditForm(request.POST)
    if form.is_valid():
        try:
            services.add_need(
                request.user, case, sector=form.cleaned_data["sector"], description=form.cleaned_data["description"]
            )
        except ValidationError as exc:
            apply_errors(form, exc, {"needs": None, "case": None})
        else:
            messages.success(request, _("Kebutuhan %(sector)s ditambahkan ke kasus %(ticket)s.") % {
                "sector": dict(form.fields["sector"].choices).get(form.cleaned_data["sector"]),
                "ticket": case.ticket,
            })
            return redirect(reverse("cases:detail", args=[case.pk]) + "#kebutuhan")
    return _render_detail(request, case, status=422, need_form=form)


@region_safe  # get_need reads the case through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_http_methods(["GET", "POST"])
def need_edit(request, pk, need_pk):
    need = selectors.get_need(request.user, pk, need_pk)
    if not (can(request.user, "intake_case") or can(request.user, "assess_case")):
        # Read-only roles (after the scope check, so outside it stays a 404) get no edit form.
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = NeedEditForm(request.POST)
        status = 422
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.edit_need(request.user, need, c["version"], sector=c["sector"], description=c["description"])
            except ConflictError:
                status = 409
                need = selectors.get_need(request.user, pk, need_pk)
                _conflict(form, need.version)
            except ValidationError as exc:
                apply_errors(form, exc, {"needs": "description", "case": None})
            else:
                messages.success(request, _("Kebutuhan %(sector)s kasus %(ticket)s disimpan.") % {
                    "sector": dict(form.fields["sector"].choices).get(c["sector"]), "ticket": need.case.ticket,
                })
                return redirect(reverse("cases:detail", args=[pk]) + "#kebutuhan")
    else:
        form = NeedEditForm(initial={"version": need.version, "sector": need.sector, "description": need.description})
    return render(
        request,
        "cases/need_form.html",
        {"form": form, "need": need, "case": need.case, "conflict": status == 409},
        status=status,
    )


@region_safe  # get_need reads the case through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_POST
def need_status(request, pk, need_pk):
    need = selectors.get_need(request.user, pk, need_pk)
    form = NeedStatusForm(request.POST, prefix=f"n{need.pk}")
    status = 422
    if form.is_valid():
        c = form.cleaned_data
        try:
            services.set_need_status(request.user, need, c["version"], status=c["status"], outcome=c["outcome"])
        except ConflictError:
            status = 409
            _conflict(form, selectors.get_need(request.user, pk, need_pk).version)
        except ValidationError as exc:
            apply_errors(form, exc, {"case": None})
        else:
            messages.success(request, _("Kebutuhan %(sector)s kasus %(ticket)s kini berstatus “%(status)s”.") % {
                "sector": need.get_sector_display(), "ticket": need.case.ticket,
                "status": NeedStatus(c["status"]).label if c["status"] in NeedStatus.values else c["status"],
            })
            return redirect(reverse("cases:detail", args=[pk]) + "#kebutuhan")
    case = selectors.get_case(request.user, pk, audit=False)
    return _render_detail(request, case, status=status, status_forms={need.pk: form}, conflict=status == 409)


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_POST
def task_add(request, pk):
    case = selectors.get_case(request.user, pk, audit=False)
    form = TaskForm(request.POST, staff=_staff_for(case), needs=case.needs.all())
    if form.is_valid():
        c = form.cleaned_data
        try:
            services.add_task(
                request.user,
                case,
                title=c["title"],
                due_date=c["due_date"],
                assigned_to=c["assigned_to"],
                need=c["need"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, {"case": None})
        else:
            messages.success(request, _("Tindak lanjut “%(title)s” ditambahkan, tenggat %(due)s.") % {
                "title": c["title"], "due": c["due_date"].strftime("%d-%m-%Y"),
            })
            return redirect(reverse("cases:detail", args=[pk]) + "#tindak-lanjut")
    return _render_detail(request, case, status=422, task_form=form)


@region_safe  # get_task reads the case through Case.objects.for_user
@login_required
@capability_required("view_cases")
@require_POST
def task_done(request, pk, task_pk):
    task = selectors.get_task(request.user, pk, task_pk)
    form = TaskDoneForm(request.POST)
    if form.is_valid():
        try:
            services.complete_task(request.user, task, result=form.cleaned_data["result"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Tindak lanjut “%(title)s” selesai.") % {"title": task.title})
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("cases:detail", args=[pk]) + "#tindak-lanjut")


def _close_or_reopen(request, pk, form_class, service, done_message, form_key):
    """Close and reopen share one shape: a versioned form with a reason, one service call."""
    case = selectors.get_case(request.user, pk, audit=False)
    form = form_class(request.POST)
    status = 422
    if form.is_valid():
        try:
            service(request.user, case, form.cleaned_data["version"], reason=form.cleaned_data["reason"])
        except ConflictError:
            status = 409
            case = selectors.get_case(request.user, pk, audit=False)
            _conflict(form, case.version)
        except ValidationError as exc:
            apply_errors(form, exc, {"case": None})
        else:
            messages.success(request, done_message % {"ticket": case.ticket, "name": case.applicant_name})
            return redirect("cases:detail", pk=pk)
    return _render_detail(request, case, status=status, conflict=status == 409, **{form_key: form})


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("close_case")
@require_POST
def close(request, pk):
    return _close_or_reopen(request, pk, CloseForm, services.close_case, _("Kasus %(ticket)s (%(name)s) ditutup."),
                            "close_form")


@region_safe  # get_case reads through Case.objects.for_user
@login_required
@capability_required("close_case")
@require_POST
def reopen(request, pk):
    return _close_or_reopen(request, pk, ReopenForm, services.reopen_case,
                            _("Kasus %(ticket)s (%(name)s) dibuka kembali."), "reopen_form")


# --- public status -----------------------------------------------------------------------------


def public_rate_limited(request) -> bool:
    """Per client IP, shared by the page and the API: guessing codes costs time."""
    return is_ratelimited(request, group="cases.public_status", key="ip", rate=PUBLIC_RATE, increment=True)


@region_safe  # reads one case only for the exact ticket + status code, and shows nothing personal
@require_http_methods(["GET", "POST"])
def public_status(request):
    """The resident's page: ticket + status code -> steps done, with dates. No login."""
    if request.method == "POST":
        form = PublicStatusForm(request.POST)
    else:
        form = PublicStatusForm(initial={"tiket": request.GET.get("tiket", "")})
    steps, not_found, limited = None, False, False
    status = 200
    if form.is_bound:
        if public_rate_limited(request):
            limited, status = True, 429
        elif form.is_valid():
            steps = selectors.public_status(form.cleaned_data["tiket"], form.cleaned_data["kode"])
            if steps is None:
                not_found, status = True, 404
    return render(
        request,
        "cases/public_status.html",
        {
            "form": form,
            "steps": steps,
            "not_found": not_found,
            "limited": limited,
            "ticket": form.cleaned_data.get("tiket", "").upper() if steps else "",
        },
        status=status,
    )
