"""Retention rules of closed cases (registered into `audit.retention` by CasesConfig.ready()).

A closed case past its period keeps what the desk's figures need (ticket, region, type,
channel, dates, statuses, needs' sectors, decisions) and loses what could name the resident:
the applicant's fields, the registry link and every free text of the case, its needs, tasks and
recommendations. Anonymous cases (no consent) hold no applicant fields but their free text may
still name someone, so they have their own, shorter, period.
"""

from django.db.models import F

from slrt.audit.retention import Rule, register_rule

from .models import Case, CaseStatus, FollowUpTask, Need, Recommendation

_BATCH = 1000


def _anonymise(cases, now) -> int:
    done = 0
    pending = cases.filter(anonymised_at=None).order_by("id").values_list("id", flat=True)
    while True:
        ids = list(pending[:_BATCH])
        if not ids:
            return done
        Need.objects.filter(case_id__in=ids).update(description="", outcome="", version=F("version") + 1)
        FollowUpTask.objects.filter(case_id__in=ids).update(title="", result="")
        Recommendation.objects.filter(case_id__in=ids).update(
            note="", decision_note="", override_reason="", version=F("version") + 1
        )
        # The version moves, so a form still open on such a case cannot write its old text back.
        done += Case.objects.system().filter(id__in=ids).update(
            person=None, household=None, applicant_name="", applicant_nik="", applicant_phone="",
            applicant_email="", applicant_address="", summary="", close_reason="", reopen_reason="",
            consent_withdrawal_reason="", anonymised_at=now, version=F("version") + 1,
        )


def _closed_before(cutoff):
    return Case.objects.system().filter(status=CaseStatus.CLOSED, closed_at__lt=cutoff)


def anonymise_closed_anonymous(cutoff, now) -> int:
    return _anonymise(_closed_before(cutoff).filter(consent_given=False), now)


def anonymise_closed(cutoff, now) -> int:
    return _anonymise(_closed_before(cutoff).filter(consent_given=True), now)


def register() -> None:
    register_rule(Rule(
        kind="cases.closed_anonymous",
        description="Kasus anonim (tanpa persetujuan) yang sudah selesai: semua teks bebas dikosongkan.",
        default_days=2 * 365, apply=anonymise_closed_anonymous,
    ))
    register_rule(Rule(
        kind="cases.closed",
        description="Kasus dengan data pemohon yang sudah selesai: identitas pemohon, tautan registri "
                    "dan teks bebas dikosongkan.",
        default_days=5 * 365, apply=anonymise_closed,
    ))
