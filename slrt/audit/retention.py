"""Retention: what the law no longer allows to keep is erased or anonymised, and that it was is audited.

Each kind of record has one rule: a name (`cases.closed_anonymous`), a period in days and the
function that erases or anonymises the records older than the period's cutoff, returning how
many it changed. The apps owning the records register their rules (`register_rule`, from their
AppConfig.ready(); cases registers its closed cases); audit registers its own: the payload
(`detail`) of sealed audit rows. The periods are defaults that `SLRT_RETENTION_DAYS`
overrides per kind (settings; `off` keeps a kind for ever), set to the district's archive
retention schedule (JRA).

`apply_retention` (the `apply_retention` command, run daily) applies every rule in registration
order, each in its own transaction, and writes one `retention.apply` audit record of the run:
per kind, the period and the count.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from slrt.core.hooks import Handlers

from . import gate
from .models import AuditEvent
from .services import record


@dataclass(frozen=True)
class Rule:
    kind: str  # "<app>.<what>", the key of SLRT_RETENTION_DAYS
    description: str  # what goes, in Indonesian (the command's listing)
    default_days: int
    apply: Callable  # apply(cutoff: datetime, now: datetime) -> int: records erased or anonymised


_rules = Handlers()  # of Rule


def register_rule(rule: Rule) -> Rule:
    if any(r.kind == rule.kind and r != rule for r in _rules):
        raise ValueError(f"retention rule {rule.kind} registered twice")
    return _rules.register(rule)


def rules() -> list[Rule]:
    return list(_rules)


def period_days(rule: Rule) -> int | None:
    """The rule's period: SLRT_RETENTION_DAYS[kind] when set (None = kept), else its default."""
    configured = getattr(settings, "SLRT_RETENTION_DAYS", {})
    return configured[rule.kind] if rule.kind in configured else rule.default_days


def apply_retention(*, now=None, actor=None) -> dict[str, int]:
    now = now or timezone.now()
    counts, periods = {}, {}
    for rule in rules():
        days = period_days(rule)
        periods[rule.kind] = days
        if days is None:
            continue
        with transaction.atomic():
            counts[rule.kind] = rule.apply(now - timedelta(days=days), now)
    record(actor, "retention.apply", detail={"counts": counts, "days": periods})
    return counts


# --- audit's own rule: the payload of old audit rows ------------------------------------------

_ERASE_BATCH = 5000


def erase_audit_payloads(cutoff, now) -> int:
    """Empty `detail` of sealed rows older than `cutoff`; the row, its hashes and block stay.

    Only sealed rows: their payload hash is kept, so the chain still verifies (erased rows are
    reported as erased). An unsealed row waits for the sealing job.
    """
    erased = 0
    pending = (AuditEvent.objects.filter(at__lt=cutoff, erased_at=None).exclude(row_hash="")
               .exclude(detail={}).order_by("id").values_list("id", flat=True))
    while True:
        ids = list(pending[:_ERASE_BATCH])
        if not ids:
            return erased
        with gate.gate_open("erase"):
            erased += AuditEvent.objects.filter(id__in=ids).update(detail={}, erased_at=now)


register_rule(Rule(
    kind="audit.detail",
    description="Isi (detail) catatan audit yang sudah disegel; baris, pelaku, waktu dan hash tetap.",
    default_days=5 * 365,
    apply=erase_audit_payloads,
))
