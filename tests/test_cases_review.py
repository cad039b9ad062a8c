"""Review findings on the service desk: stale objects and locking, open referrals and closing,
length limits named (never truncated, never a database 500), the list's region filter, and
read-only roles without edit forms."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from slrt.cases import services, tickets, workflow
from slrt.cases.models import Case, CaseStatus, FollowUpTask, Need, NeedStatus
from slrt.core.locking import ConflictError
from slrt.referrals.models import ReferralStatus
from tests import test_referrals_fixtures as fx

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


def intake(**kw):
    base = dict(
        complaint_type="pengaduan",
        channel="sekretariat",
        needs=[{"sector": "kesehatan", "description": "Biaya rawat inap anak"}],
        consent_given=True,
        consent_purpose="Penanganan keluhan dan rujukan",
        consent_share_agencies=True,
    )
    base.update(kw)
    return services.Intake(**base)


def new_case(user, name="Budi Santoso", address="", **kw):
    return services.create_case(
        user,
        intake(**kw),
        new_person=services.NewPerson(name=name, desa_code=DESA, address=address),
        search_token=tickets.issue_search_token(user, "nama"),
    ).case


@pytest.fixture
def bo(make_user):
    return make_user("back_office", "32.01")


def stale(case):
    """The case as a form read it before others wrote (a separate object, old version and status)."""
    return Case.objects.system().get(pk=case.pk)


# --- 1. optimistic locking in refresh_status and the services ------------------------------------


def test_stale_case_object_does_not_move_the_version_backwards(bo, make_user):
    case = new_case(bo)
    need = Need.objects.get(case=case)
    need.case = stale(case)  # version 1, status baru
    services.update_case(make_user("manajer", "32.01"), stale(case), 1, summary="Diubah orang lain")  # -> v2
    services.set_need_status(bo, need, need.version, status=NeedStatus.HANDLED, outcome="Sudah dibantu")
    fresh = stale(case)
    assert fresh.status == CaseStatus.IN_PROGRESS
    assert fresh.version == 3
    # A form that read version 2 (before the status moved) must now conflict, not overwrite.
    with pytest.raises(ConflictError):
        services.update_case(bo, stale(case), 2, summary="Form lama")
    assert stale(case).summary == "Diubah orang lain"


def test_stale_add_need_on_a_case_closed_meanwhile_is_refused_and_keeps_it_closed(bo):
    case = new_case(bo)
    old = stale(case)  # read while the case was still new
    need = Need.objects.get(case=case)
    services.set_need_status(bo, need, need.version, status=NeedStatus.CLOSED, outcome="Tidak memenuhi syarat")
    closing = stale(case)
    services.close_case(bo, closing, closing.version, reason="Selesai")
    with pytest.raises(ValidationError) as exc:
        services.add_need(bo, old, sector="pendidikan", description="Biaya sekolah")
    assert "ditutup" in " ".join(exc.value.message_dict["case"])
    fresh = stale(case)
    assert fresh.status == CaseStatus.CLOSED and fresh.closed_at is not None
    assert case.needs.count() == 1
    with pytest.raises(ValidationError):
        services.add_task(bo, old, title="Telepon warga", due_date=dt.date.today() + dt.timedelta(days=3))


def test_refresh_status_does_not_reopen_a_closed_case(bo):
    case = new_case(bo)
    old = stale(case)
    need = Need.objects.get(case=case)
    services.set_need_status(bo, need, need.version, status=NeedStatus.CLOSED, outcome="Alasan")
    services.close_case(bo, stale(case), stale(case).version)
    workflow.refresh_status(old)  # e.g. a referral write holding an object read before the close
    assert old.status == CaseStatus.CLOSED and old.closed_at is not None
    assert stale(case).status == CaseStatus.CLOSED


# --- 2. open referrals block closing a need and the case -----------------------------------------


@pytest.mark.parametrize("ref_status", [ReferralStatus.DRAFT, ReferralStatus.ACCEPTED, ReferralStatus.IN_SERVICE])
@pytest.mark.parametrize("need_status", [NeedStatus.HANDLED, NeedStatus.CLOSED])
def test_need_with_an_open_referral_cannot_be_marked_handled_or_closed(ref_status, need_status):
    desk = fx.build_desk()
    case, need = fx.make_case()
    ref = fx.referral_in(desk, ref_status, case, need)
    need.refresh_from_db()
    need.case = case
    with pytest.raises(ValidationError) as exc:
        services.set_need_status(desk.bo, need, need.version, status=need_status, outcome="Sudah ditangani")
    message = " ".join(exc.value.message_dict["status"])
    assert ref.number in message and "rujukan" in message
    need.refresh_from_db()
    assert need.status not in workflow.FINAL_NEED


def test_case_with_an_open_referral_cannot_be_closed_and_the_referral_is_named(client):
    desk = fx.build_desk()
    case, need = fx.make_case()
    ref = fx.referral_in(desk, ReferralStatus.ACCEPTED, case, need)
    # A need already final while its referral is still at the agency (data from before this rule).
    Need.objects.filter(pk=need.pk).update(status=NeedStatus.CLOSED, outcome="Alasan")
    case.refresh_from_db()
    assert not workflow.close_allowed(case)
    with pytest.raises(ValidationError) as exc:
        services.close_case(desk.manajer, case, case.version, reason="Selesai")
    assert ref.number in " ".join(exc.value.message_dict["case"])
    assert Case.objects.system().get(pk=case.pk).status != CaseStatus.CLOSED
    client.force_login(desk.manajer)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert ref.number in page.content.decode()


def test_case_closes_once_its_referral_is_done(bo):
    desk = fx.build_desk()
    case, need = fx.make_case()
    fx.referral_in(desk, ReferralStatus.DONE, case, need)
    case.refresh_from_db()
    assert workflow.close_allowed(case)
    services.close_case(desk.manajer, case, case.version)
    assert Case.objects.system().get(pk=case.pk).status == CaseStatus.CLOSED


# --- 3. length limits ----------------------------------------------------------------------------


def test_too_long_intake_fields_are_named_not_truncated(bo):
    with pytest.raises(ValidationError) as exc:
        new_case(
            bo,
            name="Budi " * 40,
            address="Jl. " * 80,
            consent_purpose="x" * 300,
            needs=[{"sector": "kesehatan", "description": "y" * 2001}],
        )
    errors = exc.value.message_dict
    assert "Nama pemohon" in errors["name"][0] and "150" in errors["name"][0]
    assert "255" in errors["address"][0]
    assert "Tujuan pemrosesan data" in errors["consent_purpose"][0]
    assert any("2000" in m for m in errors["needs"])
    assert not Case.objects.system().exists()


def test_too_long_edits_needs_and_tasks_are_refused(bo):
    case = new_case(bo)
    with pytest.raises(ValidationError) as exc:
        services.update_case(bo, case, case.version, applicant_address="a" * 300)
    assert "Alamat" in exc.value.message_dict["applicant_address"][0]
    with pytest.raises(ValidationError) as exc:
        services.add_need(bo, case, sector="pendidikan", description="b" * 2001)
    assert "2000" in exc.value.message_dict["needs"][0]
    need = Need.objects.get(case=case)
    need.case = case
    with pytest.raises(ValidationError):
        services.edit_need(bo, need, need.version, sector="kesehatan", description="c" * 2001)
    with pytest.raises(ValidationError) as exc:
        services.add_task(bo, case, title="t" * 256, due_date=dt.date.today() + dt.timedelta(days=3))
    assert "Tindak lanjut" in exc.value.message_dict["title"][0]
    assert not FollowUpTask.objects.exists()
    assert Need.objects.get(pk=need.pk).description == "Biaya rawat inap anak"


@pytest.fixture
def api(client):
    def login(user):
        token = client.post(
            "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def call(method, path, body=None, **params):
            if method == "get":
                return client.get(path, params, headers=headers)
            return getattr(client, method)(path, body or {}, content_type="application/json", headers=headers)

        return call

    return login


def test_api_too_long_values_are_422_naming_the_field(api, bo):
    call = api(bo)
    token = call("get", "/api/v1/cases/intake-search", q="Budi Santoso").json()["search_token"]
    body = {
        "complaint_type": "pengaduan",
        "channel": "sekretariat",
        "needs": [{"sector": "kesehatan", "description": "Biaya rawat inap"}],
        "consent": {"given": True, "purpose": "Penanganan keluhan", "share_with_agencies": True},
        "new_person": {"name": "N" * 200, "desa_code": DESA},
        "search_token": token,
    }
    response = call("post", "/api/v1/cases", body)
    assert response.status_code == 422 and "name" in response.json()["errors"]
    body["new_person"]["name"] = "Budi Santoso"
    body["consent"]["purpose"] = "p" * 300
    response = call("post", "/api/v1/cases", body)
    assert response.status_code == 422 and "consent_purpose" in response.json()["errors"]
    body["consent"]["purpose"] = "Penanganan keluhan"
    created = call("post", "/api/v1/cases", body)
    assert created.status_code == 201
    case_id, version = created.json()["id"], created.json()["version"]
    response = call("patch", f"/api/v1/cases/{case_id}", {"version": version, "applicant_address": "a" * 300})
    assert response.status_code == 422 and "applicant_address" in response.json()["errors"]


# --- 4. the list's region filter -----------------------------------------------------------------


def test_api_region_filter_is_validated(api, bo, make_user):
    case = new_case(bo)
    call = api(bo)
    for bad in ("32.01.02.2001.1", "abc", "32.99", "32.02"):
        response = call("get", "/api/v1/cases", region=bad)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "invalid_region"
    response = call("get", "/api/v1/cases", region="3201022001")
    assert response.status_code == 200 and [c["id"] for c in response.json()["items"]] == [case.pk]
    nation = api(make_user("dinsos", "00"))
    assert nation("get", "/api/v1/cases", region="abc").json()["code"] == "invalid_region"
    assert nation("get", "/api/v1/cases", region="32.01").json()["count"] == 1


# --- 6. read-only roles see no edit forms --------------------------------------------------------


@pytest.mark.parametrize("role,region", [("dinsos", "32"), ("supervisor", "32.01.02")])
def test_read_only_roles_get_no_edit_forms_and_403_on_need_edit(client, bo, make_user, role, region):
    case = new_case(bo)
    need = Need.objects.get(case=case)
    client.force_login(make_user(role, region))
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for name, args in (
        ("cases:edit", [case.pk]),
        ("cases:need_add", [case.pk]),
        ("cases:need_edit", [case.pk, need.pk]),
        ("cases:task_add", [case.pk]),
        ("cases:close", [case.pk]),
    ):
        assert reverse(name, args=args) not in html, name
    assert client.get(reverse("cases:need_edit", args=[case.pk, need.pk])).status_code == 403
    # Outside the scope it stays a 404, like a missing case.
    client.force_login(make_user(role, {"dinsos": "31", "supervisor": "32.01.03"}[role]))
    assert client.get(reverse("cases:need_edit", args=[case.pk, need.pk])).status_code == 404


# --- real concurrency (PostgreSQL): a close and a stale add_need racing ---------------------------


def _race(*workers) -> list[ValidationError]:
    barrier = threading.Barrier(len(workers))
    refused = []

    def run(fn):
        try:
            barrier.wait(timeout=10)
            fn()
        except ValidationError as exc:
            refused.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return refused


def _close_and_add_race(desk, closer) -> Case:
    case = new_case(desk)
    need = Need.objects.get(case=case)
    services.set_need_status(desk, need, need.version, status=NeedStatus.CLOSED, outcome="Alasan")
    old = stale(case)
    refused = _race(
        lambda: services.close_case(closer, stale(case), None),
        lambda: services.add_need(desk, old, sector="pangan", description="Beras"),
    )
    assert len(refused) == 1  # exactly one of the two was refused
    return stale(case)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
def test_close_and_add_need_racing_never_leave_an_open_need_on_a_closed_case(regions_after_flush, make_user):
    desk, closer = make_user("back_office", "32.01"), make_user("manajer", "32.01")
    for _ in range(5):
        fresh = _close_and_add_race(desk, closer)
        open_needs = fresh.needs.exclude(status__in=workflow.FINAL_NEED).count()
        if fresh.status == CaseStatus.CLOSED:
            assert open_needs == 0 and fresh.closed_at is not None
        else:
            assert open_needs == 1 and fresh.closed_at is None
