"""The resident's own data (issue 11, point 8; UU PDP art. 32): the services of data-subject requests.

A request is received for a registry person, due 3×24 hours later; identity is verified against
the registry before anything is handed over; an access request is fulfilled by the PDF copy, a
correction by a real registry proposal (updates) or a case edit (cases); region scope holds.
"""

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from pypdf import PdfReader

from slrt.audit.models import AuditEvent
from slrt.cases import services as case_services
from slrt.core.exceptions import Forbidden, InvalidTransition
from slrt.core.locking import ConflictError
from slrt.privacy import selectors, services, workflow
from slrt.privacy.models import DataRequest, RequestStatus, Resolution
from slrt.updates.models import Proposal, ProposalKind, ProposalStatus

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


@pytest.fixture
def fo(make_user):
    return make_user("front_office", "32.01")


@pytest.fixture
def bo(make_user):
    return make_user("back_office", "32.01")


@pytest.fixture
def person(make_person):
    return make_person(DESA, nama="Siti Aminah", pekerjaan="Buruh tani")


def _case(user, person, **kw):
    return case_services.create_case(user, case_services.Intake(
        complaint_type="pengaduan", channel="sekretariat",
        needs=[{"sector": "kesehatan", "description": "Biaya rawat inap anak"}],
        consent_given=True, consent_purpose="Penanganan keluhan", consent_share_agencies=True,
        phone="081234567890", **kw), person=person).case


def _verified(actor, person, kind="akses", **kw):
    r = services.receive(actor, person=person, kind=kind, details=kw.pop("details", "Data pekerjaan keliru"), **kw)
    return services.verify_identity(actor, r, r.version, identity_method="ktp", identity_digits=person.nik[-4:])


def test_a_request_is_due_72_hours_after_it_was_received_and_is_audited(fo, person):
    before = timezone.now()
    r = services.receive(fo, person=person, kind="akses")
    assert before <= r.received_at <= timezone.now()
    assert r.deadline_at - r.received_at == dt.timedelta(hours=72)
    assert (r.status, r.kab_code, r.desa_code) == (RequestStatus.RECEIVED, "32.01", DESA)
    event = AuditEvent.objects.get(action="data_request.receive")
    assert (event.object_type, event.object_id, event.actor) == ("privacy.datarequest", str(r.pk), fo)
    assert person.nik not in str(event.detail) and person.nama not in str(event.detail)


def test_a_letter_counts_from_its_arrival_so_it_can_be_overdue_at_once_but_a_desk_visit_is_now(fo, person):
    arrived = timezone.now() - dt.timedelta(hours=80)
    letter = services.receive(fo, person=person, kind="akses", channel="surat", received_at=arrived)
    assert letter.deadline_at == arrived + workflow.DEADLINE
    desk = services.receive(fo, person=person, kind="akses", channel="loket", received_at=arrived)
    assert desk.received_at > arrived + dt.timedelta(hours=79)
    assert list(selectors.overdue_requests(fo)) == [letter]
    assert set(selectors.open_requests(fo)) == {letter, desk}
    with pytest.raises(ValidationError) as err:
        services.receive(fo, person=person, kind="akses", channel="surat",
                         received_at=timezone.now() + dt.timedelta(days=1))
    assert "received_at" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.receive(fo, person=person, kind="akses", channel="email",
                         received_at=timezone.now() - dt.timedelta(days=31))


def test_a_correction_must_say_what_is_wrong_and_formulas_are_refused(fo, person):
    with pytest.raises(ValidationError) as err:
        services.receive(fo, person=person, kind="koreksi", details="  ")
    assert "details" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.receive(fo, person=person, kind="koreksi", details="=HYPERLINK(\"http://x\")")
    with pytest.raises(ValidationError):
        services.receive(fo, person=person, kind="hapus")


def test_outside_the_region_the_person_and_the_request_do_not_exist(make_user, fo, person):
    other = make_user("front_office", "32.02")
    with pytest.raises(Http404):
        services.receive(other, person=person, kind="akses")
    r = services.receive(fo, person=person, kind="akses")
    with pytest.raises(Http404):
        services.verify_identity(other, r, r.version, identity_method="ktp", identity_digits=person.nik[-4:])
    with pytest.raises(Http404):
        selectors.get_request(other, r.pk)
    assert not selectors.requests_for(other).exists()
    # A desa-level desk of another village in the same kabupaten sees nothing either.
    assert not selectors.requests_for(make_user("koordinator_puskesos", "32.01.02.2002")).exists()


def test_roles_outside_the_desk_may_not_receive_or_move_a_request(make_user, fo, person):
    dinsos = make_user("dinsos", "32")
    with pytest.raises(Forbidden):
        services.receive(dinsos, person=person, kind="akses")
    r = services.receive(fo, person=person, kind="akses")
    assert selectors.get_request(dinsos, r.pk) == r  # oversight sees it …
    with pytest.raises(Forbidden):  # … but does not serve it
        services.verify_identity(dinsos, r, r.version, identity_method="ktp", identity_digits=person.nik[-4:])
    with pytest.raises(Http404):  # no view_data_requests at all
        services.transition(make_user("supervisor", "32.01.02"), r, "refuse", r.version, reason="x")


def test_identity_must_match_the_registry_and_only_four_digits_are_kept(fo, person):
    r = services.receive(fo, person=person, kind="akses")
    wrong = "0000" if person.nik[-4:] != "0000" else "1111"
    with pytest.raises(ValidationError) as err:
        services.verify_identity(fo, r, r.version, identity_method="ktp", identity_digits=wrong)
    assert "identity_digits" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.verify_identity(fo, r, r.version, identity_method="ktp", identity_digits=person.nik)
    with pytest.raises(ValidationError) as err:  # a power of attorney names its letter
        services.verify_identity(fo, r, r.version, identity_method="kuasa", identity_digits="1234")
    assert "identity_note" in err.value.message_dict
    r.refresh_from_db()
    assert r.status == RequestStatus.RECEIVED
    # No copy before the identity check.
    with pytest.raises(InvalidTransition) as err:
        services.issue_copy(fo, r, r.version)
    assert "belum diperiksa" in str(err.value.message)
    services.verify_identity(fo, r, r.version, identity_method="kk", identity_digits=person.household.nomor_kk[-4:])
    r.refresh_from_db()
    assert (r.status, r.identity_method, r.identity_digits, r.verified_by) == ("terverifikasi", "kk",
                                                                              person.household.nomor_kk[-4:], fo)
    assert len(r.identity_digits) == 4


def test_a_stale_version_is_a_conflict_and_writes_nothing(fo, person):
    r = services.receive(fo, person=person, kind="akses")
    services.verify_identity(fo, r.pk, r.version, identity_method="ktp", identity_digits=person.nik[-4:])
    with pytest.raises(ConflictError):
        services.transition(fo, r.pk, "refuse", r.version, reason="Identitas diragukan")
    assert DataRequest.objects.system().get(pk=r.pk).status == RequestStatus.VERIFIED


def test_every_action_of_the_table_is_refused_from_a_state_it_does_not_leave(fo, bo, person):
    r = _verified(bo, person)
    services.transition(bo, r, "withdraw", r.version, reason="Pemohon tidak jadi")
    for action in workflow.TRANSITIONS:
        with pytest.raises((InvalidTransition, ValidationError)):
            if action == "verify":
                services.verify_identity(bo, r, r.version, identity_method="ktp", identity_digits=person.nik[-4:])
            elif action == "issue_copy":
                services.issue_copy(bo, r, r.version)
            elif action == "propose_correction":
                services.propose_correction(bo, r, r.version, data={"pekerjaan": "Petani"}, reason="x")
            elif action == "correct_case":
                services.correct_case(bo, r, r.version, case_id=0, case_version=None, values={"summary": "x"})
            else:
                services.transition(bo, r, action, r.version, reason="x")
    assert workflow.allowed_actions("back_office", "dicabut", "akses") == []
    assert workflow.allowed_actions("back_office", "terverifikasi", "akses") == ["issue_copy", "refuse", "withdraw"]
    assert workflow.allowed_actions("dinsos", "terverifikasi", "akses") == []


def test_refusing_needs_a_reason(fo, person):
    r = services.receive(fo, person=person, kind="akses")
    with pytest.raises(ValidationError) as err:
        services.transition(fo, r, "refuse", r.version, reason="   ")
    assert "reason" in err.value.message_dict
    services.transition(fo, r, "refuse", r.version, reason="Pemohon tidak dapat menunjukkan identitas")
    r.refresh_from_db()
    assert (r.status, r.closed_by, r.outcome) == ("ditolak", fo, "Pemohon tidak dapat menunjukkan identitas")


def test_the_copy_holds_the_case_and_who_saw_it_and_only_its_hash_is_kept(fo, bo, person):
    case = _case(fo, person)
    from slrt.cases.selectors import get_case

    get_case(bo, case.pk)  # the back office opens the case: an access the copy must show
    r = _verified(fo, person)
    content = services.issue_copy(fo, r, r.version)
    r.refresh_from_db()
    assert (r.status, r.resolution, r.closed_by, r.copies_issued) == ("dipenuhi", Resolution.COPY, fo, 1)
    assert r.copy_sha256 == hashlib.sha256(content).hexdigest()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)
    assert person.nik in text and "Siti Aminah" in text and "Buruh tani" in text
    assert case.ticket in text and "Biaya rawat inap anak" in text
    assert bo.username in text and "membuka kasus" in text
    assert "mencetak salinan data pribadi" in text  # the copy lists its own issue
    assert AuditEvent.objects.filter(action="person.export", object_id=str(person.pk), actor=fo).count() == 1
    # A reprint is audited again and counted.
    services.reissue_copy(fo, r)
    r.refresh_from_db()
    assert r.copies_issued == 2
    assert AuditEvent.objects.filter(action="person.export", object_id=str(person.pk)).count() == 2


def test_a_correction_becomes_a_real_registry_proposal_through_the_updates_app(bo, person):
    r = _verified(bo, person, kind="koreksi", details="Pekerjaan saya petani, bukan buruh tani")
    proposal = services.propose_correction(bo, r, r.version, data={"pekerjaan": "Petani"},
                                           reason="Pekerjaan di registri keliru")
    p = Proposal.objects.system().get(pk=proposal.pk)
    assert (p.kind, p.status, p.person_id, p.created_by) == (ProposalKind.CHANGE, ProposalStatus.DRAFT, person.pk, bo)
    assert p.data == {"nik": person.nik, "pekerjaan": "Petani"}
    assert p.base == {"pekerjaan": "Buruh tani"}
    assert r.reference in p.reason
    assert p.transitions.filter(action="draft").exists()
    r.refresh_from_db()
    assert (r.status, r.resolution, r.proposal_id) == ("dipenuhi", Resolution.PROPOSAL, p.pk)


def test_a_correction_refused_by_the_updates_rules_leaves_the_request_open(fo, bo, person):
    r = _verified(bo, person, kind="koreksi")
    with pytest.raises(ValidationError):  # the registry already says so: nothing to propose
        services.propose_correction(bo, r, r.version, data={"pekerjaan": "Buruh tani"}, reason="x")
    with pytest.raises(Forbidden):  # the front office drafts no registry proposals
        services.propose_correction(fo, r, r.version, data={"pekerjaan": "Petani"}, reason="x")
    r.refresh_from_db()
    assert r.status == RequestStatus.VERIFIED and r.proposal_id is None
    assert not Proposal.objects.system().exists()


def test_a_correction_of_a_case_goes_through_the_case_service(fo, person, make_person):
    case = _case(fo, person)
    someone_else = _case(fo, make_person(DESA, nama="Budi"))
    r = _verified(fo, person, kind="koreksi", details="Nomor HP saya sudah ganti")
    with pytest.raises(ValidationError) as err:  # only the person's own cases
        services.correct_case(fo, r, r.version, case_id=someone_else.pk, case_version=None,
                              values={"applicant_phone": "081299990000"})
    assert "case" in err.value.message_dict
    services.correct_case(fo, r, r.version, case_id=case.pk, case_version=case.version,
                          values={"applicant_phone": "0812-9999-0000"})
    case.refresh_from_db()
    assert case.applicant_phone == "081299990000"
    assert case.events.filter(kind="case.updated").exists()
    r.refresh_from_db()
    assert (r.status, r.resolution, r.case_id) == ("dipenuhi", Resolution.CASE_EDIT, case.pk)


def test_a_list_or_search_that_showed_the_person_is_in_the_access_log_and_others_are_not(
        make_user, fo, person, make_person):
    """Lists and searches audit the ids of the people they showed (`detail["people"]`, point 7):
    the copy names each such access to this person, and none that showed only someone else."""
    searcher = make_user("back_office", "32.01")
    searcher.first_name = "Rahmat"
    searcher.save()
    other = make_person(DESA, nama="Budi")
    from slrt.audit.services import record_shown

    case = _case(fo, person)
    record_shown(searcher, "person.search", count=2, detail={"by": ["nama"]}, people=[other.pk, person.pk])
    record_shown(searcher, "case.list", count=1, cases=[case.pk])
    record_shown(fo, "referral.list", count=1, people=[other.pk])
    r = _verified(fo, person)
    log = selectors.access_log(person, cases=[case], requests=[r])
    assert [e.action for e in log if e.actor == searcher] == ["person.search", "case.list"]
    assert not [e for e in log if e.action == "referral.list"]
    text = " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(services.issue_copy(fo, r, r.version))).pages)
    assert "Rahmat (Back office)" in text and "daftar/hasil pencarian" in text


def test_the_manajer_is_emailed_once_when_an_open_request_nears_its_deadline(make_user, fo, person):
    from slrt.notifications.models import Notification
    from slrt.privacy.reminders import WARN_BEFORE, warn_near_deadline

    manajer = make_user("manajer", "32.01")
    manajer.email = "manajer@dinsos.example"
    manajer.save()
    other = make_user("manajer", "32.02")  # another kabupaten's Manajer is not told
    other.email = "other@dinsos.example"
    other.save()
    now = timezone.now()
    near = services.receive(fo, person=person, kind="akses", channel="surat",
                            received_at=now - workflow.DEADLINE + WARN_BEFORE - dt.timedelta(minutes=5))
    services.receive(fo, person=person, kind="akses")  # 72 hours left: not yet
    served = services.receive(fo, person=person, kind="akses", channel="surat",
                              received_at=now - dt.timedelta(hours=70))
    services.transition(fo, served, "withdraw", served.version, reason="Tidak jadi")
    assert warn_near_deadline() == 1
    assert warn_near_deadline() == 0  # once
    rows = list(Notification.objects.filter(event="data_request.due"))
    assert [(n.recipient, n.object_id) for n in rows] == [("manajer@dinsos.example", str(near.pk))]
    assert near.reference in rows[0].body and person.nama not in rows[0].body and person.nik not in rows[0].body
    assert AuditEvent.objects.filter(action="data_request.due_warned", object_id=str(near.pk)).count() == 1
