"""Web pages of decisions: draft a recommendation, approve or reject it (four eyes), download a
letter, and the public verification page a letter's QR code opens.

The forms live in the case page's decision panel (`cases/_decisions.html`); these views only
answer their POSTs. A refused or stale POST re-renders the form on its own page with what the
user typed and the reason, so nothing typed is lost.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.exceptions import DeskError
from slrt.core.http import capability_required, parse_pk, pdf_response
from slrt.core.locking import ConflictError
from slrt.programs.hooks import PageSection
from slrt.programs.models import AgencyService, Program

from . import decisions, letters
from .models import Need
from .selectors import get_case


def back_to(request, fallback="/") -> str:
    """The page the form was on (the case page), if it is ours; the panel sends it as `next`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _error_page(request, case, *, status, message="", errors=None, draft=None, decide=None):
    errors = dict(errors or {})
    message = " ".join([str(message), *map(str, errors.pop("__all__", []))]).strip()
    context = {
        "case": case,
        "message": message,
        "errors": errors,
        "draft": draft,
        "decide": decide,
        "next": back_to(request, reverse("cases:detail", args=[case.pk])),
        "options": decisions.decision_options(request.user, case) if draft is not None else None,
    }
    return render(request, "referrals/decision_page.html", context, status=status)


def _chosen(data, name) -> tuple[str, bool]:
    """The one value picked for `name` across the sector list and the "show all" list (both
    selects carry the same name), and whether two different ones were picked."""
    values = {v for v in data.getlist(name) if v}
    return (next(iter(values)) if len(values) == 1 else (sorted(values)[0] if values else "")), len(values) > 1


@region_safe  # the case is read through Case.objects.for_user; outside scope is 404
@login_required
@capability_required("draft_recommendation")
@require_POST
def recommendation_draft(request, case_pk):
    case = get_case(request.user, case_pk, audit=False)  # a write; the write is audited
    data = request.POST
    need = Need.objects.filter(pk=parse_pk(data.get("need")), case=case).first()
    chosen = {name: _chosen(data, name) for name in ("program", "service")}
    program = Program.objects.filter(pk=parse_pk(chosen["program"][0])).first() if chosen["program"][0] else None
    service = (
        AgencyService.objects.select_related("agency").filter(pk=parse_pk(chosen["service"][0])).first()
        if chosen["service"][0]
        else None
    )
    typed = {k: data.get(k, "") for k in ("need", "kind", "note")}
    typed.update(program=chosen["program"][0], service=chosen["service"][0])
    # A choice from the "show all" list re-opens that list when the form comes back.
    typed["program_other"] = bool(program and need and program.sector != need.sector)
    typed["service_other"] = bool(service and need and service.sector != need.sector)
    if need is None:
        return _error_page(request, case, status=422, errors={"need": [_("Pilih kebutuhan.")]}, draft=typed)
    twice = {
        name: [_("Pilih satu saja: di daftar sektor kebutuhan atau di daftar semua.")]
        for name, (_value, several) in chosen.items()
        if several
    }
    if twice:
        return _error_page(request, case, status=422, errors=twice, draft=typed)
    try:
        decisions.draft_recommendation(
            request.user, need, data.get("kind", ""), program=program, service=service, note=data.get("note", "")
        )
    except ValidationError as exc:
        return _error_page(request, case, status=422, errors=exc.message_dict, draft=typed)
    except DeskError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message)
        return _error_page(request, case, status=exc.status, message=exc.message, draft=typed)
    messages.success(request, _(
        "Rekomendasi %(what)s untuk kebutuhan %(sector)s (%(ticket)s) disimpan sebagai draf dan menunggu keputusan."
    ) % {
        "what": program.name if program else (service.name if service else _("penanganan Puskesos")),
        "sector": need.get_sector_display(), "ticket": case.ticket,
    })
    return redirect(back_to(request, reverse("cases:detail", args=[case.pk])))


@region_safe  # the recommendation is reached through its case's for_user scope
@login_required
@capability_required("approve_recommendation")
@require_POST
def recommendation_decide(request, pk):
    rec = decisions.get_recommendation(request.user, pk)
    data = request.POST
    decision = data.get("decision")
    typed = {
        "decision": decision,
        "note": data.get("note", ""),
        "version": data.get("version", ""),
        "override": data.get("override") == "1",
        "override_reason": data.get("override_reason", ""),
        "rec": rec,
        "eligibility": decisions.recommendation_eligibility(rec),
    }
    if decision not in ("approve", "reject"):
        return _error_page(request, rec.case, status=422, message=_("Pilih setujui atau tolak."), decide=typed)
    try:
        decisions.decide_recommendation(
            request.user,
            rec,
            approve=decision == "approve",
            expected_version=data.get("version"),
            note=data.get("note", ""),
            override=typed["override"],
            override_reason=typed["override_reason"],
        )
    except ConflictError as exc:
        rec.refresh_from_db()
        typed["rec"] = rec
        return _error_page(request, rec.case, status=409, message=exc.message, decide=typed)
    except ValidationError as exc:
        return _error_page(request, rec.case, status=422, errors=exc.message_dict, decide=typed)
    except DeskError as exc:  # four eyes (403), already decided or case closed (409)
        return _error_page(request, rec.case, status=exc.status, message=exc.message, decide=typed)
    what = rec.program.name if rec.program_id else (rec.service.name if rec.service_id else rec.get_kind_display())
    done = _("Rekomendasi %(what)s untuk %(ticket)s disetujui.") if decision == "approve" else _(
        "Rekomendasi %(what)s untuk %(ticket)s ditolak.")
    messages.success(request, done % {"what": what, "ticket": rec.case.ticket})
    return redirect(back_to(request, reverse("cases:detail", args=[rec.case_id])))


@region_safe  # get_letter checks the case scope, or the referral scope of a Mitra user
@login_required
@capability_required("view_referrals")
@require_GET
def letter_pdf(request, pk):
    letter = decisions.get_letter(request.user, pk)
    record(request.user, "letter.download", letter, region_code=letter.case.desa_code, detail={"kind": letter.kind})
    return pdf_response(letters.render_letter(letter, request.user), letters.filename(letter))


@region_safe  # public by design: shows the letter's register entry and initials, nothing personal
@require_GET
def verify_letter(request, token):
    letter = decisions.letter_by_token(token)
    if letter is None:
        return render(request, "cases/letter_verify.html", {"letter": None}, status=404)
    office, _lines, _place = letters.office_of(letter.case)
    context = {
        "letter": letter,
        "office": office,
        "initials": letters.initials(letter.case.applicant_name),
        "referral": letter.referral,
    }
    response = render(request, "cases/letter_verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def program_overrides_section(user, program) -> PageSection:
    """On a programme's page (`programs.hooks.on_program_page`): the approvals of it that
    override the matching, in the viewer's scope (`Case.objects.for_user` inside)."""
    return PageSection("cases/_program_overrides.html", {"overrides": decisions.program_overrides(user, program)})
