"""Pages of data-subject requests: the list (with deadline badges and the home queues), receiving a
request from the person page, and the request page with its steps. Thin: each POST calls one
service; refusals come back on the same page with the typed values kept."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.core.exceptions import DeskError
from slrt.core.http import capability_required, pdf_response
from slrt.core.locking import ConflictError
from slrt.core.queues import queue_from
from slrt.registry.selectors.people import get_person
from slrt.registry.tables import show_number

from . import selectors, services
from .forms import CASE_FIELD_LABELS, CaseCorrectionForm, FilterForm, ProposalCorrectionForm, ReceiveForm, VerifyForm
from .models import RequestChannel, RequestKind, RequestStatus
from .workflow import FIELD_LABELS, SIMPLE_ACTIONS, TRANSITIONS

PAGE_SIZE = 25


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("hal", "1")), 10_000))
    except ValueError:
        return 1


@region_safe  # requests_for reads through DataRequest.objects.for_user
@login_required
@capability_required("view_data_requests")
@require_GET
def request_list(request):
    queue = queue_from(selectors.PRIVACY_QUEUES, request)
    form = FilterForm(request.GET or None)
    qs = selectors.requests_for(request.user, queue=queue, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(_page_number(request))
    rows = [(r, selectors.is_overdue(r)) for r in page]
    selectors.record_requests_shown(request.user, page)
    return render(request, "privacy/request_list.html", {"form": form, "page": page, "rows": rows, "queue": queue})


@region_safe  # get_person reads through Person.objects.for_user; the service scopes again
@login_required
@capability_required("serve_data_requests")
@require_http_methods(["GET", "POST"])
def request_new(request, person_pk):
    person = get_person(request.user, person_pk)
    form = ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            r = services.receive(request.user, person=person, kind=c["kind"], channel=c["channel"],
                                 details=c["details"], received_at=c["received_at"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DeskError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Permintaan %(ref)s dicatat; tenggat %(deadline)s.") % {
                "ref": r.reference, "deadline": timezone.localtime(r.deadline_at).strftime("%d-%m-%Y %H:%M")})
            return redirect("privacy:detail", r.pk)
    return render(request, "privacy/request_new.html", {
        "person": person, "nik": show_number(request.user, person.nik), "form": form,
        "desk_channel": RequestChannel.DESK,
    }, status=422 if form.is_bound and form.errors else 200)


def _detail(request, r, *, forms=None, message="", status=200):
    user = request.user
    actions = selectors.actions_for(user, r)
    forms = forms or {}
    context = {
        "r": r, "overdue": selectors.is_overdue(r), "actions": actions, "message": message,
        "verify_form": forms.get("verify") or VerifyForm(),
        "proposal_form": forms.get("propose_correction") or ProposalCorrectionForm(),
        "simple_actions": [(name, TRANSITIONS[name]) for name in SIMPLE_ACTIONS if name in actions],
        "typed": forms.get("typed") or {}, "errors": forms.get("errors") or {}, "field_labels": FIELD_LABELS,
        "may_reprint": (can(user, "serve_data_requests") and r.kind == RequestKind.ACCESS
                        and r.status == RequestStatus.FULFILLED),
    }
    if "correct_case" in actions:
        cases = list(selectors.person_cases(user, r.person))
        context["case_form"] = forms.get("correct_case") or CaseCorrectionForm(cases=cases)
        context["has_cases"] = bool(cases)
    context["case_field_labels"] = CASE_FIELD_LABELS
    return render(request, "privacy/request_detail.html", context, status=status)


@region_safe  # get_request reads through DataRequest.objects.for_user; outside scope is 404
@login_required
@capability_required("view_data_requests")
@require_GET
def request_detail(request, pk):
    return _detail(request, selectors.get_request(request.user, pk))


def _refused(request, pk, exc, forms=None):
    """The request page again, telling why the service refused."""
    r = selectors.get_request(request.user, pk, audit=False)
    if isinstance(exc, ValidationError):
        return _detail(request, r, forms=forms, message=_("Periksa isian di bawah."), status=422)
    if isinstance(exc, ConflictError):
        return _detail(request, r, forms=forms, message=str(exc.message), status=409)
    return _detail(request, r, forms=forms, message=str(exc.message), status=exc.status)


def _form_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@region_safe  # the service locks the request through the actor's scope
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_verify(request, pk):
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _detail(request, selectors.get_request(request.user, pk, audit=False), forms={"verify": form},
                       message=_("Periksa isian di bawah."), status=422)
    try:
        services.verify_identity(request.user, pk, request.POST.get("version"), **form.cleaned_data)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _refused(request, pk, exc, {"verify": form})
    except (DeskError, ConflictError) as exc:
        return _refused(request, pk, exc, {"verify": form})
    messages.success(request, _("Identitas pemohon terverifikasi."))
    return redirect("privacy:detail", pk)


@region_safe  # the service locks the request through the actor's scope and reads the copy through it
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_copy(request, pk):
    """Fulfil an access request: the answer is the PDF itself (never stored, never cached)."""
    try:
        content = services.issue_copy(request.user, pk, request.POST.get("version"))
    except (DeskError, ConflictError, ValidationError) as exc:
        return _refused(request, pk, exc)
    return pdf_response(content, f"salinan-data-pribadi-{pk}.pdf", attachment=True)


@region_safe  # as request_copy
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_copy_again(request, pk):
    try:
        content = services.reissue_copy(request.user, pk)
    except DeskError as exc:
        return _refused(request, pk, exc)
    return pdf_response(content, f"salinan-data-pribadi-{pk}.pdf", attachment=True)


@region_safe  # the service locks the request through the scope; updates drafts through it too
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_propose(request, pk):
    form = ProposalCorrectionForm(request.POST)
    if not form.is_valid():
        return _detail(request, selectors.get_request(request.user, pk, audit=False),
                       forms={"propose_correction": form}, message=_("Periksa isian di bawah."), status=422)
    c = form.cleaned_data
    try:
        proposal = services.propose_correction(request.user, pk, request.POST.get("version"),
                                               data={c["column"]: c["value"]}, reason=c["reason"])
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error("value" if field not in form.fields else field, errors)
        return _refused(request, pk, exc, {"propose_correction": form})
    except (DeskError, ConflictError) as exc:
        return _refused(request, pk, exc, {"propose_correction": form})
    messages.success(request, _("Usulan perbaikan #%(n)s disusun dan masuk alur usulan pemutakhiran.")
                     % {"n": proposal.pk})
    return redirect("privacy:detail", pk)


@region_safe  # the service reads the person's cases through the actor's scope
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_correct_case(request, pk):
    r = selectors.get_request(request.user, pk, audit=False)
    form = CaseCorrectionForm(request.POST, cases=selectors.person_cases(request.user, r.person))
    if not form.is_valid():
        return _detail(request, r, forms={"correct_case": form}, message=_("Periksa isian di bawah."), status=422)
    c = form.cleaned_data
    try:
        case = services.correct_case(request.user, pk, request.POST.get("version"), case_id=c["case"],
                                     case_version=c.get("case_version"), values={c["field"]: c["value"]})
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error("value" if field not in form.fields else field, errors)
        return _refused(request, pk, exc, {"correct_case": form})
    except (DeskError, ConflictError) as exc:
        return _refused(request, pk, exc, {"correct_case": form})
    messages.success(request, _("Data kasus %(ticket)s diperbaiki.") % {"ticket": case.ticket})
    return redirect("privacy:detail", pk)


@region_safe  # the service locks the request through the actor's scope
@login_required
@capability_required("serve_data_requests")
@require_POST
def request_transition(request, pk):
    action = request.POST.get("action", "")
    typed = {"action": action, "reason": request.POST.get("reason", "")}
    try:
        services.transition(request.user, pk, action, request.POST.get("version"), reason=typed["reason"])
    except ValidationError as exc:
        return _refused(request, pk, exc, {"typed": typed, "errors": exc.message_dict})
    except (DeskError, ConflictError) as exc:
        return _refused(request, pk, exc, {"typed": typed})
    messages.success(request, _("Permintaan diperbarui: %(label)s.") % {"label": TRANSITIONS[action].label})
    return redirect("privacy:detail", pk)
