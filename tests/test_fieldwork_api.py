"""Field work API: push idempotency and the conflict rule through the sync API, pull paging by
cursor within scope, visits, review and conflict resolution."""

import datetime as dt

import pytest

from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionStatus, VisitKind, VisitStatus
from slrt.updates.models import Proposal, ProposalStatus
from tests.test_referrals_fixtures import api_client

DESA = "32.01.02.2001"
OTHER_DESA = "32.01.02.2002"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def field(make_user, make_person):
    head = make_person(desa_code=DESA, nama="Asep Sunandar", sex="L", hubungan_keluarga="Kepala Keluarga")
    hh = head.household
    hh.alamat = "Kp. Cibodas"
    hh.save()
    fas = make_user("fasilitator", DESA)
    sup = make_user("supervisor", "32.01.02")
    visit = services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                  due_date=dt.date.today() + dt.timedelta(days=2), household=hh)
    return {"hh": hh, "fas": fas, "sup": sup, "visit": visit, "make_user": make_user, "make_person": make_person}


def item(f, key="k-1", **values):
    v = {"kunjungan": str(f["visit"].pk), "hasil": "ditemukan", "kode_wilayah": DESA,
         "nomor_kk": f["hh"].nomor_kk, "alamat": "Kp. Cibodas", "anggota": [], "minta_tinjau_desil": "tidak"}
    v.update(values)
    return {"idempotency_key": key, "form_id": "slrt_verifikasi_rt", "values": v,
            "base": selectors.visit_snapshot(f["visit"])}


def push(client, *items):
    return client.post("/api/v1/sync/push", {"items": list(items)}, content_type="application/json")


def test_pushing_the_same_item_twice_creates_one_submission_and_one_proposal(field):
    client = api_client(field["fas"])
    body = item(field, alamat="Jl. Melati 3")
    first = push(client, body)
    second = push(client, body)
    assert first.status_code == 200 and second.status_code == 200
    [a], [b] = first.json()["items"], second.json()["items"]
    assert a["status"] == SubmissionStatus.REVIEW and a["duplicate"] is False
    assert b["duplicate"] is True and b["submission"] == a["submission"]
    assert Submission.objects.system().count() == 1
    assert Proposal.objects.system().count() == 1


def test_push_applies_the_conflict_rule_and_resolve_applies_the_choice(field):
    client = api_client(field["fas"])
    body = item(field, alamat="Dari tablet")
    field["hh"].alamat = "Dari kantor"
    field["hh"].save()
    [r] = push(client, body).json()["items"]
    assert r["status"] == SubmissionStatus.CONFLICT and r["conflicts"][0]["field"] == "alamat"
    assert Proposal.objects.system().count() == 0

    sup = api_client(field["sup"])
    bad = sup.post(f"/api/v1/submissions/{r['submission']}/resolve", {"choices": {}},
                   content_type="application/json")
    assert bad.status_code == 422 and "alamat" in bad.json()["errors"]
    ok = sup.post(f"/api/v1/submissions/{r['submission']}/resolve", {"choices": {"alamat": "submitted"}},
                  content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == SubmissionStatus.REVIEW
    assert Proposal.objects.system().get().data["alamat"] == "Dari tablet"


def test_push_reports_invalid_and_forbidden_items_one_by_one(field):
    client = api_client(field["fas"])
    other = item(field, key="k-2", kunjungan="", kode_wilayah=OTHER_DESA, nomor_kk="")
    wrong_form = {"idempotency_key": "k-3", "form_id": "tidak_ada", "values": {}}
    items = push(client, item(field, alamat="Jl. Mawar"), other, wrong_form).json()["items"]
    assert [i["status"] for i in items] == [SubmissionStatus.REVIEW, SubmissionStatus.INVALID, "forbidden"]
    assert "kode_wilayah" in items[1]["errors"]
    too_many = push(client, *[item(field, key=f"x{i}") for i in range(51)])
    assert too_many.status_code == 422 and too_many.json()["code"] == "too_many_items"


def test_pull_pages_by_cursor_and_stays_in_scope(field):
    f = field
    fas, sup = f["fas"], f["sup"]
    more = [f["make_person"](desa_code=DESA, nama=f"Warga {i}").household for i in range(3)]
    for hh in more:
        services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas, due_date=dt.date.today(),
                              household=hh)
    far = f["make_person"](desa_code="32.01.03.2001", nama="Jauh").household
    far_sup = f["make_user"]("supervisor", "32.01.03")
    far_fas = f["make_user"]("fasilitator", "32.01.03.2001")
    services.assign_visit(far_sup, kind=VisitKind.VERIFICATION, assigned_to=far_fas, due_date=dt.date.today(),
                          household=far)
    other_fas = f["make_user"]("fasilitator", DESA)
    services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=other_fas, due_date=dt.date.today(),
                          household=more[0])

    client = api_client(fas)
    seen, cursor = [], ""
    for _ in range(10):
        page = client.get("/api/v1/sync/pull", {"cursor": cursor, "limit": 2}).json()
        seen += [v["id"] for v in page["visits"]]
        cursor = page["cursor"]
        if not page["more"]:
            break
    mine = sorted(selectors.visits_for(fas, mine=True).values_list("pk", flat=True))
    assert sorted(seen) == mine and len(mine) == 4  # own visits only, each once
    again = client.get("/api/v1/sync/pull", {"cursor": cursor}).json()
    assert again["visits"] == []

    # A visit changed after the cursor comes back.
    services.reassign(sup, f["visit"], assigned_to=fas, due_date=dt.date.today() + dt.timedelta(days=9))
    assert [v["id"] for v in client.get("/api/v1/sync/pull", {"cursor": cursor}).json()["visits"]] == [f["visit"].pk]

    # The supervisor sees the visits of the kecamatan, not the neighbour's.
    sup_visits = api_client(sup).get("/api/v1/sync/pull", {"limit": 100}).json()["visits"]
    assert len(sup_visits) == 5 and all(v["desa_code"].startswith("32.01.02") for v in sup_visits)


def test_a_forged_or_foreign_cursor_is_bad_cursor(field):
    client = api_client(field["fas"])
    assert client.get("/api/v1/sync/pull", {"cursor": "nonsense"}).json()["code"] == "bad_cursor"
    other_cursor = api_client(field["sup"]).get("/api/v1/sync/pull").json()["cursor"]
    response = client.get("/api/v1/sync/pull", {"cursor": other_cursor})
    assert response.status_code == 422 and response.json()["code"] == "bad_cursor"


def test_visits_api_assign_and_review(field):
    sup = api_client(field["sup"])
    created = sup.post("/api/v1/visits", {"kind": "verifikasi", "assigned_to": field["fas"].pk,
                                          "due_date": dt.date.today().isoformat(), "household_id": field["hh"].pk},
                       content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == VisitStatus.PLANNED
    far = field["make_person"](desa_code="32.01.03.2001", nama="Jauh").household
    out = sup.post("/api/v1/visits", {"kind": "verifikasi", "assigned_to": field["fas"].pk,
                                      "due_date": dt.date.today().isoformat(), "household_id": far.pk},
                   content_type="application/json")
    assert out.status_code == 404
    fas = api_client(field["fas"])
    assert fas.post("/api/v1/visits", {"kind": "verifikasi", "assigned_to": field["fas"].pk,
                                       "due_date": dt.date.today().isoformat(), "household_id": field["hh"].pk},
                    content_type="application/json").status_code == 403
    mine = fas.get("/api/v1/visits", {"mine": True}).json()
    assert mine["count"] == 2

    [r] = push(fas, item(field, alamat="Jl. Kenanga")).json()["items"]
    assert fas.post(f"/api/v1/submissions/{r['submission']}/review", {"action": "approve"},
                    content_type="application/json").status_code == 403
    done = sup.post(f"/api/v1/submissions/{r['submission']}/review", {"action": "approve", "note": "OK"},
                    content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == SubmissionStatus.APPROVED
    assert Proposal.objects.system().get().status == ProposalStatus.CHECKED
    detail = sup.get(f"/api/v1/submissions/{r['submission']}").json()
    assert detail["values"]["alamat"] == "Jl. Kenanga"
