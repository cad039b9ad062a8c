"""Real concurrency on PostgreSQL: tickets stay unique under a burst of desks, and two people
saving the same need at once give one winner and one conflict (nothing half-written)."""

import threading

import pytest
from django.db import connection, connections

from slrt.cases import services, tickets
from slrt.cases.models import Case, Need
from slrt.core.locking import ConflictError

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")

DESA = "32.01.02.2001"


def _intake():
    return services.Intake(
        complaint_type="pengaduan",
        channel="sekretariat",
        consent_given=True,
        consent_share_agencies=False,
        consent_purpose="Penanganan",
        needs=[{"sector": "pangan", "description": "Beras"}],
    )


def _run_together(workers):
    barrier = threading.Barrier(len(workers))
    results, errors = [], []

    def run(fn):
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_ticket_burst_gives_unique_consecutive_numbers(regions_after_flush, make_user):
    desks = [make_user("front_office", "32.01") for _ in range(8)]

    def desk(user):
        def work():
            token = tickets.issue_search_token(user, "nama")
            return [
                services.create_case(
                    user, _intake(), new_person=services.NewPerson(name="Warga", desa_code=DESA), search_token=token
                ).case.ticket
                for _ in range(3)
            ]

        return work

    results, errors = _run_together([desk(u) for u in desks])
    assert not errors, errors
    issued = [t for batch in results for t in batch]
    assert len(issued) == 24 and len(set(issued)) == 24
    assert sorted(int(t.rsplit("-", 1)[1]) for t in issued) == list(range(1, 25))
    assert Case.objects.system().count() == 24


def test_two_people_saving_one_need_one_wins_one_conflicts(regions_after_flush, make_user):
    fo = make_user("front_office", "32.01")
    case = services.create_case(
        fo, _intake(), new_person=services.NewPerson(name="Warga", desa_code=DESA, nik="3201021503900007")
    ).case
    need = case.needs.get()
    version = need.version
    a, b = make_user("back_office", "32.01"), make_user("manajer", "32.01")

    def edit(user, text):
        def work():
            mine = Need.objects.select_related("case").get(pk=need.pk)
            services.edit_need(user, mine, version, sector="pangan", description=text)
            return text

        return work

    results, errors = _run_together([edit(a, "Beras 10 kg"), edit(b, "Minyak goreng")])
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ConflictError)
    need.refresh_from_db()
    assert need.description == results[0] and need.version == version + 1
