"""Read side of registry proposals, always through the caller's region scope (outside it: 404)."""

import datetime as dt
from dataclasses import dataclass, fields

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope, region_q
from slrt.audit.services import record, record_shown, shown_ids
from slrt.registry.models import Release
from slrt.wilayah.days import days_q
from slrt.wilayah.models import NATION_CODE, Level, Region, level_of

from .models import Proposal, ProposalBatch, ProposalStatus, ProposalTransition, Reconciliation, VillageMeeting
from .rows import ROW_COLUMNS
from .webforms import ProposalFilterForm
from .workflow import allowed_actions


def proposals_for(user, *, status=None, kind=None, desa=None, q=None, batch=None, release=None,
                  created_from=None, created_to=None, accepted_from=None, accepted_to=None):
    qs = Proposal.objects.for_user(user).select_related("created_by")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if desa:  # a region of any level inside the scope
        qs = qs.filter(region_q(desa))
    if batch:
        qs = qs.filter(batch_id=batch)
    if release:  # settled (accepted or rejected) by this registry release
        qs = qs.filter(outcome_release_id=release)
    if created_from or created_to:
        qs = qs.filter(days_q("created_at", created_from, created_to, desa or user.region_id))
    if accepted_from or accepted_to:
        on_days = days_q("at", accepted_from, accepted_to, desa or user.region_id, prov_field="proposal__prov_code")
        accepted = ProposalTransition.objects.filter(proposal=OuterRef("pk"), to_status=ProposalStatus.ACCEPTED)
        qs = qs.filter(Exists(accepted.filter(on_days)))
    if q:
        q = q.strip()
        # Exact NIK/KK, or a name in the proposed data (data is small JSON; the list is scoped).
        qs = qs.filter(Q(data__nik=q) | Q(data__nomor_kk=q) | Q(data__nama__icontains=q)
                       | Q(person__nama__icontains=q) | Q(pk=int(q) if q.isdigit() and len(q) < 10 else 0))
    return qs.order_by("-updated_at", "-pk")


def accepted_at():
    """When the registry accepted the proposal (its move to accepted), None if not (yet)."""
    return Subquery(ProposalTransition.objects.filter(proposal=OuterRef("pk"), to_status=ProposalStatus.ACCEPTED)
                    .order_by("at", "pk").values("at")[:1])


@dataclass(frozen=True)
class ProposalFilters:
    """What the proposal list is narrowed to (every field optional); `proposals_for` reads it."""

    status: str = ""
    kind: str = ""
    desa: str = ""  # a region code inside the scope
    q: str = ""  # NIK, KK, name or number: posted, never in a URL (slrt.core.search_terms)
    batch: int | None = None
    release: int | None = None  # registry release that settled it
    created_from: dt.date | None = None  # proposed on these days (the region's own day)
    created_to: dt.date | None = None
    accepted_from: dt.date | None = None  # accepted by the registry on these days
    accepted_to: dt.date | None = None

    def as_kwargs(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def release_choices():
    """Registry releases for the filter, newest first (reference data, not personal)."""
    return list(Release.objects.order_by("-period", "source")[:60])


def proposal_filters_from(params, user) -> ProposalFilters:
    """The proposal list's filters from request parameters; ValueError (Indonesian, naming the
    parameter) on a bad one. The list page and its export both read it."""
    form = ProposalFilterForm(params, user=user, releases=release_choices())
    if not form.is_valid():
        raise ValueError(form.first_error())
    return ProposalFilters(**form.filters())


def list_proposals(user, f: ProposalFilters):
    return proposals_for(user, **f.as_kwargs())


def status_counts(user, **filters) -> dict[str, int]:
    filters.pop("status", None)
    rows = proposals_for(user, **filters).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(ProposalStatus.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def get_proposal(user, pk, *, audit=True) -> Proposal:
    p = (Proposal.objects.for_user(user)
         .select_related("case", "household", "person", "meeting", "batch", "outcome_release", "created_by")
         .filter(pk=pk).first())
    if p is None:
        raise Http404
    if audit:
        record(user, "proposal.view", p, detail={"kind": p.kind, "status": p.status})
    return p


def actions_for(user, proposal) -> list[str]:
    return allowed_actions(user.role, proposal.status, own_draft=proposal.created_by_id == user.pk)


def compare_rows(proposal) -> list[tuple[str, object, object]]:
    """(column, registry value, proposed value) in exchange-column order, for the side-by-side view."""
    data, base = proposal.data or {}, proposal.base or {}
    cols = [c for c in ROW_COLUMNS if c in data or c in base]
    return [(c, base.get(c, ""), data.get(c, "")) for c in cols]


def checked_in_desa(user, desa_code):
    return (Proposal.objects.for_user(user).filter(desa_code=desa_code, status=ProposalStatus.CHECKED)
            .select_related("person").order_by("pk"))


def desa_choices(user):
    """Desa/kelurahan in the user's scope that have proposals awaiting a meeting, with their counts."""
    rows = (Proposal.objects.for_user(user).filter(status=ProposalStatus.CHECKED).order_by()
            .values("desa_code").annotate(n=Count("pk")))
    counts = {r["desa_code"]: r["n"] for r in rows}
    names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
    return [(code, f"{names.get(code, code)} ({code}) — {n}") for code, n in sorted(counts.items())]


def get_meeting(user, pk) -> VillageMeeting:
    m = VillageMeeting.objects.for_user(user).select_related("recorded_by").filter(pk=pk).first()
    if m is None:
        raise Http404
    return m


def meetings_for(user):
    return VillageMeeting.objects.for_user(user).order_by("-held_on", "-pk")


def _kab_q(user, field="region_id") -> Q:
    """Rows of a kabupaten-level model inside the user's scope (provinsi and nation see many)."""
    code = user.region_id or ""
    if not code:
        return Q(pk__in=[])
    if code == NATION_CODE:
        return Q()
    level = level_of(code)
    if level == Level.PROVINSI:
        return Q(**{f"{field}__startswith": code + "."})
    if level == Level.KABUPATEN:
        return Q(**{field: code})
    return Q(pk__in=[])


def batches_for(user):
    if not can(user, "export_proposals"):
        return ProposalBatch.objects.none()
    return ProposalBatch.objects.filter(_kab_q(user)).select_related("region", "created_by", "submitted_by")


def get_batch(user, pk) -> ProposalBatch:
    b = batches_for(user).filter(pk=pk).first()
    if b is None:
        raise Http404
    return b


def kab_choices(user):
    """Kabupaten/kota the user may make a batch for."""
    return list(Region.objects.filter(level=Level.KABUPATEN).filter(_kab_q(user, "code")).values_list("code", "name"))


def reconciliations_for(user):
    """Reconciliations whose region overlaps the user's scope (their village rows are filtered on display)."""
    code = user.region_id or ""
    if not code or not can(user, "view_registry"):
        return Reconciliation.objects.none()
    qs = Reconciliation.objects.select_related("release", "import_job")
    if code == NATION_CODE:
        return qs
    parts = code.split(".")
    ancestors = [""] + [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return qs.filter(Q(region_code__in=ancestors) | Q(region_code__startswith=code + "."))


def get_reconciliation(user, pk) -> Reconciliation:
    r = reconciliations_for(user).filter(pk=pk).first()
    if r is None:
        raise Http404
    return r


def village_rows(user, recon) -> list[dict]:
    """The reconciliation's per-village counts inside the user's scope, with village names."""
    codes = [c for c in recon.by_village if in_scope(user, c)]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"code": c, "name": names.get(c, c), **recon.by_village[c]} for c in sorted(codes)]


def scoped_totals(user, recon, rows=None) -> dict[str, int]:
    """Accepted/pending/rejected of a reconciliation, summed over the villages in the user's scope."""
    rows = village_rows(user, recon) if rows is None else rows
    return {k: sum(r.get(k, 0) for r in rows) for k in ("accepted", "pending", "rejected")}


def audit_shown(user, proposals, *, total: int, searched: bool) -> None:
    """A page of proposals names people (NIK, name): one audit row with the ids it showed, like the
    registry search; a search by NIK, KK or name is `proposal.search` (never the search text)."""
    proposals = list(proposals)
    record_shown(user, "proposal.search" if searched else "proposal.list", count=len(proposals),
                 region_code=user.region_id or "", detail={"total": total}, proposals=shown_ids(proposals),
                 people=shown_ids(proposals, "person_id"), households=shown_ids(proposals, "household_id"))
