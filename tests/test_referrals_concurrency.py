"""Real concurrency on PostgreSQL: two Mitra users answer the same referral at the same moment (one
wins, the other is told about the conflict, nothing half-written), and a burst of desks drafting
referrals gets unique consecutive numbers."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from slrt.core.locking import ConflictError
from slrt.referrals import services
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition
from tests.test_referrals_fixtures import build_desk, make_case, referral_in, user

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")


def test_concurrent_answers_one_wins_one_conflicts(regions_after_flush):
    desk = build_desk()
    colleague = user("mitra", "32.01", "RSUD-3201")
    ref = referral_in(desk, ReferralStatus.SENT)
    version = ref.version
    barrier = threading.Barrier(2)
    outcomes = {}

    def answer(name, actor, action, fields):
        try:
            barrier.wait(timeout=10)
            services.transition(actor, Referral(pk=ref.pk), action, version, **fields)
            outcomes[name] = "ok"
        except ConflictError:
            outcomes[name] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=answer, args=("accept", desk.mitra, "accept", {})),
        threading.Thread(target=answer, args=("reject", colleague, "reject", {"reason": "Penuh"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    ref.refresh_from_db()
    winner = next(name for name, result in outcomes.items() if result == "ok")
    expected = ReferralStatus.ACCEPTED if winner == "accept" else ReferralStatus.REJECTED
    assert ref.status == expected and ref.version == version + 1
    assert ReferralTransition.objects.filter(referral=ref, from_status=ReferralStatus.SENT).count() == 1
    assert ref.reason == ("Penuh" if winner == "reject" else "")


def test_referral_burst_gives_unique_consecutive_numbers(regions_after_flush):
    """Eight desks drafting at once: every referral gets its own number, in sequence, and nobody
    is told to try again (the per-kab counter row serialises the numbering, no retries)."""
    desk = build_desk()
    desks = [user("back_office", "32.01") for _ in range(8)]
    needs = [[make_case()[1] for _ in range(3)] for _ in desks]
    barrier = threading.Barrier(len(desks))
    numbers, errors = [], []

    def work(actor, own_needs):
        try:
            barrier.wait(timeout=10)
            for need in own_needs:
                numbers.append(services.draft_referral(actor, need, service=desk.rsud_service, note="x").number)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a, n)) for a, n in zip(desks, needs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    year = timezone.localdate().year
    assert len(numbers) == 24 and len(set(numbers)) == 24
    assert all(n.startswith(f"RJK-3201-{year}-") and len(n) == len("RJK-3201-2026-000001") for n in numbers)
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 25))
    assert Referral.objects.system().count() == 24
