"""Decisions (*penetapan layanan*): recommendations, the four-eyes approval, and issued letters.

Services here are the only writers of `Recommendation` and `Letter`; selectors the only readers
for views and the API. Every read starts from a case or referral the caller may see
(`for_user`), so anything outside the caller's scope is `Http404`, like a missing record.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import Role, can
from slrt.audit.services import record
from slrt.core.exceptions import Forbidden, FourEyes, InvalidTransition
from slrt.core.locking import ConflictError, save_versioned
from slrt.programs.models import AgencyService, Program
from slrt.wilayah.models import NATION_CODE, ancestor_codes

from . import hooks
from .events import log_event
from .models import (
    Case,
    CaseStatus,
    CounterKind,
    Letter,
    LetterKind,
    Need,
    Recommendation,
    RecommendationKind,
    RecommendationStatus,
)
from .selectors import get_case
from .tickets import next_number
from .workflow import FINAL_NEED, refresh_status

# Letter kind issued when a recommendation of each kind is approved. An agency service is
# documented by the Surat Rujukan that goes out with its referral, so approval issues none.
LETTER_FOR_KIND = {
    RecommendationKind.PROGRAM: LetterKind.REKOMENDASI,
    RecommendationKind.PUSKESOS: LetterKind.KETERANGAN,
}
LETTER_CODE = "400.9"  # classification code of social-welfare correspondence


AGENCY_OUTSIDE_AREA = "agency_outside_area"  # ValidationError code of the area rule below


def agency_outside_area() -> ValidationError:
    return ValidationError(
        _(
            "Lembaga ini berada di luar wilayah warga; pilih lembaga di kabupaten/kota, provinsi, "
            "atau tingkat nasional dari wilayah warga."
        ),
        code=AGENCY_OUTSIDE_AREA,
    )


def outside_area_message(exc: ValidationError) -> str | None:
    """The area-rule message inside a refusal, so the API can answer it with its own code."""
    for error in getattr(exc, "error_dict", {}).get("service", []):
        if error.code == AGENCY_OUTSIDE_AREA:
            return next(iter(error))
    return None


# --- selectors -----------------------------------------------------------------------------------


def get_recommendation(user, pk) -> Recommendation:
    rec = Recommendation.objects.select_related("case", "need", "program", "service__agency").filter(pk=pk).first()
    if rec is None or not Case.objects.for_user(user).filter(pk=rec.case_id).exists():
        raise Http404
    return rec


def case_recommendations(user, case) -> list[Recommendation]:
    get_case(user, case.pk, audit=False)  # scope check only; the page around it audits the read
    return list(
        Recommendation.objects.filter(case=case)
        .select_related("need", "program", "service__agency", "drafted_by", "decided_by")
        .order_by("need_id", "id")
    )


def case_letters(user, case) -> list[Letter]:
    get_case(user, case.pk, audit=False)
    return list(Letter.objects.filter(case=case).select_related("referral", "recommendation"))


def get_letter(user, pk) -> Letter:
    """A letter its case's staff may see, or one an app above cases lets the user see (referrals:
    a Surat Rujukan sent to the Mitra user's agency, `hooks.on_letter_access`)."""
    letter = Letter.objects.select_related("case", "referral", "recommendation").filter(pk=pk).first()
    if letter is None:
        raise Http404
    visible = hooks.letter_access(user, letter)
    if visible is None:
        visible = Case.objects.for_user(user).filter(pk=letter.case_id).exists()
    if not visible:
        raise Http404
    return letter


def letter_by_token(token: str) -> Letter | None:
    """For the public verification page: the token is the only key, and it is unguessable."""
    if not token or len(token) > 32:
        return None
    return Letter.objects.select_related("case", "referral__agency").filter(token=token).first()


def recommendation_eligibility(rec):
    """What the matching says of a programme recommendation's household: a `Match` explained per
    criterion, or None (not a programme, no household from the registry or a visit, or no rule)."""
    if rec.kind != RecommendationKind.PROGRAM or rec.program_id is None or rec.case.household_id is None:
        return None
    from slrt.programs.selectors.assessment import program_eligibility
    from slrt.registry.models import Household

    # The case was read in scope; its household is read for it like the case page's matching.
    household = Household.objects.system().filter(pk=rec.case.household_id).first()
    return program_eligibility(household, rec.program)


def failed_criteria(match) -> list[dict]:
    """The failing criteria of a match as stored with an override: what the approver saw."""
    return [
        {"field": line.field, "text": line.text, "rule_version": match.rule_version}
        for line in match.lines
        if not line.passed
    ]


def override_counts(user, *, region: str = "") -> dict[str, int]:
    """Approved programme recommendations that override the matching, per programme code, in the
    user's scope (optionally inside one region): inclusion errors in the making."""
    from django.db.models import Count

    qs = Recommendation.objects.filter(
        case__in=Case.objects.for_user(user), status=RecommendationStatus.APPROVED, eligibility_override=True
    )
    if region:
        qs = qs.filter(Q(case__desa_code=region) | Q(case__desa_code__startswith=f"{region}."))
    return dict(qs.values("program__code").annotate(n=Count("id")).values_list("program__code", "n"))


def program_overrides(user, program) -> list[Recommendation]:
    """The override approvals of one programme in the user's scope, newest first."""
    return list(
        Recommendation.objects.filter(
            case__in=Case.objects.for_user(user),
            program=program,
            status=RecommendationStatus.APPROVED,
            eligibility_override=True,
        )
        .select_related("case", "decided_by")
        .order_by("-decided_at", "-id")
    )


def decision_options(user, case) -> dict:
    """Choices for the drafting form: open needs, active programmes and agency services, and per
    open need the programmes and services of its sector first (`forms`), the rest apart."""
    needs = [n for n in case.needs.all() if n.status not in FINAL_NEED]
    programs = list(_programs_for(case).order_by("code"))
    services = list(services_for(case).order_by("agency__name", "name"))
    return {
        "needs": needs,
        "programs": programs,
        "services": services,
        "forms": [
            {**need_options(need, programs, services), "suffix": f"-{need.pk}" if i else ""}
            for i, need in enumerate(needs)
        ],
    }


def need_options(need, programs, services) -> dict:
    return {
        "need": need,
        "programs": [p for p in programs if p.sector == need.sector],
        "programs_other": [p for p in programs if p.sector != need.sector],
        "services": [s for s in services if s.sector == need.sector],
        "services_other": [s for s in services if s.sector != need.sector],
    }


def agency_regions_q(desa_code: str, prefix: str = "region") -> Q:
    """Where an agency that may receive this resident's data sits: the nation, the province or
    the kabupaten/kota of the resident (or inside it). Another district's agency never does, so
    a desk cannot send personal data across districts."""
    kab = ".".join(desa_code.split(".")[:2])
    return Q(**{f"{prefix}__in": [NATION_CODE, *ancestor_codes(desa_code)]}) | Q(
        **{f"{prefix}__code__startswith": f"{kab}."}
    )


def agency_allowed(agency, desa_code: str) -> bool:
    parts = desa_code.split(".")
    kab = ".".join(parts[:2])
    region = agency.region_id or ""
    return region in (NATION_CODE, *ancestor_codes(desa_code)) or region.startswith(f"{kab}.")


def services_for(case):
    """Active agency services that may be chosen for this case (its area only)."""
    return (
        AgencyService.objects.filter(active=True, agency__active=True)
        .filter(agency_regions_q(case.desa_code, "agency__region"))
        .select_related("agency")
    )


def _programs_for(case):
    """Active programmes available to the case's desa: national ones and those of its own region."""
    return Program.objects.filter(active=True).filter(
        Q(region__isnull=True) | Q(region_id__in=ancestor_codes(case.desa_code))
    )


# --- services ------------------------------------------------------------------------------------


def _open_case(actor, case_id) -> Case:
    case = Case.objects.for_user(actor).select_for_update().filter(pk=case_id).first()
    if case is None:
        raise Http404
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition(_("Kasus sudah ditutup; buka kembali kasus sebelum mengubah keputusan."))
    return case


def draft_recommendation(actor, need, kind, *, program=None, service=None, note="") -> Recommendation:
    """The back office proposes a programme, an agency service or Puskesos handling for one need."""
    if not can(actor, "draft_recommendation"):
        raise Forbidden(_("Peran Anda tidak boleh menyusun rekomendasi."))
    errors = {}
    if kind not in RecommendationKind.values:
        errors["kind"] = _("Pilih jenis rekomendasi: program, layanan lembaga, atau ditangani Puskesos.")
    if kind == RecommendationKind.PROGRAM:
        if program is None:
            errors["program"] = _("Pilih program bantuan yang direkomendasikan.")
        elif not program.active:
            errors["program"] = _("Program ini tidak aktif.")
        elif program.region_id and program.region_id not in ancestor_codes(need.case.desa_code):
            errors["program"] = _("Program ini tidak berlaku di wilayah warga.")
        service = None
    elif kind == RecommendationKind.AGENCY:
        if service is None:
            errors["service"] = _("Pilih layanan lembaga yang direkomendasikan.")
        elif not (service.active and service.agency.active):
            errors["service"] = _("Layanan lembaga ini tidak aktif.")
        program = None
    else:
        program = service = None
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = _("Pertimbangan terlalu panjang (maksimal 2000 karakter).")
    with transaction.atomic():
        case = _open_case(actor, need.case_id)
        need = Need.objects.filter(pk=need.pk, case=case).first()
        if need is None:
            raise Http404
        if need.status in FINAL_NEED:
            errors["need"] = _("Kebutuhan ini sudah tertangani atau ditutup.")
        if service is not None and "service" not in errors and not agency_allowed(service.agency, case.desa_code):
            errors["service"] = agency_outside_area()
        if errors:
            raise ValidationError(errors)
        rec = Recommendation.objects.create(
            case=case, need=need, kind=kind, program=program, service=service, note=note, drafted_by=actor
        )
        record(actor, "recommendation.draft", rec, region_code=case.desa_code, detail={"case": case.pk, "kind": kind})
        log_event(case, actor, "recommendation.drafted", recommendation=rec.pk, need=need.pk, type=kind)
        refresh_status(case)
    return rec


OVERRIDE_REQUIRED = "override_required"  # ValidationError code: approval of a not-eligible programme


def decide_recommendation(
    actor, rec, *, approve: bool, expected_version, note="", override=False, override_reason=""
) -> Recommendation:
    """Approve or reject a draft. Four eyes: the drafter never decides their own draft.

    Approving a programme the matching marks not eligible is an explicit override with a reason;
    the failing criteria are stored with it, and it goes on the timeline and the letter."""
    if not can(actor, "approve_recommendation"):
        raise Forbidden(_("Hanya Manajer SLRT atau Koordinator Puskesos yang boleh memutuskan rekomendasi."))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Tuliskan alasan penolakan.")})
    if len(note) > 2000:
        raise ValidationError({"note": _("Catatan terlalu panjang (maksimal 2000 karakter).")})
    if expected_version in (None, ""):
        raise ValidationError({"version": _("Versi data tidak dikirim; muat ulang halaman.")})
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("Versi data tidak valid; muat ulang halaman.")})
    with transaction.atomic():
        case = _open_case(actor, rec.case_id)
        rec = Recommendation.objects.select_for_update().filter(pk=rec.pk, case=case).first()
        if rec is None:
            raise Http404
        if rec.drafted_by_id == actor.pk:
            raise FourEyes(
                _("Anda menyusun rekomendasi ini; keputusan harus diambil oleh orang lain (prinsip empat mata).")
            )
        if expected_version != rec.version:
            raise ConflictError(rec)
        if rec.status != RecommendationStatus.DRAFT:
            raise InvalidTransition(_("Rekomendasi ini sudah diputuskan."))
        if approve and Need.objects.filter(pk=rec.need_id, status__in=FINAL_NEED).exists():
            # Approving would issue a letter or a referral for a need that no longer waits for one.
            raise InvalidTransition(
                _("Kebutuhan rekomendasi ini sudah tertangani atau ditutup; rekomendasi hanya dapat ditolak.")
            )
        fields = ["status", "decided_by", "decided_at", "decision_note"]
        match = recommendation_eligibility(rec) if approve else None
        if match is not None and not match.eligible:
            reason = (override_reason or "").strip()
            if not override:
                raise ValidationError(
                    {
                        "override": ValidationError(
                            _(
                                "Menurut pencocokan, keluarga tidak layak untuk %(program)s. Untuk tetap "
                                "menyetujui, centang Setujui dengan penyimpangan dan tuliskan alasannya."
                            )
                            % {"program": rec.program.name},
                            code=OVERRIDE_REQUIRED,
                        )
                    }
                )
            if not reason:
                raise ValidationError(
                    {"override_reason": _("Tuliskan alasan penyimpangan dari hasil pencocokan.")}
                )
            if len(reason) > 2000:
                raise ValidationError({"override_reason": _("Alasan terlalu panjang (maksimal 2000 karakter).")})
            rec.eligibility_override, rec.override_reason = True, reason
            rec.failed_criteria = failed_criteria(match)
            fields += ["eligibility_override", "override_reason", "failed_criteria"]
        rec.status = RecommendationStatus.APPROVED if approve else RecommendationStatus.REJECTED
        rec.decided_by, rec.decided_at, rec.decision_note = actor, timezone.now(), note
        save_versioned(rec, expected_version, fields)
        action = "approved" if approve else "rejected"
        detail = {"case": case.pk}
        if rec.eligibility_override:
            detail.update(override=True, failed=[c["field"] for c in rec.failed_criteria])
        record(actor, f"recommendation.{action}", rec, region_code=case.desa_code, detail=detail)
        log_event(case, actor, f"recommendation.{action}", recommendation=rec.pk, need=rec.need_id, type=rec.kind)
        if rec.eligibility_override:
            # The reason is the approver's own words about the decision, shown to the case's staff
            # like the recommendation itself; the programme is named, the criteria counted.
            log_event(
                case,
                actor,
                "recommendation.override",
                recommendation=rec.pk,
                program=rec.program.name,
                failed=len(rec.failed_criteria),
                reason=rec.override_reason,
            )
        if approve:
            if rec.kind in LETTER_FOR_KIND:
                issue_letter(actor, case, LETTER_FOR_KIND[rec.kind], recommendation=rec, signer=actor)
            # An agency service goes out as a referral: referrals drafts it here, so staff only
            # have to send it.
            hooks.recommendation_approved(actor, case, rec)
        refresh_status(case)
    return rec


def signer_of(user, case) -> tuple[str, str]:
    name = user.get_full_name() or user.username
    if user.role == Role.KOORDINATOR_PUSKESOS:
        title = _("Koordinator Puskesos %(region)s") % {"region": user.region.name if user.region else ""}
    elif user.role == Role.MANAJER:
        title = _("Manajer SLRT %(region)s") % {"region": user.region.name if user.region else ""}
    else:
        title = user.get_role_display()
    return name, title.strip()


def _next_letter_number(case, year: int) -> str:
    # One sequence per district and year, like an office's outgoing-mail register; the district
    # code in the number keeps it unique across districts on a shared server.
    seq = next_number(CounterKind.LETTER, case.kab_code, year)
    return f"{LETTER_CODE}/{seq:04d}/SLRT-{case.kab_code.replace('.', '')}/{year}"


def issue_letter(actor, case, kind, *, recommendation=None, referral=None, signer=None) -> Letter:
    """Issue a numbered letter with a verification token. Call inside the caller's transaction.

    The issuing desk's default signatory signs it (name, title, NIP); a desk without one has
    the deciding officer sign, without a NIP."""
    from slrt.wilayah.desks import default_signatory, issuing_desk

    name, title = signer_of(signer or actor, case)
    nip = ""
    signatory = default_signatory(issuing_desk(case, signer or actor))
    if signatory is not None:
        name, title, nip = signatory.name, signatory.title, signatory.nip
    letter = Letter.objects.create(
        case=case,
        kind=kind,
        number=_next_letter_number(case, timezone.localdate().year),
        token=secrets.token_urlsafe(18),
        recommendation=recommendation,
        referral=referral,
        signer_name=name,
        signer_title=title,
        signer_nip=nip,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(actor, "letter.issue", letter, region_code=case.desa_code, detail={"case": case.pk, "kind": kind})
    log_event(case, actor, "letter.issued", letter=letter.pk, type=kind, number=letter.number)
    return letter


def revoke_letters(actor, referral) -> None:
    """A cancelled referral's letter stops being valid; the verification page says so."""
    now = timezone.now()
    for letter in Letter.objects.filter(referral=referral, revoked_at__isnull=True):
        Letter.objects.filter(pk=letter.pk).update(revoked_at=now)
        record(actor, "letter.revoke", letter, region_code=referral.desa_code, detail={"referral": referral.pk})
