"""Merging a duplicate pair and undoing it: winners recorded, losers kept, participations follow, undo exact."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from slrt.audit.models import AuditEvent
from slrt.registry.models import (
    CandidateStatus,
    ChangeKind,
    DuplicateCandidate,
    Household,
    Merge,
    Person,
    ProgramParticipation,
    RegistryChange,
)
from slrt.registry.services.dedup import (
    dismiss_candidate,
    find_candidates,
    merge_people,
    reopen_candidate,
    snapshot,
    undo_merge,
)

pytestmark = pytest.mark.django_db


DESA = "32.01.02.2001"


@pytest.fixture
def reviewer(make_user):
    return make_user("manajer", "32.01")


@pytest.fixture
def pair(make_person):
    """The same woman registered twice: a mistyped NIK digit, an old spelling, different details."""
    a = make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1985, 3, 14), nik="3201025403850011",
                    pekerjaan="", pendidikan="SD", tempat_lahir="Bogor", nama_ibu_kandung="Fatimah")
    b = make_person(desa_code="32.01.02.2002", nama="St. Aminah", birth=dt.date(1985, 3, 14),
                    nik="3201025403850017", pekerjaan="Petani", pendidikan="SMP", tempat_lahir="",
                    nama_ibu_kandung="Fatimah", hamil=False)
    find_candidates(region_code="32.01")
    cand = DuplicateCandidate.objects.get()
    return a, b, cand


def _reload(p):
    return Person.objects.system().get(pk=p.pk)


def _data(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "updated_at"}


def test_merge_applies_chosen_values_records_winners_and_keeps_losers(pair, reviewer):
    a, b, cand = pair
    merge = merge_people(
        candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer,
        choices={"pekerjaan": "merged", "pendidikan": "merged", "nama": "survivor"},
    )
    a, b = _reload(a), _reload(b)
    assert (a.pekerjaan, a.pendidikan, a.nama, a.tempat_lahir) == ("Petani", "SMP", "Siti Aminah", "Bogor")
    # Every differing field is recorded with who won; the default is the survivor.
    assert merge.decisions["pekerjaan"] == {"won": "Petani", "lost": "", "from": "merged"}
    assert merge.decisions["pendidikan"] == {"won": "SMP", "lost": "SD", "from": "merged"}
    assert merge.decisions["nama"] == {"won": "Siti Aminah", "lost": "St. Aminah", "from": "survivor"}
    assert merge.decisions["tempat_lahir"] == {"won": "Bogor", "lost": "", "from": "survivor"}
    assert merge.decisions["household"]["from"] == "survivor"
    assert "tanggal_lahir" not in merge.decisions  # equal values are not decisions
    # The losing values are kept: on the merged record and in the full snapshots.
    assert (b.nama, b.pendidikan) == ("St. Aminah", "SMP")
    assert merge.merged_before["nama"] == "St. Aminah" and merge.survivor_before["pendidikan"] == "SD"
    assert not b.is_active and b.merged_into_id == a.pk
    assert a.is_active and a.merged_into_id is None
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.MERGED and cand.decided_by == reviewer and cand.decided_at


def test_merge_writes_history_on_both_and_an_audit_event_without_personal_values(pair, reviewer):
    a, b, cand = pair
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer,
                         choices={"pekerjaan": "merged"})
    survivor_change = RegistryChange.objects.get(person=a, kind=ChangeKind.MERGED)
    merged_change = RegistryChange.objects.get(person=b, kind=ChangeKind.MERGED)
    assert survivor_change.changes["pekerjaan"] == ["", "Petani"]
    assert survivor_change.changes["merged_person"] == [None, b.pk]
    assert merged_change.changes["is_active"] == [True, False]
    assert merged_change.changes["merged_into_id"] == [None, a.pk]
    assert survivor_change.actor == reviewer
    event = AuditEvent.objects.get(action="person.merge")
    assert event.object_id == str(merge.pk) and event.actor == reviewer
    assert event.detail["fields_from_merged"] == ["pekerjaan"]
    assert "Aminah" not in str(event.detail) and a.nik not in str(event.detail)


def test_choosing_the_merged_nik_exchanges_the_niks(pair, reviewer):
    a, b, cand = pair
    nik_a, nik_b = a.nik, b.nik
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer, choices={"nik": "merged"})
    assert _reload(a).nik == nik_b
    assert _reload(b).nik == nik_a  # the losing NIK stays on the merged record
    assert merge.decisions["nik"] == {"won": nik_b, "lost": nik_a, "from": "merged"}
    undo_merge(merge=merge, actor=reviewer)
    assert (_reload(a).nik, _reload(b).nik) == (nik_a, nik_b)


def test_choosing_the_merged_household_moves_the_survivor_and_its_region(pair, reviewer):
    a, b, cand = pair
    merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer,
                 choices={"household": "merged", "nama": "merged"})
    a = _reload(a)
    assert a.household_id == b.household_id
    assert a.desa_code == "32.01.02.2002"
    assert a.nama == "St. Aminah" and a.name_key == "siti aminah"


def test_programme_participations_move_to_the_survivor_and_back_on_undo(pair, reviewer):
    a, b, cand = pair
    ProgramParticipation.objects.create(person=a, program_code="PKH", since_period="2024-01")
    b_pkh = ProgramParticipation.objects.create(person=b, program_code="PKH", since_period="2022-01")
    b_bpnt = ProgramParticipation.objects.create(person=b, program_code="BPNT", since_period="2023-04")
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    assert sorted(ProgramParticipation.objects.filter(person=a).values_list("program_code", flat=True)) == [
        "BPNT", "PKH"
    ]
    b_pkh.refresh_from_db()
    assert b_pkh.person_id == b.pk  # the survivor already had PKH: the merged one's stays with it
    assert merge.moved_participations == [b_bpnt.pk]
    undo_merge(merge=merge, actor=reviewer)
    b_bpnt.refresh_from_db()
    assert b_bpnt.person_id == b.pk
    assert list(ProgramParticipation.objects.filter(person=a).values_list("program_code", flat=True)) == ["PKH"]


def test_undo_restores_both_records_exactly_and_reopens_the_candidate(pair, reviewer):
    a, b, cand = pair
    before_a, before_b = snapshot(_reload(a)), snapshot(_reload(b))
    merge = merge_people(
        candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer,
        choices={f: "merged" for f in ("nik", "nama", "pekerjaan", "pendidikan", "household", "hamil")},
    )
    undo_merge(merge=merge, actor=reviewer)
    assert _data(snapshot(_reload(a))) == _data(before_a)
    assert _data(snapshot(_reload(b))) == _data(before_b)
    merge.refresh_from_db()
    assert merge.undone_by == reviewer and merge.undone_at is not None
    cand.refresh_from_db()
    assert (cand.status, cand.decided_by, cand.decided_at) == (CandidateStatus.OPEN, None, None)
    assert RegistryChange.objects.filter(kind=ChangeKind.UNMERGED).count() == 2
    assert AuditEvent.objects.filter(action="person.unmerge", object_id=str(merge.pk)).exists()
    # The pair can be merged again, the other way round.
    merge_people(candidate_or_pair=cand, survivor=b, merged=a, actor=reviewer)
    assert not _reload(a).is_active


def test_undo_is_refused_after_a_later_import_changed_the_survivor(pair, reviewer):
    a, b, cand = pair
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    # A newer release updates the survivor in place (as the importer does, keyed by NIK).
    Person.objects.system().filter(pk=a.pk).update(pekerjaan="Buruh tani", row_hash="f" * 32)
    with pytest.raises(ValidationError) as exc:
        undo_merge(merge=merge, actor=reviewer)
    message = " ".join(exc.value.messages)
    assert "tidak dapat dibatalkan" in message and "pekerjaan" in message
    assert _reload(a).pekerjaan == "Buruh tani"  # nothing was overwritten
    assert not _reload(b).is_active
    merge.refresh_from_db()
    assert merge.undone_at is None


def test_undo_is_refused_when_a_moved_participation_changed(pair, reviewer):
    a, b, cand = pair
    moved = ProgramParticipation.objects.create(person=b, program_code="BPNT", since_period="2023-04")
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    moved.delete()
    with pytest.raises(ValidationError, match="kepesertaan program"):
        undo_merge(merge=merge, actor=reviewer)


def test_undo_twice_is_refused(pair, reviewer):
    a, b, cand = pair
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    undo_merge(merge=merge, actor=reviewer)
    with pytest.raises(ValidationError, match="sudah dibatalkan"):
        undo_merge(merge=merge, actor=reviewer)


def test_merge_rejects_unknown_fields_and_values_naming_them(pair, reviewer):
    a, b, cand = pair
    with pytest.raises(ValidationError) as exc:
        merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer,
                     choices={"gaji": "merged", "nama": "keduanya"})
    messages = exc.value.message_dict["choices"]
    assert any("gaji" in m for m in messages) and any("keduanya" in m for m in messages)
    assert _reload(b).is_active and not Merge.objects.exists()


def test_merge_refuses_a_decided_candidate_a_mismatched_pair_and_a_self_merge(pair, reviewer, make_person):
    a, b, cand = pair
    c = make_person(desa_code=DESA, nama="Dewi Lestari")
    with pytest.raises(ValidationError, match="tidak sesuai"):
        merge_people(candidate_or_pair=cand, survivor=a, merged=c, actor=reviewer)
    with pytest.raises(ValidationError, match="dirinya sendiri"):
        merge_people(candidate_or_pair=cand, survivor=a, merged=a, actor=reviewer)
    merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    with pytest.raises(ValidationError):
        merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)


def test_merging_an_already_merged_person_is_refused(pair, reviewer, make_person):
    a, b, cand = pair
    merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    c = make_person(desa_code=DESA, nama="Siti Aminah")
    with pytest.raises(ValidationError, match="tidak aktif"):
        merge_people(candidate_or_pair=None, survivor=c, merged=b, actor=reviewer)


def test_a_pair_picked_by_hand_gets_a_decided_candidate_that_undo_reopens(make_person, reviewer):
    a = make_person(desa_code=DESA, nama="Bambang", sex="L", birth=dt.date(1970, 1, 1), nik="3201020101700001")
    b = make_person(desa_code=DESA, nama="Bambang S.", sex="L", birth=dt.date(1971, 6, 1), nik="3201020106710005")
    merge = merge_people(candidate_or_pair=(a.pk, b.pk), survivor=b, merged=a, actor=reviewer)
    cand = merge.candidate
    assert cand.status == CandidateStatus.MERGED and "manual" in cand.reasons
    assert (cand.person_a_id, cand.person_b_id) == (a.pk, b.pk)
    undo_merge(merge=merge, actor=reviewer)
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.OPEN
    # The scan would not propose this pair, but a pair picked by hand stays in the queue.
    find_candidates(region_code="32.01")
    assert DuplicateCandidate.objects.filter(pk=cand.pk, status=CandidateStatus.OPEN).exists()


def test_scan_after_merge_does_not_reopen_the_pair(pair, reviewer):
    a, b, cand = pair
    merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer)
    find_candidates(region_code="32.01")
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.MERGED
    assert DuplicateCandidate.objects.count() == 1


def test_dismiss_keeps_the_note_and_reopen_puts_it_back(pair, reviewer):
    a, b, cand = pair
    dismiss_candidate(candidate=cand, actor=reviewer, reason="Kakak beradik, bukan orang yang sama")
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.DISMISSED and cand.note.startswith("Kakak")
    assert cand.decided_by == reviewer
    event = AuditEvent.objects.get(action="duplicate.dismiss")
    assert "Kakak" not in str(event.detail)
    with pytest.raises(ValidationError, match="sudah diputuskan"):
        dismiss_candidate(candidate=cand, actor=reviewer)
    find_candidates(region_code="32.01")
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.DISMISSED  # a rescan does not resurrect it
    reopen_candidate(candidate=cand, actor=reviewer)
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.OPEN


def test_households_are_untouched_by_merge_and_undo(pair, reviewer):
    a, b, cand = pair
    before = list(Household.unscoped.order_by("pk").values())
    merge = merge_people(candidate_or_pair=cand, survivor=a, merged=b, actor=reviewer, choices={"household": "merged"})
    undo_merge(merge=merge, actor=reviewer)
    after = list(Household.unscoped.order_by("pk").values())
    assert [{k: v for k, v in h.items() if k != "updated_at"} for h in after] == [
        {k: v for k, v in h.items() if k != "updated_at"} for h in before
    ]
