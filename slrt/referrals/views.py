"""Web pages of referrals: the staff list, the Mitra inbox, one referral, and the POSTs that draft
a referral or move it through the state machine.

Thin by design: the scope is in `selectors` (for_user; out of scope is 404), the rules in
`services.transition`. A refused or stale action re-renders the referral page with what the user
typed and the reason (409 on a conflict), so nothing typed is lost.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.cases.decision_views import back_to
from slrt.cases.models import Need
from slrt.cases.selectors import get_case
from slrt.core.dbrouter import replica_reads
from slrt.core.exceptions import DecisionRequired, DeskError, FourEyes
from slrt.core.http import capability_required, parse_pk
from slrt.core.locking import ConflictError
from slrt.programs.models import AgencyService

from . import selectors, services
from .forms import ReferralFilterForm
from .workflow import DONE_MESSAGES, FIELD_LABELS, TRANSITIONS

PAGE_SIZE = 25
TYPED_FIELDS = ("reason", "service_given", "outcome", "service_date")


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("hal"))


@region_safe  # referrals_for reads through Referral.objects.for_user
@login_required
@capability_required("view_referrals")
@require_GET
@replica_reads  # a search page: the read replica may serve it (read-your-writes)
def referral_list(request):
    if request.user.role == Role.MITRA:
        return redirect("referrals:inbox")
    user = request.user
    form = ReferralFilterForm(
        request.GET or None, agencies=selectors.agency_choices(user), user=user,
        queues=[q for q in selectors.REFERRAL_QUEUES.values() if can(user, q.capability)],
    )
    return _list_page(request, form, selectors.referral_filters_from, "referrals/referral_list.html",
                      lambda page: [(r, selectors.is_overdue(r)) for r in page], "referral.list")


def _list_page(request, form, filters_from, template, rows_of, action):
    """One list page: the filters (a bad one is named on the page, 400, and nothing listed), the
    page of rows, one audit row of what was shown."""
    user = request.user
    try:
        filters = filters_from(request.GET, user)
    except ValueError as exc:
        form.is_valid()  # the field errors show beside the fields
        context = {"form": form, "page": _page(request, selectors.referrals_for(user).none()), "rows": [],
                   "filter_error": str(exc)}
        return render(request, template, context, status=400)
    page = _page(request, selectors.list_referrals(user, filters))
    rows = rows_of(page)
    selectors.record_referrals_shown(user, page, action=action)
    return render(request, template, {
        "form": form, "page": page, "rows": rows, "filters": filters,
        "reason_label": selectors.reason_label(user, filters.reason),
    })


@region_safe  # Referral.scope_q limits a Mitra user to referrals sent to its own agency
@login_required
@capability_required("respond_referral")
@require_GET
@replica_reads  # a list page: the read replica may serve it (read-your-writes)
def inbox(request):
    form = ReferralFilterForm(request.GET or None, inbox=True, queues=list(selectors.INBOX_QUEUES.values()))
    return _list_page(request, form, selectors.inbox_filters_from, "referrals/inbox.html",
                      lambda page: [selectors.mitra_view(r) for r in page], "referral.inbox")


def _detail_context(request, referral, *, typed=None, errors=None, message=""):
    user = request.user
    actions = [(name, TRANSITIONS[name]) for name in selectors.actions_for(user, referral)]
    context = {
        "referral": referral,
        "actions": actions,
        "typed": typed or {},
        "errors": errors or {},
        "message": message,
        "letter": selectors.referral_letter(referral),
        "awaits_decision": selectors.awaits_decision(user, referral),
        "own_direct_draft": selectors.own_direct_draft(user, referral),
        "field_labels": FIELD_LABELS,
        "next": back_to(request, ""),
    }
    if user.role == Role.MITRA:
        context["view"] = selectors.mitra_view(referral)
    else:
        context["transitions"] = referral.transitions.select_related("actor")
        context["overdue"] = selectors.is_overdue(referral)
    return context


def _template(user) -> str:
    return "referrals/inbox_detail.html" if user.role == Role.MITRA else "referrals/referral_detail.html"


@region_safe  # get_referral reads through for_user; another agency's or region's referral is 404
@login_required
@capability_required("view_referrals")
@require_GET
def referral_detail(request, pk):
    referral = selectors.get_referral(request.user, pk)
    record(request.user, "referral.view", referral, detail={"status": referral.status})
    return render(request, _template(request.user), _detail_context(request, referral))


@region_safe  # get_referral reads through for_user; the service checks the scope again under lock
@login_required
@capability_required("view_referrals")
@require_POST
def referral_transition(request, pk):
    referral = selectors.get_referral(request.user, pk)
    action = request.POST.get("action", "")
    typed = {k: request.POST.get(k, "") for k in TYPED_FIELDS}
    typed["action"] = action
    fields = {k: v for k, v in typed.items() if k in TYPED_FIELDS}
    try:
        services.transition(request.user, referral, action, request.POST.get("version"), **fields)
    except ConflictError as exc:
        fresh = selectors.get_referral(request.user, pk)
        context = _detail_context(request, fresh, typed=typed, message=exc.message)
        return render(request, _template(request.user), context, status=409)
    except ValidationError as exc:
        context = _detail_context(request, referral, typed=typed, errors=exc.message_dict)
        return render(request, _template(request.user), context, status=422)
    except DeskError as exc:
        # A plain role refusal gets the generic 403 page; refusals that explain a rule the
        # user can act on (penetapan layanan, four eyes) re-render the referral with the reason.
        if exc.status == 403 and not isinstance(exc, DecisionRequired | FourEyes):
            raise PermissionDenied(exc.message)
        fresh = selectors.get_referral(request.user, pk)
        context = _detail_context(request, fresh, typed=typed, message=exc.message)
        context["error_code"] = exc.code
        return render(request, _template(request.user), context, status=exc.status)
    messages.success(request, DONE_MESSAGES[action] % {"number": referral.number, "agency": referral.agency.name})
    return redirect(back_to(request, reverse("referrals:detail", args=[pk])))


@region_safe  # the case is read through Case.objects.for_user; outside scope is 404
@login_required
@capability_required("manage_referrals")
@require_http_methods(["POST"])
def referral_draft(request, case_pk):
    case = get_case(request.user, case_pk, audit=False)  # a write; the write is audited
    data = request.POST
    need = Need.objects.filter(pk=parse_pk(data.get("need")), case=case).first()
    service = AgencyService.objects.select_related("agency").filter(pk=parse_pk(data.get("service"))).first()
    typed = {k: data.get(k, "") for k in ("need", "service", "note")}
    errors = {}
    if need is None:
        errors["need"] = [_("Pilih kebutuhan yang dirujuk.")]
    if service is None:
        errors["service"] = [_("Pilih layanan lembaga tujuan rujukan.")]
    message = ""
    if not errors:
        try:
            referral = services.draft_referral(request.user, need, service=service, note=data.get("note", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        except DeskError as exc:
            message = exc.message
        else:
            messages.success(request, _("Draf rujukan %(number)s ke %(agency)s untuk %(need)s dibuat.") % {
                "number": referral.number, "agency": service.agency.name, "need": need.get_sector_display(),
            })
            return redirect(back_to(request, reverse("referrals:detail", args=[referral.pk])))
    context = {
        "case": case,
        "typed": typed,
        "errors": errors,
        "message": message,
        "next": back_to(request, reverse("cases:detail", args=[case.pk])),
        "needs": case.needs.all(),
        "services": selectors.service_choices(case),
    }
    return render(request, "referrals/draft_page.html", context, status=409 if message else 422)




@region_safe  # the case is read through Case.objects.for_user; the service locks it in scope again
@login_required
@capability_required("view_cases")
@require_http_methods(["GET", "POST"])
def consent_withdraw(request, case_pk):
    """The resident withdraws consent to share their data with agencies (UU PDP).

    GET shows the form on its own page; POST records it through `services.withdraw_share_consent`.
    A refusal re-renders the form with the reason typed and what went wrong.
    """
    if not selectors.records_withdrawals(request.user):
        raise PermissionDenied(_("Peran Anda tidak boleh mencatat penarikan persetujuan."))
    case = get_case(request.user, case_pk, audit=request.method == "GET")
    typed = {"reason": request.POST.get("reason", ""), "version": request.POST.get("version") or case.version}
    errors, message, status = {}, "", 200
    if request.method == "POST":
        try:
            result = services.withdraw_share_consent(
                request.user, case, request.POST.get("version"), request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors, status = exc.message_dict, 422
        except ConflictError as exc:
            # Show the fresh version; the typed reason stays so one more click records it.
            message, status = exc.message, 409
            typed["version"] = get_case(request.user, case_pk, audit=False).version
        except DeskError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message)
            message, status = exc.message, exc.status
        else:
            messages.success(request, selectors.withdrawal_message(result))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#persetujuan")
    context = {
        "case": case,
        "typed": typed,
        "errors": errors,
        "message": message,
        "may_withdraw": selectors.may_withdraw_consent(request.user, case),
    }
    return render(request, "referrals/consent_withdraw.html", context, status=status)
