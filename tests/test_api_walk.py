"""The whole service path through the API alone (issue 9, point 3).

Find the resident → create the case → receipt PDF → programme matching → recommendations with
ids read from `GET /programs` and `GET /agencies` → approval by someone else (four eyes) →
letter PDF → referral → send → the agency accepts, serves and records it → referral letter PDF →
close the case → the resident's public status page.

Every id, version, ticket and code used is taken from an earlier API answer; the ORM only sets
the scene before (a registry family, the catalogue, the accounts — names and passwords the test
chose) and is never read during the walk. Also here: every write's ids are readable from the API.
"""

import datetime as dt

import pytest
from django.test import Client

from slrt.accounts.services import create_user
from slrt.programs.catalogue import load_agencies
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
RESIDENT = "Euis Komariah"
CONSENT = {"given": True, "purpose": "Layanan rujukan kesehatan dan bantuan sosial", "share_with_agencies": True}


@pytest.fixture
def scene(make_person):
    """A poor family (desil 2) with a pregnant mother; the district's agencies; one account per role."""
    load_agencies("32.01")
    head = make_person(DESA, RESIDENT, dt.date(1990, 5, 2), "P", hubungan_keluarga="Kepala Keluarga", hamil=True)
    head.household.desil = 2
    head.household.save(update_fields=["desil"])
    accounts = {
        "fo": ("front_office", "32.01", ""),
        "bo": ("back_office", "32.01", ""),
        "manajer": ("manajer", "32.01", ""),
        "mitra": ("mitra", "32.01", "RSUD-3201"),
        "bo_other": ("back_office", "32.02", ""),
    }
    for username, (role, region, agency) in accounts.items():
        create_user(
            username=f"walk-{username}", role=role, region_code=region, password=PASSWORD, agency_code=agency,
            check_password=False,
        )
    return accounts


def login(username: str) -> Client:
    client = Client()
    answer = client.post(
        "/api/v1/auth/token", {"username": f"walk-{username}", "password": PASSWORD}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {answer.json()['token']}"
    return client


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def post(client, url, body, status=200):
    return ok(client.post(url, body, content_type="application/json"), status)


def is_pdf(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    return True


def test_the_whole_path_through_the_api_with_ids_from_earlier_answers(scene, client):
    fo, bo, manajer, mitra = login("fo"), login("bo"), login("manajer"), login("mitra")

    # Front office finds the resident.
    people = ok(fo.get("/api/v1/people", {"q": RESIDENT, "region": "32.01"}))["items"]
    person = next(p for p in people if p["nama"] == RESIDENT)

    # ... and records the complaint with the resident's explicit consent (both answers sent).
    created = post(
        fo,
        "/api/v1/cases",
        {
            "person_id": person["id"],
            "complaint_type": "pengaduan",
            "channel": "sekretariat",
            "summary": "Ibu hamil perlu rawat inap, tidak punya JKN",
            "needs": [{"sector": "kesehatan", "description": "Biaya rawat inap persalinan"}],
            "consent": CONSENT,
            "consent_given": True,
            "consent_share_agencies": True,
            "consent_purpose": CONSENT["purpose"],
        },
        201,
    )
    case_id, ticket, status_code = created["id"], created["ticket"], created["status_code"]
    need_id = created["needs"][0]["id"]
    assert created["household_id"] == person["household_id"]

    # The receipt, with the status code from the create answer; a wrong code is refused.
    assert is_pdf(fo.post(f"/api/v1/cases/{case_id}/receipt.pdf", {"status_code": status_code},
                          content_type="application/json"))
    wrong = fo.post(f"/api/v1/cases/{case_id}/receipt.pdf", {"status_code": "AAAA-AAAA"},
                    content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_status_code"

    # Back office reads the case and its matching.
    case = ok(bo.get(f"/api/v1/cases/{case_id}"))
    matching = ok(bo.get(f"/api/v1/households/{case['household_id']}/assessment"))
    eligible = {m["program"] for m in matching["eligible_not_received"]}
    assert {"PBI-JK", "PKH-BUMIL"} <= eligible

    # Ids for the recommendations come from the catalogue and the agency directory.
    programs = {p["code"]: p for p in ok(bo.get("/api/v1/programs"))}
    agencies = ok(bo.get("/api/v1/agencies", {"region": "32.01"}))
    rsud = next(a for a in agencies if a["code"] == "RSUD-3201")
    inpatient = next(s for s in rsud["services"] if s["code"] == "RAWAT-INAP")
    program_rec = post(
        bo,
        f"/api/v1/cases/{case_id}/recommendations",
        {"need_id": need_id, "kind": "program", "program_id": programs["PBI-JK"]["id"], "note": "Desil 2"},
        201,
    )
    assert program_rec["program"] == "PBI-JK" and program_rec["eligibility"]["eligible"] is True

    # Four eyes: the drafter may not decide; the Manajer does, with the version it read.
    own = bo.post(f"/api/v1/recommendations/{program_rec['id']}/approve", {"version": program_rec["version"]},
                  content_type="application/json")
    assert own.status_code == 403
    listed = {r["id"]: r for r in ok(manajer.get(f"/api/v1/cases/{case_id}/recommendations"))}
    approved = post(
        manajer,
        f"/api/v1/recommendations/{program_rec['id']}/approve",
        {"version": listed[program_rec["id"]]["version"]},
    )
    assert approved["status"] == "disetujui" and approved["letter_ids"]
    assert is_pdf(manajer.get(f"/api/v1/letters/{approved['letter_ids'][0]}/pdf"))

    # The referral to the RSUD, with the service id from the directory.
    referral = post(bo, "/api/v1/referrals", {"need_id": need_id, "service_id": inpatient["id"], "note": "Segera"}, 201)
    case = ok(bo.get(f"/api/v1/cases/{case_id}"))
    assert referral["id"] in case["referral_ids"]
    assert approved["letter_ids"][0] in [x["id"] for x in case["letters"]]
    seen = ok(manajer.get(f"/api/v1/referrals/{referral['id']}"))
    send = {"action": "send", "version": seen["version"]}
    sent = post(manajer, f"/api/v1/referrals/{referral['id']}/transitions", send)
    assert sent["status"] == "terkirim" and sent["letter_id"]

    # The agency finds it in its own list and answers.
    inbox = ok(mitra.get("/api/v1/referrals"))["items"]
    mine = next(r for r in inbox if r["number"] == sent["number"])
    assert "case_id" not in mine or mine["case_id"] is None
    step = post(mitra, f"/api/v1/referrals/{mine['id']}/transitions", {"action": "accept", "version": mine["version"]})
    step = post(mitra, f"/api/v1/referrals/{mine['id']}/transitions", {"action": "start", "version": step["version"]})
    step = post(
        mitra,
        f"/api/v1/referrals/{mine['id']}/transitions",
        {
            "action": "done",
            "version": step["version"],
            "service_given": "Rawat inap kelas III, persalinan normal",
            "outcome": "Ibu dan bayi sehat",
            "service_date": dt.date.today().isoformat(),
        },
    )
    assert step["status"] == "selesai"
    assert is_pdf(mitra.get(f"/api/v1/letters/{step['letter_id']}/pdf"))

    # Back office closes the case with the version it reads now.
    case = ok(bo.get(f"/api/v1/cases/{case_id}"))
    assert case["needs"][0]["status"] == "tertangani"
    closed = post(bo, f"/api/v1/cases/{case_id}/close", {"version": case["version"], "reason": ""})
    assert closed["status"] == "selesai"

    # The resident: ticket and status code from the create answer, on the public page and API.
    page = client.post("/status/", {"tiket": ticket, "kode": status_code})
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket in html and RESIDENT not in html
    public = post(Client(), "/api/v1/public/status", {"ticket": ticket, "code": status_code})
    assert public["steps"] and all(s["done"] for s in public["steps"])


def test_a_reprint_issues_a_new_status_code_and_the_old_one_stops(scene):
    fo = login("fo")
    person = ok(fo.get("/api/v1/people", {"q": RESIDENT}))["items"][0]
    created = post(
        fo,
        "/api/v1/cases",
        {
            "person_id": person["id"], "complaint_type": "pertanyaan", "channel": "sekretariat",
            "needs": [{"sector": "pangan", "description": "Tanya BPNT"}], "consent": CONSENT,
            "consent_given": True, "consent_share_agencies": True, "consent_purpose": CONSENT["purpose"],
        },
        201,
    )
    url = f"/api/v1/cases/{created['id']}/receipt.pdf"
    reprint = post(fo, f"/api/v1/cases/{created['id']}/receipt/reprint", {})
    assert reprint["ticket"] == created["ticket"] and reprint["status_code"] != created["status_code"]
    old = fo.post(url, {"status_code": created["status_code"]}, content_type="application/json")
    assert old.status_code == 422
    assert is_pdf(fo.post(url, {"status_code": reprint["status_code"]}, content_type="application/json"))
    old_public = Client().post(
        "/api/v1/public/status", {"ticket": created["ticket"], "code": created["status_code"]},
        content_type="application/json",
    )
    assert old_public.status_code == 404
    timeline_kinds = ok(login("bo").get(f"/api/v1/cases/{created['id']}"))
    assert timeline_kinds["id"] == created["id"]
    # Out of scope: another district's back office gets 404 for the receipt, like a missing case.
    other = login("bo_other").post(url, {"status_code": reprint["status_code"]}, content_type="application/json")
    assert other.status_code == 404


def test_every_id_a_write_needs_is_in_an_api_answer(scene):
    bo, manajer = login("bo"), login("manajer")
    programs = ok(bo.get("/api/v1/programs"))
    assert all(isinstance(p["id"], int) for p in programs)
    services = [s for a in ok(bo.get("/api/v1/agencies")) for s in a["services"]]
    assert services and all(isinstance(s["id"], int) for s in services)
    # Staff ids for follow-up tasks (assigned_to_id) and visits (assigned_to).
    staff = ok(manajer.get("/api/v1/staff", {"region": DESA}))
    usernames = {s["username"] for s in staff}
    assert {"walk-fo", "walk-bo", "walk-manajer"} <= usernames
    assert "walk-bo_other" not in usernames and "walk-mitra" not in usernames
    outside = manajer.get("/api/v1/staff", {"region": "32.02.02.2001"})
    assert outside.status_code == 422 and outside.json()["code"] == "invalid_region"
    person = ok(bo.get("/api/v1/people", {"q": RESIDENT}))["items"][0]
    fo = login("fo")
    created = post(
        fo,
        "/api/v1/cases",
        {
            "person_id": person["id"], "complaint_type": "pengaduan", "channel": "sekretariat",
            "needs": [{"sector": "kesehatan", "description": "Periksa kehamilan"}], "consent": CONSENT,
            "consent_given": True, "consent_share_agencies": True, "consent_purpose": CONSENT["purpose"],
        },
        201,
    )
    bo_id = next(s["id"] for s in staff if s["username"] == "walk-bo")
    task = post(
        bo,
        f"/api/v1/cases/{created['id']}/tasks",
        {"title": "Telepon warga", "due_date": dt.date.today().isoformat(), "assigned_to_id": bo_id},
        201,
    )
    assert task["assigned_to_id"] == bo_id
    assert task["id"] in [t["id"] for t in ok(bo.get(f"/api/v1/cases/{created['id']}"))["tasks"]]
    # An agency recommendation's approval drafts its referral: its id is on the recommendation.
    service = next(s for s in services if s["sector"] == "kesehatan")
    rec = post(
        bo,
        f"/api/v1/cases/{created['id']}/recommendations",
        {"need_id": created["needs"][0]["id"], "kind": "lembaga", "service_id": service["id"]},
        201,
    )
    approved = post(manajer, f"/api/v1/recommendations/{rec['id']}/approve", {"version": rec["version"]})
    assert len(approved["referral_ids"]) == 1
    referral = ok(manajer.get(f"/api/v1/referrals/{approved['referral_ids'][0]}"))
    assert referral["need_id"] == created["needs"][0]["id"]
    detail = ok(bo.get(f"/api/v1/cases/{created['id']}"))
    assert detail["recommendation_ids"] == [rec["id"]] and detail["referral_ids"] == approved["referral_ids"]


def test_staff_list_is_for_assigners_only_and_filters_by_role(scene):
    assert login("mitra").get("/api/v1/staff", {"region": DESA}).status_code == 403
    fo = ok(login("fo").get("/api/v1/staff", {"region": DESA, "role": "back_office"}))
    assert [s["username"] for s in fo] == ["walk-bo"]
    bad = login("fo").get("/api/v1/staff", {"region": DESA, "role": "kepala"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_role"


def test_pdf_downloads_are_audited_and_out_of_scope_letters_are_404(scene):
    from slrt.audit.models import AuditEvent

    fo, bo, manajer = login("fo"), login("bo"), login("manajer")
    person = ok(fo.get("/api/v1/people", {"q": RESIDENT}))["items"][0]
    created = post(
        fo,
        "/api/v1/cases",
        {
            "person_id": person["id"], "complaint_type": "pengaduan", "channel": "sekretariat",
            "needs": [{"sector": "sosial_ekonomi", "description": "Bantuan usaha"}], "consent": CONSENT,
            "consent_given": True, "consent_share_agencies": True, "consent_purpose": CONSENT["purpose"],
        },
        201,
    )
    rec = post(
        bo, f"/api/v1/cases/{created['id']}/recommendations",
        {"need_id": created["needs"][0]["id"], "kind": "puskesos"}, 201,
    )
    letter_id = post(manajer, f"/api/v1/recommendations/{rec['id']}/approve", {"version": rec["version"]})[
        "letter_ids"
    ][0]
    assert is_pdf(bo.get(f"/api/v1/letters/{letter_id}/pdf"))
    assert is_pdf(fo.post(f"/api/v1/cases/{created['id']}/receipt.pdf", {"status_code": created["status_code"]},
                          content_type="application/json"))
    assert login("bo_other").get(f"/api/v1/letters/{letter_id}/pdf").status_code == 404
    assert AuditEvent.objects.filter(action="letter.download", object_id=str(letter_id)).count() == 1
    assert AuditEvent.objects.filter(action="case.receipt", object_id=str(created["id"])).count() == 1
