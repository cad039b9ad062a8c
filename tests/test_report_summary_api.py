"""SPEC's `GET /api/v1/reports/summary` (issue 13, point 6).

Everything is made and read through the API: regions from `/regions`, the agency and its service
from `/agencies`, cases from `POST /cases`, referrals from `POST /referrals` and their transitions.
Only the moments are set in the database (by the ids the API answered), since a case counts on the
day it was created and a referral on the day it was sent.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from slrt.cases.models import Case
from slrt.referrals.models import Referral
from tests.test_referrals_fixtures import DONE_FIELDS, agency, api_client, service, user

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
KAB = "32.01"
SUMMARY = "/api/v1/reports/summary"


def at(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture
def desk():
    rsud = agency("RSUD-3201", "rsud")
    service(rsud, "rawat-inap", sla_days=5)
    return {
        "fo": api_client(user("front_office", KAB)),
        "bo": api_client(user("back_office", KAB)),
        "manajer": api_client(user("manajer", KAB)),
        "mitra": api_client(user("mitra", KAB, "RSUD-3201")),
        "other": api_client(user("manajer", "32.02")),
    }


def desa_codes(client, kab=KAB) -> list[str]:
    """Two desa of the kabupaten, found by walking /regions down from it."""
    kecamatan = client.get(f"/api/v1/regions/{kab}").json()["children"]
    codes = []
    for kec in kecamatan[:2]:
        codes.append(client.get(f"/api/v1/regions/{kec['code']}").json()["children"][0]["code"])
    return codes


def new_case(desk, desa, created, *, sectors=("kesehatan",), kind="pengaduan", channel="sekretariat"):
    token = desk["fo"].get("/api/v1/cases/intake-search", {"q": "Warga Uji Laporan"}).json()["search_token"]
    answer = desk["fo"].post("/api/v1/cases", {
        "new_person": {"name": "Warga Uji Laporan", "desa_code": desa}, "search_token": token,
        "complaint_type": kind, "channel": channel,
        "needs": [{"sector": s, "description": f"Kebutuhan {s}"} for s in sectors],
        "consent": {"given": True, "share_with_agencies": True, "purpose": "Layanan SLRT"},
    }, content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    Case.unscoped.filter(pk=body["id"]).update(created_at=created)
    return body


def send_referral(desk, case, sent, *, then=()):
    """A referral for the case's first need to the RSUD's service, sent by the Manajer at `sent`,
    then answered by the agency (`accept`, `reject`, `start`, `done`)."""
    agencies = desk["bo"].get("/api/v1/agencies").json()
    rsud = next(a for a in agencies if a["code"] == "RSUD-3201")
    payload = {"need_id": case["needs"][0]["id"], "service_id": rsud["services"][0]["id"], "note": "Mohon dibantu"}
    ref = desk["bo"].post("/api/v1/referrals", payload, content_type="application/json")
    assert ref.status_code == 201, ref.content
    ref = ref.json()

    def move(client, action, **fields):
        answer = client.post(f"/api/v1/referrals/{ref['id']}/transitions",
                             {"action": action, "version": current["version"], **fields},
                             content_type="application/json")
        assert answer.status_code == 200, (action, answer.content)
        return answer.json()

    current = ref
    current = move(desk["manajer"], "send")
    # The SLA clock starts when it is sent: move the sending (and its due date) to `sent`.
    shift = sent - dt.datetime.fromisoformat(current["sent_at"])
    due = dt.datetime.fromisoformat(current["due_at"]) + shift
    Referral.unscoped.filter(pk=ref["id"]).update(sent_at=sent, due_at=due)
    for action in then:
        fields = {"reason": "Bukan wewenang kami"} if action == "reject" else (DONE_FIELDS if action == "done" else {})
        current = move(desk["mitra"], action, **fields)
    return current


def summary(client, **params):
    return client.get(SUMMARY, params)


def test_the_answer_has_specs_shape_and_counts_cases_by_created_day_with_to_inclusive(desk):
    desa1, desa2 = desa_codes(desk["manajer"])
    new_case(desk, desa1, at(11, 1, 0, 0), sectors=("kesehatan", "pendidikan"))  # two sectors
    new_case(desk, desa1, at(11, 30, 23, 30), kind="pertanyaan", channel="telepon")  # the last minutes of `to`
    new_case(desk, desa2, at(11, 15), sectors=("pangan",), kind="saran", channel="whatsapp")
    new_case(desk, desa2, at(10, 31, 23, 59))  # October
    new_case(desk, desa2, at(12, 1, 0, 0))  # December
    answer = summary(desk["manajer"], region=KAB, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert answer.status_code == 200, answer.content
    assert "no-store" in answer["Cache-Control"]
    body = answer.json()
    assert set(body) >= {"region", "from", "to", "cases", "referrals"}
    assert (body["region"], body["from"], body["to"]) == (KAB, "2026-11-01", "2026-11-30")
    cases = body["cases"]
    assert set(cases) >= {"total", "closed", "by_sector", "by_type", "by_channel"}
    assert cases["total"] == 3 and cases["closed"] == 0
    # The two-sector case counts once in the total and once in each of its sectors.
    assert cases["by_sector"]["kesehatan"] == 2 and cases["by_sector"]["pendidikan"] == 1
    assert cases["by_sector"]["pangan"] == 1 and cases["by_sector"]["perumahan"] == 0
    assert cases["by_type"] == {"pertanyaan": 1, "saran": 1, "pengaduan": 1}
    assert cases["by_channel"]["sekretariat"] == 1 and cases["by_channel"]["telepon"] == 1
    assert cases["by_channel"]["whatsapp"] == 1 and sum(cases["by_channel"].values()) == 3
    assert body["referrals"] == {"by_agency": []}
    # One day: `to` is inclusive.
    day = summary(desk["manajer"], region=KAB, **{"from": "2026-11-30", "to": "2026-11-30"}).json()
    assert day["cases"]["total"] == 1
    # A desa found through /regions, with its own count; the region code may be sent undotted.
    assert summary(desk["manajer"], region=desa2.replace(".", ""),
                   **{"from": "2026-11-01", "to": "2026-11-30"}).json()["cases"]["total"] == 1


def test_referrals_count_by_sent_day_per_agency(desk):
    desa1, _desa2 = desa_codes(desk["manajer"])
    october_case = new_case(desk, desa1, at(10, 20))
    done = new_case(desk, desa1, at(11, 2))
    rejected = new_case(desk, desa1, at(11, 3))
    late = new_case(desk, desa1, at(11, 4))
    december = new_case(desk, desa1, at(11, 5))
    send_referral(desk, october_case, at(11, 1, 0, 0), then=("accept",))  # case of October, sent in November
    send_referral(desk, done, at(11, 2), then=("accept", "start", "done"))  # done today, long after its SLA
    send_referral(desk, rejected, at(11, 30, 23, 59), then=("reject",))
    send_referral(desk, late, at(10, 31, 23, 59), then=("accept",))  # sent in October
    send_referral(desk, december, at(12, 1, 0, 0))  # sent in December
    body = summary(desk["manajer"], region=KAB, **{"from": "2026-11-01", "to": "2026-11-30"}).json()
    agencies = body["referrals"]["by_agency"]
    codes = {a["code"] for a in desk["bo"].get("/api/v1/agencies").json()}
    assert [a["agency"] for a in agencies] == ["RSUD-3201"] and "RSUD-3201" in codes
    row = agencies[0]
    assert {k: row[k] for k in ("sent", "accepted", "rejected", "done")} == {
        "sent": 3, "accepted": 2, "rejected": 1, "done": 1}
    # Done today, long after the five-day SLA from 2 November: not on time.
    assert row["done_on_time"] == 0
    assert body["cases"]["total"] == 4  # the October case is not November's


def test_outside_the_scope_is_404_as_if_it_did_not_exist(desk):
    desa1, _ = desa_codes(desk["manajer"])
    new_case(desk, desa1, at(11, 2))
    period = {"from": "2026-11-01", "to": "2026-11-30"}
    outside = summary(desk["other"], region=KAB, **period)
    unknown = summary(desk["other"], region="32.99", **period)
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json() and outside.json()["code"] == "not_found"
    assert summary(desk["other"], region=desa1, **period).status_code == 404
    assert summary(desk["other"], region="kabupaten", **period).json() == unknown.json()
    # Its own region answers, without the other kabupaten's case.
    own = summary(desk["other"], **period).json()
    assert own["region"] == "32.02" and own["cases"]["total"] == 0
    # Roles without the dashboard are refused.
    refused = summary(desk["fo"], region=KAB, **period)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "2026-11-01", "to": "30-11-2026"}, "to"),
        ({"from": "2026-11-01"}, "to"),
        ({"to": "2026-11-30"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-11-30"}, "to"),  # longer than three years
    ],
)
def test_bad_dates_are_422_naming_the_field(desk, params, field):
    answer = summary(desk["manajer"], region=KAB, **params)
    assert answer.status_code == 422, answer.content
    body = answer.json()
    assert body["code"] == "invalid_date" and list(body["errors"]) == [field] and field in body["detail"]


def test_without_dates_the_current_month_of_the_region(desk):
    desa1, _ = desa_codes(desk["manajer"])
    new_case(desk, desa1, timezone.now())
    body = summary(desk["manajer"], region=KAB).json()
    today = timezone.localtime(timezone.now(), WIB).date()
    assert body["from"] == today.replace(day=1).isoformat()
    assert dt.date.fromisoformat(body["to"]).month == today.month
    assert (dt.date.fromisoformat(body["to"]) + dt.timedelta(days=1)).day == 1
    assert body["cases"]["total"] == 1


def test_the_openapi_document_describes_the_summary(client):
    document = client.get("/api/v1/openapi.json").json()
    op = document["paths"][SUMMARY]["get"]
    assert {p["name"] for p in op["parameters"]} == {"region", "from", "to"}
    assert {"200", "404", "422"} <= set(op["responses"])
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schemas = document["components"]["schemas"]
    assert set(schemas[ref]["properties"]) == {"region", "from", "to", "cases", "referrals"}
    cases = schemas[schemas[ref]["properties"]["cases"]["$ref"].rsplit("/", 1)[1]]
    assert set(cases["properties"]) == {"total", "closed", "by_sector", "by_type", "by_channel"}
    assert "inclusive" in op["description"] or "termasuk" in op["description"]
