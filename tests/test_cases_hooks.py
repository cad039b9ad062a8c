"""The cases app's extension point for a resident not in the registry (cases.hooks): updates and
fieldwork register there, and a failing handler rolls the whole intake back."""

import pytest

from slrt.audit.models import AuditEvent
from slrt.cases import hooks, services, tickets
from slrt.cases.models import Case, CaseEvent, Need
from slrt.fieldwork.models import Visit
from slrt.fieldwork.services import plan_verification_visit
from slrt.notifications.models import Notification
from slrt.updates.models import Proposal
from slrt.updates.services import draft_for_unregistered_resident
from tests.test_cases_services import intake

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


def new_resident_case(user):
    return services.create_case(
        user,
        intake(),
        new_person=services.NewPerson(name="Budi Santoso", desa_code=DESA),
        search_token=tickets.issue_search_token(user, "nama"),
    ).case


@pytest.fixture
def fo(make_user):
    return make_user("front_office", "32.01")


def test_updates_then_fieldwork_are_registered_in_that_order():
    handlers = hooks._unregistered_resident
    assert draft_for_unregistered_resident in handlers and plan_verification_visit in handlers
    assert handlers.index(draft_for_unregistered_resident) < handlers.index(plan_verification_visit)


def test_the_proposal_and_its_visit_are_on_the_timeline_and_in_the_audit(fo):
    case = new_resident_case(fo)
    proposal = Proposal.objects.system().get(case=case)
    visit = Visit.objects.system().get(case=case)
    assert visit.proposal == proposal
    events = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", "params"))
    assert [kind for kind, _params in events] == ["case.created", "case.proposal_drafted"]
    assert events[1][1] == {"proposal": proposal.pk, "visit": visit.pk, "due": visit.due_date.isoformat()}
    audit = AuditEvent.objects.get(action="case.create")
    assert audit.detail["proposal"] == proposal.pk and audit.detail["visit"] == visit.pk


def test_a_failing_handler_rolls_the_whole_intake_back(fo, monkeypatch):
    def broken(resident):
        assert resident.proposal is not None and resident.visit is not None  # ran after the others
        raise RuntimeError("handler failed")

    monkeypatch.setattr(hooks, "_unregistered_resident", [*hooks._unregistered_resident, broken])
    with pytest.raises(RuntimeError):
        new_resident_case(fo)
    assert not Case.objects.system().exists() and not Need.objects.exists()
    assert not Proposal.objects.system().exists() and not Visit.objects.system().exists()
    assert not CaseEvent.objects.exists() and not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="case.create").exists()


def test_the_proposal_page_lists_the_visit_that_verifies_it(fo, make_user):
    from tests.test_referrals_fixtures import client_for

    fasilitator = make_user("fasilitator", DESA)
    case = new_resident_case(fo)
    proposal = Proposal.objects.system().get(case=case)
    visit = Visit.objects.system().get(case=case)
    page = client_for(fasilitator).get(f"/usulan/{proposal.pk}/")
    assert page.status_code == 200
    assert f'href="/lapangan/kunjungan/{visit.pk}/"' in page.text
