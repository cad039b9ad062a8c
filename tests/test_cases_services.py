"""Service desk writes: intake, tickets, status codes, registry follow-up, consent, monitoring."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.cases import selectors, services, tickets, workflow
from slrt.cases.models import Case, CaseEvent, CaseStatus, Need, NeedStatus
from slrt.cases.receipt import receipt_pdf
from slrt.core.locking import ConflictError
from slrt.fieldwork.models import Visit, VisitKind, VisitStatus
from slrt.notifications.models import Notification
from slrt.updates.models import Proposal, ProposalKind

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
TICKET = re.compile(r"^SLRT-3201-\d{4}-\d{6}$")


def intake(**kw):
    base = dict(
        complaint_type="pengaduan",
        channel="sekretariat",
        needs=[{"sector": "kesehatan", "description": "Biaya rawat inap anak"}],
        consent_given=True,
        consent_purpose="Penanganan keluhan dan rujukan",
        consent_share_agencies=True,
        phone="0812-3456-7890",
    )
    base.update(kw)
    return services.Intake(**base)


def token_for(user):
    return tickets.issue_search_token(user, "nama")


@pytest.fixture
def fo(make_user):
    return make_user("front_office", "32.01")


@pytest.fixture
def bo(make_user):
    return make_user("back_office", "32.01")


def new_case(user, make_person=None, **kw):
    if make_person is not None:
        return services.create_case(user, intake(**kw), person=make_person())
    return services.create_case(
        user,
        intake(**kw),
        new_person=services.NewPerson(name="Budi Santoso", desa_code=DESA),
        search_token=token_for(user),
    )


def test_case_for_registry_person_gets_ticket_household_and_timeline(fo, make_person):
    person = make_person()
    result = services.create_case(fo, intake(), person=person)
    case = result.case
    assert TICKET.match(case.ticket)
    assert case.ticket.split("-")[2] == str(timezone.localdate().year)
    assert case.person == person and case.household == person.household and case.in_registry
    assert case.desa_code == DESA and case.kab_code == "32.01"
    assert case.applicant_nik == person.nik
    assert list(case.needs.values_list("sector", flat=True)) == ["kesehatan"]
    assert CaseEvent.objects.filter(case=case, kind="case.created", params__ticket=case.ticket).exists()
    assert AuditEvent.objects.filter(action="case.create", object_id=str(case.pk)).exists()
    assert Notification.objects.filter(event="case.created", object_id=str(case.pk)).exists()
    assert not Proposal.objects.system().filter(case=case).exists()


def test_tickets_are_sequential_per_kab_and_year_and_unique_under_a_burst(fo, make_user):
    fo_02 = make_user("front_office", "32.02")
    numbers = [new_case(fo).case.ticket for _ in range(25)]
    assert len(set(numbers)) == 25
    seqs = [int(t.rsplit("-", 1)[1]) for t in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 25))
    other = services.create_case(
        fo_02,
        intake(),
        new_person=services.NewPerson(name="Ani", desa_code="32.02.02.2001"),
        search_token=token_for(fo_02),
    ).case.ticket
    assert other.startswith("SLRT-3202-") and other.endswith("-000001")
    assert tickets.next_ticket("32.01", 2031) == "SLRT-3201-2031-000001"


def test_status_code_is_stored_hashed_and_a_reprint_invalidates_the_old_one(fo):
    result = new_case(fo)
    case, code = result.case, result.status_code
    assert len(code) == 8 and set(code) <= set(tickets.STATUS_CODE_ALPHABET)
    assert code not in case.status_code_hash and len(case.status_code_hash) == 64
    assert selectors.public_status(case.ticket, code) is not None
    assert selectors.public_status(case.ticket.lower(), tickets.format_status_code(code).lower()) is not None
    new_code = services.reissue_status_code(fo, case)
    assert new_code != code
    assert selectors.public_status(case.ticket, code) is None
    assert selectors.public_status(case.ticket, new_code) is not None
    assert CaseEvent.objects.filter(case=case, kind="case.receipt_reprinted").exists()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_receipt_pdf_is_a5_and_shows_ticket_and_status_code(fo):
    result = new_case(fo)
    data = receipt_pdf(result.case, result.status_code)
    assert data.startswith(b"%PDF")
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert round(float(box.width)) == 420 and round(float(box.height)) == 595  # A5 in points
    text = _pdf_text(data)
    assert result.case.ticket in text
    assert tickets.format_status_code(result.status_code) in text
    assert "/status/?tiket=" in text


def test_person_not_in_registry_gets_draft_proposal_and_verification_visit(fo, make_user):
    fasilitator = make_user("fasilitator", DESA)
    result = services.create_case(
        fo,
        intake(),
        new_person=services.NewPerson(
            name="Budi  Santoso", desa_code="3201022001", nik="3201021503900007", address="Dusun Kaler RT 01"
        ),
        search_token=token_for(fo),
    )
    case = result.case
    assert not case.in_registry and case.person is None
    proposal = Proposal.objects.system().get(case=case)
    assert proposal.kind == ProposalKind.NEW_HOUSEHOLD and proposal.status == "draf"
    assert proposal.data["nama"] == "Budi Santoso" and proposal.data["nik"] == "3201021503900007"
    assert proposal.data["kode_wilayah"] == DESA and proposal.desa_code == DESA
    assert proposal.data["tanggal_lahir"] == "1990-03-15" and proposal.data["jenis_kelamin"] == "L"
    visit = Visit.objects.system().get(case=case)
    assert visit.kind == VisitKind.VERIFICATION and visit.status == VisitStatus.PLANNED
    assert visit.proposal == proposal and visit.assigned_to == fasilitator
    assert visit.due_date == timezone.localdate() + dt.timedelta(days=7)


def test_new_person_refused_without_a_search(fo):
    with pytest.raises(ValidationError) as exc:
        services.create_case(fo, intake(), new_person=services.NewPerson(name="Budi", desa_code=DESA))
    assert "search" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_case(
            fo, intake(), new_person=services.NewPerson(name="Budi", desa_code=DESA), search_token="forged"
        )
    assert not Case.objects.system().exists()


def test_search_token_of_another_user_does_not_count(fo, make_user):
    other = make_user("front_office", "32.01")
    with pytest.raises(ValidationError) as exc:
        services.create_case(
            fo, intake(), new_person=services.NewPerson(name="Budi", desa_code=DESA), search_token=token_for(other)
        )
    assert "search" in exc.value.message_dict


def test_nik_given_is_itself_the_search_and_a_registered_nik_is_refused(fo, make_person):
    person = make_person()
    with pytest.raises(ValidationError) as exc:
        services.create_case(fo, intake(), new_person=services.NewPerson(name="X", desa_code=DESA, nik=person.nik))
    assert "sudah ada di registri" in exc.value.message_dict["nik"][0]
    # An unknown, valid NIK needs no token: the server has just searched for it.
    case = services.create_case(
        fo, intake(), new_person=services.NewPerson(name="Budi", desa_code=DESA, nik="3201021503900007")
    ).case
    assert not case.in_registry


def test_invalid_nik_and_out_of_scope_desa_are_named(make_user):
    fo_desa = make_user("front_office", DESA)
    with pytest.raises(ValidationError) as exc:
        services.create_case(
            fo_desa,
            intake(phone="12"),
            new_person=services.NewPerson(name="Budi", desa_code="32.01.02.2002", nik="3201020000000000"),
            search_token=token_for(fo_desa),
        )
    errors = exc.value.message_dict
    assert "nik" in errors and "desa_code" in errors and "phone" in errors
    assert "luar wilayah tugas" in errors["desa_code"][0]


def test_intake_without_needs_or_with_bad_sector_is_refused(fo):
    with pytest.raises(ValidationError) as exc:
        new_case(fo, needs=[])
    assert "needs" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        new_case(fo, needs=[{"sector": "bogus", "description": "x"}, {"sector": "pangan", "description": ""}])
    assert len(exc.value.message_dict["needs"]) == 2


def test_consent_purpose_required_when_consent_given(fo):
    with pytest.raises(ValidationError) as exc:
        new_case(fo, consent_purpose="")
    assert "consent_purpose" in exc.value.message_dict


def test_without_consent_no_personal_data_is_recorded(fo, make_person):
    with pytest.raises(ValidationError) as exc:
        services.create_case(fo, intake(consent_given=False, consent_share_agencies=False), person=make_person())
    assert "consent_given" in exc.value.message_dict
    # Anonymous: no contact, no registry link, no proposal, no message.
    result = services.create_case(
        fo,
        intake(consent_given=False, consent_share_agencies=False, phone="", complaint_type="saran"),
        new_person=services.NewPerson(name="", desa_code=DESA),
    )
    case = result.case
    assert case.applicant_name == "" and case.applicant_nik == "" and case.applicant_phone == ""
    assert not case.consent_given and not case.consent_share_agencies and case.consent_at is None
    assert not Proposal.objects.system().filter(case=case).exists()
    assert not Notification.objects.filter(object_id=str(case.pk), event="case.created").exists()


def test_consent_share_recorded_with_time(fo):
    case = new_case(fo, consent_share_agencies=False).case
    assert case.consent_given and not case.consent_share_agencies and case.consent_at is not None


def test_close_refused_with_open_needs_then_allowed_and_reopened(fo, bo):
    case = new_case(
        fo, needs=[{"sector": "kesehatan", "description": "a"}, {"sector": "pangan", "description": "b"}]
    ).case
    first, second = case.needs.all()
    with pytest.raises(ValidationError) as exc:
        services.close_case(bo, case, case.version)
    message = exc.value.message_dict["case"][0]
    assert f"#{first.pk} Kesehatan" in message and f"#{second.pk} Pangan" in message
    services.set_need_status(bo, first, first.version, status=NeedStatus.HANDLED, outcome="Dirawat, biaya ditanggung")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(ValidationError) as exc:
        services.close_case(bo, case, case.version)
    assert f"#{first.pk}" not in exc.value.message_dict["case"][0]
    with pytest.raises(ValidationError):
        services.set_need_status(bo, second, second.version, status=NeedStatus.CLOSED, outcome="")
    services.set_need_status(bo, second, second.version, status=NeedStatus.CLOSED, outcome="Warga pindah")
    case.refresh_from_db()
    assert workflow.close_allowed(case)
    services.close_case(bo, case, case.version, reason="Semua tertangani")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at
    with pytest.raises(ValidationError):
        services.add_need(bo, case, sector="pangan", description="baru")
    with pytest.raises(ValidationError):
        services.reopen_case(bo, case, case.version, reason="")
    services.reopen_case(bo, case, case.version, reason="Warga datang lagi")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.closed_at is None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[:1] == ["case.created"] and kinds[-2:] == ["case.closed", "case.reopened"]
    assert kinds.count("need.status") == 2


def test_front_office_may_not_close(fo):
    from django.core.exceptions import PermissionDenied

    case = new_case(fo).case
    with pytest.raises(PermissionDenied):
        services.close_case(fo, case, case.version)


def test_stale_version_on_need_edit_conflicts_and_writes_nothing(fo, bo):
    case = new_case(fo).case
    need = case.needs.get()
    stale = need.version
    services.edit_need(bo, need, stale, sector="pangan", description="Beras")
    other = Need.objects.get(pk=need.pk)
    with pytest.raises(ConflictError):
        services.edit_need(fo, other, stale, sector="energi", description="LPG")
    need.refresh_from_db()
    assert need.sector == "pangan" and need.description == "Beras"


def test_tasks_due_and_done_and_overdue_listed(fo, bo):
    case = new_case(fo).case
    task = services.add_task(bo, case, title="Telepon RSUD", due_date=timezone.localdate(), assigned_to=bo)
    with pytest.raises(ValidationError):
        services.add_task(bo, case, title="x", due_date=timezone.localdate() - dt.timedelta(days=1))
    # Make it overdue as time passes.
    type(task).objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=2))
    overdue = selectors.list_cases(bo, selectors.CaseFilters(overdue=True))
    assert [c.pk for c in overdue] == [case.pk]
    services.complete_task(bo, task, result="RSUD menerima")
    with pytest.raises(ValidationError):
        services.complete_task(bo, task, result="lagi")
    assert not selectors.list_cases(bo, selectors.CaseFilters(overdue=True)).exists()
    assert case.events.filter(kind="task.done").exists()


def test_list_filters(fo, bo):
    a = new_case(fo, urgency="darurat").case
    b = new_case(fo, needs=[{"sector": "pendidikan", "description": "Seragam"}], channel="whatsapp").case
    ids = lambda **kw: {c.pk for c in selectors.list_cases(bo, selectors.CaseFilters(**kw))}  # noqa: E731
    assert ids(urgency="darurat") == {a.pk}
    assert ids(sector="pendidikan") == {b.pk}
    assert ids(channel="whatsapp") == {b.pk}
    assert ids(ticket=a.ticket[-6:]) == {a.pk}
    assert ids(desa="32.01.02") == {a.pk, b.pk}
    assert ids(desa="32.01.03") == set()
    assert ids(date_from=timezone.localdate()) == {a.pk, b.pk}


def test_demo_seed_makes_cases_in_each_intake_state_once(fo, bo, make_person):
    from slrt.cases.demo import seed_cases

    for i in range(4):
        make_person(nama=f"Demo {i}")
    cases = seed_cases("32.01", fo, bo)
    statuses = [c.status if c.status else "" for c in Case.objects.system().order_by("pk")]
    assert len(cases) == 6
    assert set(statuses) == {CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}
    assert Case.objects.system().filter(in_registry=False, consent_given=True).count() == 1
    assert Case.objects.system().filter(consent_given=False).count() == 1
    assert Case.objects.system().filter(events__kind="case.reopened").count() == 1
    assert seed_cases("32.01", fo, bo) == []
