"""Field work API: visits, the supervisor's review, and the sync API for field apps.

Sync: `GET /sync/pull?cursor=` hands out what changed since the cursor (visits, proposals,
submissions in the caller's scope, each ordered by (updated_at, id)); the cursor is opaque and
signed (a forged or foreign one is 422 `bad_cursor`). `POST /sync/push` sends filled forms, each
with an idempotency key that plays the part of ODK's instanceID: the same `receive` as OpenRosa,
so a retried push creates nothing twice and the conflict rule is the same.
"""

import datetime as dt
from typing import Annotated

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from slrt.accounts.models import User
from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.api import ApiError, documented_text, require_capability, service_error
from slrt.core.exceptions import DeskError
from slrt.core.locking import ConflictError
from slrt.core.text import MAX_TEXT
from slrt.registry.tables import show_row

from .. import selectors, services, workflow
from ..conflicts import CHOICES
from ..formdefs import FORMS
from ..models import Submission, SubmissionSource, Visit, VisitKind

router = Router(tags=["lapangan"])
CURSOR_SALT = "slrt.fieldwork.sync"
MAX_PULL = 500
MAX_PUSH = 50
# The key is stored as "api:<user id>:<key>" in Submission.instance_id (100): 64 leaves room for any id.
IDEMPOTENCY_KEY_MAX = 64
KINDS = ("visits", "proposals", "submissions")


# --- output --------------------------------------------------------------------------------------


def visit_out(v, user) -> dict:
    out = {
        "id": v.pk, "kind": v.kind, "status": v.status, "desa_code": v.desa_code,
        "due_date": v.due_date.isoformat() if v.due_date else None, "assigned_to": v.assigned_to_id,
        "household": v.household_id, "person": v.person_id, "case": v.case_id, "referral": v.referral_id,
        "proposal": v.proposal_id, "note": v.note, "return_reason": v.return_reason,
        "overdue": selectors.is_overdue(v), "updated_at": v.updated_at.isoformat(),
        "label": selectors.visit_label(v),
    }
    if v.kind == VisitKind.VERIFICATION:
        out["snapshot"] = selectors.visit_snapshot(v)
    elif v.referral_id:
        out["status_rujukan"] = v.referral.status
    return out


def proposal_out(p, user) -> dict:
    return {
        "id": p.pk, "kind": p.kind, "status": p.status, "version": p.version, "origin": p.origin,
        "desa_code": p.desa_code, "household": p.household_id, "person": p.person_id, "case": p.case_id,
        "data": show_row(user, p.data), "base": p.base, "updated_at": p.updated_at.isoformat(),
    }


def submission_out(s, user) -> dict:
    return {
        "id": s.pk, "instance_id": s.instance_id, "form_id": s.form_id, "status": s.status, "source": s.source,
        "visit": s.visit_id, "submitted_by": s.submitted_by_id, "desa_code": s.desa_code, "errors": s.errors,
        "conflicts": s.conflicts, "result": s.result, "review_note": s.review_note,
        "received_at": s.received_at.isoformat(), "updated_at": s.updated_at.isoformat(),
    }


OUT = {"visits": visit_out, "proposals": proposal_out, "submissions": submission_out}


# --- sync ----------------------------------------------------------------------------------------


def _read_cursor(raw, user) -> dict:
    if not raw:
        return {}
    try:
        data = signing.loads(raw, salt=CURSOR_SALT)
        if data.get("u") != user.pk:
            raise ValueError
        positions = {}
        for kind in KINDS:
            if data.get(kind):
                ts, pk = data[kind]
                when = parse_datetime(ts)
                if when is None:
                    raise ValueError
                positions[kind] = (when, int(pk))
        return positions
    except (signing.BadSignature, ValueError, TypeError, AttributeError, KeyError):
        raise ApiError(422, "bad_cursor", _("Kursor sinkronisasi tidak sah; mulai lagi tanpa kursor."))


def _write_cursor(positions, user) -> str:
    data = {"u": user.pk}
    for kind, (when, pk) in positions.items():
        data[kind] = [when.isoformat(), pk]
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


@router.get("/sync/pull", summary="Perubahan sejak kursor (kunjungan, usulan, kiriman) dalam wilayah Anda")
@region_safe  # pull_querysets reads through for_user (visits also limited to the caller's own)
def sync_pull(request, cursor: str = Query("", description="Kursor dari tarikan sebelumnya; kosong = awal"),
              limit: int = Query(100, ge=1, le=MAX_PULL, description="Paling banyak per jenis data")):
    user = request.auth
    if not can(user, "review_submissions"):
        require_capability(user, "use_field_forms")
    positions = _read_cursor(cursor, user)
    out, more, handed = {}, False, {}
    for kind, qs in selectors.pull_querysets(user).items():
        rows = list(selectors.sync_filter(qs, positions.get(kind))[: limit + 1])
        if len(rows) > limit:
            more, rows = True, rows[:limit]
        if rows:
            positions[kind] = (rows[-1].updated_at, rows[-1].pk)
        out[kind] = [OUT[kind](r, user) for r in rows]
        handed[kind] = [r.pk for r in rows]
    # Personal data left the server: which records (ids only), as for any read of a record.
    record(user, "sync.pull", None, region_code=user.region_id or "", detail=handed)
    return {"cursor": _write_cursor(positions, user), "more": more, **out}


class PushItem(Schema):
    idempotency_key: Annotated[str, documented_text(max_length=IDEMPOTENCY_KEY_MAX)]
    form_id: Annotated[str, documented_text(choices=list(FORMS))]
    form_version: Annotated[str, documented_text(Submission, "form_version")] = ""
    values: dict
    base: dict = {}


class PushIn(Schema):
    items: list[PushItem]


@router.post("/sync/push", summary="Kirim formulir lapangan (idempoten per idempotency_key)")
@region_safe  # receive checks the visit and desa against the caller's scope
def sync_push(request, payload: PushIn):
    user = request.auth
    require_capability(user, "use_field_forms")
    if len(payload.items) > MAX_PUSH:
        raise ApiError(422, "too_many_items", _("Paling banyak %(n)d formulir per kiriman.") % {"n": MAX_PUSH})
    results = []
    for item in payload.items:
        entry = {"idempotency_key": item.idempotency_key, "status": "", "submission": None, "errors": {},
                 "conflicts": [], "duplicate": False}
        if len(item.idempotency_key) > IDEMPOTENCY_KEY_MAX:
            entry.update(status="invalid", errors={"idempotency_key": [
                _("%(field)s terlalu panjang (maksimal %(max)d karakter).")
                % {"field": "idempotency_key", "max": IDEMPOTENCY_KEY_MAX}]})
            results.append(entry)
            continue
        try:
            r = services.receive(user, form_id=item.form_id, form_version=item.form_version,
                                 instance_id=item.idempotency_key, values=item.values, base=item.base,
                                 source=SubmissionSource.API)
        except PermissionDenied as exc:
            entry.update(status="forbidden", errors={"__all__": [str(exc)]})
        except ValidationError as exc:
            entry.update(status="invalid", errors=exc.message_dict if hasattr(exc, "error_dict")
                         else {"__all__": exc.messages})
        else:
            entry.update(status=r.status, submission=r.submission.pk, errors=r.submission.errors or r.errors,
                         conflicts=r.submission.conflicts, duplicate=not r.created, message=r.message)
        results.append(entry)
    return {"items": results}


# --- visits and review ---------------------------------------------------------------------------


@router.get("/visits", summary="Kunjungan: milik saya, atau di wilayah supervisor")
@region_safe  # visits_for reads through for_user
def list_visits(request, mine: bool = False, status: str | None = None, kind: str | None = None,
                limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    user = request.auth
    require_capability(user, "view_registry")
    qs = selectors.visits_for(user, mine=mine, status=status, kind=kind)
    items = list(qs[offset: offset + limit])
    selectors.record_visits_shown(user, items)
    return {"count": qs.count(), "items": [visit_out(v, user) for v in items]}


class VisitIn(Schema):
    kind: Annotated[str, documented_text(Visit, "kind")]
    assigned_to: int
    due_date: dt.date
    note: Annotated[str, documented_text(max_length=MAX_TEXT)] = ""
    household_id: int | None = None
    person_id: int | None = None
    case_id: int | None = None
    referral_id: int | None = None
    proposal_id: int | None = None


def _get(model, user, pk):
    if pk is None:
        return None
    obj = model.objects.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise ApiError(404, "not_found", _("Data tidak ditemukan."))
    return obj


@router.post("/visits", response={201: dict}, summary="Tugaskan kunjungan")
@region_safe  # every linked record is read through for_user; out of scope is 404
def create_visit(request, payload: VisitIn):
    from slrt.cases.models import Case
    from slrt.referrals.models import Referral
    from slrt.registry.models import Household, Person
    from slrt.updates.models import Proposal

    user = request.auth
    require_capability(user, "assign_visits")
    assignee = User.objects.filter(pk=payload.assigned_to).first()
    try:
        visit = services.assign_visit(
            user, kind=payload.kind, assigned_to=assignee, due_date=payload.due_date, note=payload.note,
            household=_get(Household, user, payload.household_id), person=_get(Person, user, payload.person_id),
            case=_get(Case, user, payload.case_id), referral=_get(Referral, user, payload.referral_id),
            proposal=_get(Proposal, user, payload.proposal_id),
        )
    except PermissionDenied as exc:
        raise service_error(exc)
    return 201, visit_out(visit, user)


@router.get("/submissions/{submission_id}", summary="Satu kiriman lapangan")
@region_safe  # get_submission reads through for_user and audits the read
def submission_detail(request, submission_id: int):
    require_capability(request.auth, "view_registry")
    sub = selectors.get_submission(request.auth, submission_id)
    return {**submission_out(sub, request.auth), "values": show_row(request.auth, sub.values), "base": sub.base,
            "attachments": [{"name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
                            for a in sub.attachments.all()]}


class ReviewIn(Schema):
    action: Annotated[str, documented_text(choices=workflow.REVIEW_ACTIONS)]
    note: Annotated[str, documented_text(max_length=MAX_TEXT)] = ""


@router.post("/submissions/{submission_id}/review", summary="Setujui atau kembalikan kiriman")
@region_safe  # the service locks the submission through for_user
def review(request, submission_id: int, payload: ReviewIn):
    user = request.auth
    require_capability(user, "review_submissions")
    sub = selectors.get_submission(user, submission_id, audit=False)
    try:
        sub = services.review_submission(user, sub, payload.action, payload.note)
    except (PermissionDenied, DeskError, ConflictError) as exc:
        raise service_error(exc)
    return submission_out(sub, user)


class ResolveIn(Schema):
    choices: dict[str, Annotated[str, documented_text(choices=CHOICES)]]


@router.post("/submissions/{submission_id}/resolve", summary="Pilih data server atau kiriman untuk tiap konflik")
@region_safe  # the service locks the submission through for_user
def resolve(request, submission_id: int, payload: ResolveIn):
    user = request.auth
    require_capability(user, "review_submissions")
    sub = selectors.get_submission(user, submission_id, audit=False)
    try:
        sub = services.resolve_conflicts(user, sub, payload.choices)
    except (PermissionDenied, DeskError, ConflictError) as exc:
        raise service_error(exc)
    return submission_out(sub, user)
