"""Every list and search that shows people writes which people it showed (UU PDP; issue 11 point 7).

One audit row per page, holding exactly the ids of that page as the answer showed them (the ids
are taken from the API answers), never a name or a NIK.
"""

import datetime as dt

import pytest

from slrt.audit.models import AuditEvent
from slrt.cases import services as case_services
from slrt.fieldwork import services as field_services
from slrt.fieldwork.models import VisitKind
from tests.test_referrals_fixtures import DESA, api_client, build_desk, draft, make_case

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("pk")


def _no_personal_values(event, *values):
    text = str(event.detail)
    for value in values:
        assert value not in text


def test_people_search_records_the_people_and_households_of_the_page(make_person, make_user):
    same = [make_person(nama="Sri Lestari") for _ in range(3)]
    make_person(desa_code="32.02.02.2001", nama="Sri Lestari")  # outside the caller's scope
    bo = api_client(make_user("back_office", "32.01"))
    page = bo.get("/api/v1/people", {"q": "Sri Lestari", "limit": 2}).json()
    assert page["count"] == 2
    event = _last("person.search")
    assert event.detail["people"] == [p["id"] for p in page["items"]]
    assert event.detail["households"] == [p["household_id"] for p in page["items"]]
    assert event.detail["count"] == 2 and event.detail["by"] == ["nama"]
    _no_personal_values(event, "Sri", "Lestari", *(p.nik for p in same))

    second = bo.get("/api/v1/people", {"q": "Sri Lestari", "limit": 2, "offset": 2}).json()
    assert _last("person.search").detail["people"] == [p["id"] for p in second["items"]]
    assert len(second["items"]) == 1


def test_intake_search_records_whom_it_showed(make_person, make_user):
    person = make_person(nama="Dadang Suherman")
    fo = api_client(make_user("front_office", "32.01"))
    found = fo.get("/api/v1/cases/intake-search", {"nik": person.nik}).json()
    event = _last("person.search")
    assert event.detail["for"] == "intake" and event.detail["people"] == [p["id"] for p in found["items"]]
    assert len(found["items"]) == 1
    _no_personal_values(event, person.nik, "Dadang")


def test_referral_list_records_referrals_cases_and_people():
    desk = build_desk()
    refs = [draft(desk) for _ in range(3)]
    assert len(refs) == 3
    bo = api_client(desk.bo)
    page = bo.get("/api/v1/referrals", {"limit": 2}).json()
    event = _last("referral.list")
    assert event.actor == desk.bo and event.detail["count"] == 2
    assert event.detail["referrals"] == [r["id"] for r in page["items"]]
    assert event.detail["cases"] == [r["case_id"] for r in page["items"]]
    people = [bo.get(f"/api/v1/cases/{r['case_id']}").json()["person_id"] for r in page["items"]]
    assert event.detail["people"] == [p for p in people if p is not None]
    # A Mitra's inbox is a list of people too.
    mitra = api_client(desk.mitra)
    mitra.get("/api/v1/referrals")
    assert _last("referral.list").actor == desk.mitra


def test_visit_list_records_visits_households_and_people(make_person, make_user):
    head = make_person(nama="Asep Sunandar", sex="L")
    other = make_person(nama="Euis Komalasari")
    fas, sup = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02")
    for target in (head, other):
        field_services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                    due_date=dt.date.today() + dt.timedelta(days=2), household=target.household,
                                    person=target)
    page = api_client(sup).get("/api/v1/visits").json()
    assert page["count"] == 2
    event = _last("visit.list")
    assert event.detail["visits"] == [v["id"] for v in page["items"]]
    assert event.detail["households"] == [v["household"] for v in page["items"]]
    assert event.detail["people"] == [v["person"] for v in page["items"]]
    _no_personal_values(event, "Asep", "Euis", head.nik)


def test_case_list_and_a_cases_tasks_record_the_cases_and_people_shown(make_person):
    desk = build_desk()
    case, _need = make_case()
    person = make_person(nama="Neneng Hasanah")
    case.person = person
    case.save()
    case_services.add_task(desk.bo, case, title="Telepon keluarga", due_date=dt.date.today())
    case_services.add_task(desk.bo, case, title="Kunjungi rumah", due_date=dt.date.today())
    bo = api_client(desk.bo)

    listed = bo.get("/api/v1/cases").json()
    event = _last("case.list")
    assert event.detail["cases"] == [c["id"] for c in listed["items"]] and len(listed["items"]) == 1
    case_id = listed["items"][0]["id"]
    person_id = bo.get(f"/api/v1/cases/{case_id}").json()["person_id"]
    assert event.detail["people"] == [person_id]

    tasks = bo.get(f"/api/v1/cases/{case_id}/tasks").json()
    event = _last("task.list")
    assert event.detail["tasks"] == [t["id"] for t in tasks] and len(tasks) == 2
    assert event.detail["cases"] == [case_id] and event.detail["people"] == [person_id]
    _no_personal_values(event, "Neneng", person.nik)
