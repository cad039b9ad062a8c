"""Write side of referrals: drafting one, and moving it through `workflow.TRANSITIONS`.

`transition` is the single interpreter of the state machine: scope (404), role (403), stale
version (409 conflict), state (409 invalid_transition), required fields (422), consent gate,
then one conditional UPDATE, a `ReferralTransition` stamp, audit, timeline, notification and the
case status refresh, all in one transaction.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.audit.services import record
from slrt.cases.decisions import agency_allowed, agency_outside_area
from slrt.cases.events import log_event
from slrt.cases.models import Case, CaseStatus, CounterKind, LetterKind, Need, RecommendationKind, RecommendationStatus
from slrt.cases.tickets import next_number
from slrt.cases.workflow import FINAL_NEED, refresh_status
from slrt.core.exceptions import ConsentRequired, DecisionRequired, Forbidden, FourEyes, InvalidTransition
from slrt.core.locking import ConflictError, save_versioned
from slrt.core.text import required_texts
from slrt.notifications.services import notify

from .models import Referral, ReferralTransition
from .selectors import records_withdrawals
from .workflow import FIELD_LABELS, TRANSITIONS, WITHDRAWAL_CANCELS

DEFAULT_SLA_DAYS = 7
NOTIFY_ON = {"accept": "referral.accepted", "done": "referral.done"}
MAX_TEXT = 2000


def _next_number(case) -> str:
    """`RJK-<kab 4 digits>-<year>-<6-digit sequence>` from the locked per-kab counter."""
    year = timezone.localdate().year
    seq = next_number(CounterKind.REFERRAL, case.kab_code, year)
    return f"RJK-{case.kab_code.replace('.', '')}-{year}-{seq:06d}"


def _create(actor, case, need, service, agency, note, recommendation) -> Referral:
    referral = Referral(
        number=_next_number(case),
        case=case,
        need=need,
        recommendation=recommendation,
        agency=agency,
        service=service,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    referral.set_region(case.desa_code)
    referral.save()
    record(actor, "referral.draft", referral, detail={"case": case.pk, "agency": agency.code})
    log_event(case, actor, "referral.drafted", referral=referral.pk, number=referral.number, agency=agency.code)
    return referral


def draft_referral(actor, need, *, service=None, agency=None, note="", recommendation=None) -> Referral:
    """Draft a referral of one need, directly or from an approved agency recommendation."""
    if not can(actor, "manage_referrals"):
        raise Forbidden(_("Peran Anda tidak boleh menyusun rujukan."))
    errors = {}
    if recommendation is not None:
        if recommendation.kind != RecommendationKind.AGENCY or recommendation.status != RecommendationStatus.APPROVED:
            errors["recommendation"] = _("Rujukan hanya dapat dibuat dari rekomendasi layanan lembaga yang disetujui.")
        elif recommendation.need_id != need.pk:
            errors["recommendation"] = _("Rekomendasi ini untuk kebutuhan lain.")
        else:
            service = recommendation.service
    if service is not None:
        agency = service.agency
        if not service.active:
            errors["service"] = _("Layanan lembaga ini tidak aktif.")
    if agency is None:
        errors.setdefault("service", _("Pilih layanan lembaga tujuan rujukan."))
    elif not agency.active:
        errors["service"] = _("Lembaga ini tidak aktif.")
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        errors["note"] = _("Catatan terlalu panjang (maksimal 2000 karakter).")
    with transaction.atomic():
        case = Case.objects.for_user(actor).select_for_update().filter(pk=need.case_id).first()
        if case is None:
            raise Http404
        if case.status == CaseStatus.CLOSED:
            raise InvalidTransition(_("Kasus sudah ditutup; buka kembali kasus sebelum merujuk."))
        need = Need.objects.filter(pk=need.pk, case=case).first()
        if need is None:
            raise Http404
        if need.status in FINAL_NEED:
            errors["need"] = _("Kebutuhan ini sudah tertangani atau ditutup.")
        if agency is not None and "service" not in errors and not agency_allowed(agency, case.desa_code):
            errors["service"] = agency_outside_area()
        if errors:
            raise ValidationError(errors)
        referral = _create(actor, case, need, service, agency, note, recommendation)
        refresh_status(case)
    return referral


def draft_referral_system(actor, case, recommendation) -> Referral | None:
    """The draft that an approved agency recommendation produces (`cases.hooks.on_recommendation_approved`,
    inside the approval's transaction); other kinds of recommendation produce none."""
    if recommendation.kind != RecommendationKind.AGENCY:
        return None
    existing = Referral.objects.system().filter(recommendation=recommendation).first()
    if existing:
        return existing
    service = recommendation.service
    return _create(actor, case, recommendation.need, service, service.agency, recommendation.note, recommendation)


def _service_date(raw):
    """(date, error) for the date the agency served the resident."""
    if isinstance(raw, str):
        try:
            raw = dt.date.fromisoformat(raw.strip()) if raw.strip() else None
        except ValueError:
            return None, _("Tanggal layanan tidak valid (format TTTT-BB-HH).")
    if not raw:
        return None, _("Isi tanggal layanan.")
    if raw > timezone.localdate():
        return None, _("Tanggal layanan tidak boleh di masa depan.")
    return raw, None


def _clean_fields(transition, fields) -> dict:
    texts = [name for name in transition.required if name != "service_date"]
    values, errors = required_texts(texts, fields, FIELD_LABELS, MAX_TEXT)
    if "service_date" in transition.required:
        value, error = _service_date(fields.get("service_date"))
        if error:
            errors["service_date"] = error
        else:
            values["service_date"] = value
    if errors:
        raise ValidationError(errors)
    return values


def transition(actor, referral, action: str, expected_version, **fields) -> Referral:
    t = TRANSITIONS.get(action)
    if t is None:
        raise InvalidTransition(_("Tindakan rujukan tidak dikenal."))
    with transaction.atomic():
        # Lock order everywhere: the case row first, then its referral. Case writes lock the
        # case and then touch needs and referrals; taking the referral first here would let
        # the two wait on each other (a deadlock on PostgreSQL).
        case_id = Referral.objects.for_user(actor).filter(pk=referral.pk).values_list("case_id", flat=True).first()
        if case_id is None:
            raise Http404
        # A Mitra user may act on the referral without any scope on the case itself.
        case = Case.unscoped.select_for_update().get(pk=case_id)
        ref = (
            Referral.objects.for_user(actor)
            .select_for_update(of=("self",))
            .select_related("agency", "service", "recommendation")
            .filter(pk=referral.pk)
            .first()
        )
        if ref is None:
            raise Http404
        ref.case = case
        if actor.role not in t.roles:
            raise Forbidden(_("Peran Anda tidak boleh melakukan tindakan ini pada rujukan."))
        if expected_version in (None, ""):
            raise ValidationError({"version": _("Versi data tidak dikirim; muat ulang halaman.")})
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise ValidationError({"version": _("Versi data tidak valid; muat ulang halaman.")})
        # Someone else acted since the caller read the page: say so before judging the state,
        # which that other action has usually changed.
        if expected != ref.version:
            raise ConflictError(ref)
        if ref.status not in t.sources:
            raise InvalidTransition(
                _("Rujukan berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                % {"status": ref.get_status_display()}
            )
        case = ref.case
        # A closed case is finished business: only staff may still cancel what is left open
        # (the case is reopened first if the service must go on).
        if case.status == CaseStatus.CLOSED and action != "cancel":
            if action == "send":
                raise InvalidTransition(_("Kasus sudah ditutup; buka kembali kasus sebelum merujuk."))
            raise InvalidTransition(
                _("Kasus rujukan ini sudah ditutup; status rujukan tidak dapat diubah lagi. Hubungi SLRT.")
            )
        values = _clean_fields(t, fields)
        if action == "send":
            if case.consent_share_withdrawn_at:
                raise ConsentRequired(
                    _(
                        "Warga telah menarik persetujuan berbagi data dengan lembaga rujukan; rujukan tidak dapat "
                        "dikirim."
                    )
                )
            if not case.consent_share_agencies:
                raise ConsentRequired(
                    _("Warga belum menyetujui data dibagikan ke lembaga rujukan; rujukan tidak dapat dikirim.")
                )
            if ref.recommendation_id and ref.recommendation.status != RecommendationStatus.APPROVED:
                raise InvalidTransition(_("Rekomendasi rujukan ini belum disetujui."))
            # Penetapan layanan: a referral not backed by an approved recommendation is itself the
            # decision, so only those who decide (Manajer, Koordinator) may send it...
            if not ref.recommendation_id and not can(actor, "approve_recommendation"):
                raise DecisionRequired(
                    _(
                        "Rujukan langsung tanpa rekomendasi yang disetujui hanya dapat dikirim oleh Manajer SLRT "
                        "atau Koordinator Puskesos. Ajukan rekomendasi untuk diputuskan."
                    )
                )
            # ...and, like a recommendation, never by the one who drafted it (four eyes).
            if not ref.recommendation_id and ref.created_by_id == actor.pk:
                raise FourEyes(
                    _(
                        "Anda menyusun rujukan langsung ini; rujukan harus dikirim oleh Manajer SLRT atau "
                        "Koordinator Puskesos lain (prinsip empat mata), atau ajukan rekomendasi untuk diputuskan."
                    )
                )
            now = timezone.now()
            sla = ref.service.sla_days if ref.service_id else DEFAULT_SLA_DAYS
            values.update(sent_at=now, due_at=now + dt.timedelta(days=sla))
        _write(actor, case, ref, action, expected, values)
        refresh_status(case)
    return ref


def _write(actor, case, ref, action: str, expected: int, values: dict) -> None:
    """Apply one checked move of `workflow.TRANSITIONS` (the caller holds the case and referral
    locks): the conditional update, the stamp, audit, timeline, letters and notifications."""
    t = TRANSITIONS[action]
    from_status = ref.status
    values["status"] = t.target
    for name, value in values.items():
        setattr(ref, name, value)
    save_versioned(ref, expected, list(values))
    ReferralTransition.objects.create(
        referral=ref,
        from_status=from_status,
        to_status=t.target,
        action=action,
        actor=actor,
        note=values.get("reason", ""),
    )
    record(actor, f"referral.{action}", ref, detail={"case": case.pk, "from": from_status, "to": t.target})
    log_event(case, actor, f"referral.{action}", referral=ref.pk, number=ref.number, status=t.target)
    if action == "send":
        from slrt.cases.decisions import issue_letter

        signer = ref.recommendation.decided_by if ref.recommendation_id else actor
        issue_letter(actor, case, LetterKind.RUJUKAN, referral=ref, signer=signer)
    elif action == "cancel":
        from slrt.cases.decisions import revoke_letters

        revoke_letters(actor, ref)
    if action in NOTIFY_ON:
        notify(NOTIFY_ON[action], ref)


# --- withdrawal of consent to share (UU PDP) -----------------------------------------------------
# It lives here, not in `cases`, because it moves referrals: referrals already depend on cases, so
# putting it in cases would make the two import each other.


@dataclass
class Withdrawal:
    case: Case
    cancelled: list[Referral]  # the drafts cancelled
    flagged: list[Referral]  # the referrals the agency already holds, now flagged


def withdraw_share_consent(actor, case, expected_version, reason: str) -> Withdrawal:
    """The resident withdraws consent to share their data with agencies, in one transaction.

    The case stops being shareable (so `transition` refuses every later send), drafts not yet
    sent are cancelled through the state machine's own *cancel*, referrals the agency already
    received are flagged so its inbox warns it, and the agency and the Manajer SLRT of the
    kabupaten/kota are told. Timeline and audit name the referrals by number, never the reason.
    """
    if not records_withdrawals(actor):
        raise Forbidden(_("Peran Anda tidak boleh mencatat penarikan persetujuan."))
    values, errors = required_texts(("reason",), {"reason": reason}, {"reason": _("Keterangan penarikan")}, MAX_TEXT)
    if expected_version in (None, ""):
        errors["version"] = _("Versi data tidak dikirim; muat ulang halaman.")
    if errors:
        raise ValidationError(errors)
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("Versi data tidak valid; muat ulang halaman.")})
    with transaction.atomic():
        # Lock order as everywhere: the case first, then its referrals.
        locked = Case.objects.for_user(actor).select_for_update().filter(pk=case.pk).first()
        if locked is None:
            raise Http404
        if expected != locked.version:
            raise ConflictError(locked)
        if locked.consent_share_withdrawn_at:
            raise InvalidTransition(_("Persetujuan berbagi data kasus ini sudah ditarik."))
        if not (locked.consent_given and locked.consent_share_agencies):
            raise InvalidTransition(
                _("Warga tidak pernah menyetujui datanya dibagikan ke lembaga; tidak ada yang ditarik.")
            )
        now = timezone.now()
        locked.consent_share_agencies = False
        locked.consent_share_withdrawn_at = now
        locked.consent_withdrawal_reason = values["reason"]
        save_versioned(
            locked, expected, ["consent_share_agencies", "consent_share_withdrawn_at", "consent_withdrawal_reason"]
        )
        referrals = list(
            Referral.objects.for_user(actor)
            .select_for_update(of=("self",))
            .select_related("agency")
            .filter(case_id=locked.pk)
            .order_by("pk")
        )
        cancelled, flagged = [], []
        for ref in referrals:
            ref.case = locked
            if ref.status in WITHDRAWAL_CANCELS:
                note = _("Dibatalkan otomatis: warga menarik persetujuan berbagi data dengan lembaga rujukan.")
                _write(actor, locked, ref, "cancel", ref.version, {"reason": note})
                cancelled.append(ref)
            elif ref.sent_at is not None and ref.consent_withdrawn_at is None:
                # The agency holds the data already: it must know it may no longer use it.
                ref.consent_withdrawn_at = now
                save_versioned(ref, ref.version, ["consent_withdrawn_at"])
                record(actor, "referral.consent_flag", ref, detail={"case": locked.pk, "status": ref.status})
                notify("referral.consent_withdrawn", ref)
                flagged.append(ref)
        log_event(
            locked,
            actor,
            "case.consent_withdrawn",
            cancelled=", ".join(r.number for r in cancelled) or "—",
            flagged=", ".join(r.number for r in flagged) or "—",
        )
        record(
            actor,
            "case.consent_withdraw",
            locked,
            detail={"cancelled": [r.pk for r in cancelled], "flagged": [r.pk for r in flagged]},
        )
        refresh_status(locked)
    for field in ("version", "status", "consent_share_agencies", "consent_share_withdrawn_at",
                  "consent_withdrawal_reason"):
        setattr(case, field, getattr(locked, field))
    return Withdrawal(case=case, cancelled=cancelled, flagged=flagged)
