"""Two Mitra users answer the same referral at the same moment on PostgreSQL: one wins, the other
is told about the conflict and nothing of theirs is half-written."""

import threading

import pytest
from django.db import connection, connections

from slrt.core.locking import ConflictError
from slrt.referrals import services
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition
from tests.test_referrals_fixtures import build_desk, referral_in, user

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
