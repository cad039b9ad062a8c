"""Lock order under mixed load on PostgreSQL: Mitra users moving referrals while staff edit the
same case (tasks, needs, close/reopen, cancel) must never deadlock. Every writer locks the case
row first, then its referrals; before that rule a transition (referral first, case at commit
through the foreign-key check) and a case write (case first, then needs) waited on each other.
"""

import datetime as dt
import random
import threading
import traceback

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.http import Http404
from django.utils import timezone

from slrt.cases import services as case_services
from slrt.cases.models import Case, Need
from slrt.core.exceptions import DeskError
from slrt.core.locking import ConflictError
from slrt.referrals import services
from slrt.referrals.models import Referral
from tests.test_referrals_fixtures import FIELDS, build_desk, draft, make_case, move

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="lock waits need PostgreSQL")

SECONDS = 8
# Refusals a busy desk legitimately meets (someone else was first); anything else is a failure.
EXPECTED = (ConflictError, ValidationError, DeskError, Http404)


def test_referral_transitions_and_case_writes_on_one_case_never_deadlock(regions_after_flush):
    desk = build_desk()
    case, need = make_case()
    other = Need.objects.create(case=case, sector="pendidikan", description="Biaya sekolah")
    refs = [move(draft(desk, case, n), "send", desk.manajer).pk for n in (need, other, need, other)]
    stop = timezone.now() + dt.timedelta(seconds=SECONDS)
    errors, done = [], {}
    barrier = threading.Barrier(6)
    rng = random.Random(7)

    def mitra():
        while timezone.now() < stop:
            r = Referral.objects.system().get(pk=rng.choice(refs))
            action = {"terkirim": "accept", "diterima": "start", "dilayani": "done"}.get(r.status)
            try:
                if action:
                    services.transition(desk.mitra, r, action, r.version, **FIELDS)
                else:  # keep work flowing: a new referral for a need
                    d = services.draft_referral(desk.bo, rng.choice([need, other]), service=desk.rsud_service)
                    refs.append(services.transition(desk.manajer, d, "send", d.version).pk)
                done["mitra"] = done.get("mitra", 0) + 1
            except EXPECTED:
                pass

    def staff(kind):
        def run():
            while timezone.now() < stop:
                c = Case.objects.system().get(pk=case.pk)
                n = Need.objects.get(pk=rng.choice([need.pk, other.pk]))
                try:
                    if kind == 0:
                        case_services.add_task(desk.bo, c, title="Telepon", due_date=timezone.localdate())
                    elif kind == 1:
                        case_services.set_need_status(desk.manajer, n, n.version, status="tertangani", outcome="ok")
                    elif kind == 2:
                        case_services.edit_need(desk.bo, n, n.version, sector=n.sector, description="Biaya rawat")
                    elif kind == 3:
                        case_services.close_case(desk.manajer, c, c.version, reason="Selesai")
                        c.refresh_from_db()
                        case_services.reopen_case(desk.manajer, c, c.version, reason="Dibuka lagi")
                    else:
                        r = Referral.objects.system().get(pk=rng.choice(refs))
                        services.transition(desk.bo, r, "cancel", r.version, reason="Batal")
                    done[kind] = done.get(kind, 0) + 1
                except EXPECTED:
                    pass

        return run

    def guarded(work):
        def run():
            try:
                barrier.wait(timeout=10)
                work()
            except Exception:  # noqa: BLE001 - collected and asserted below
                errors.append(traceback.format_exc())
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=guarded(mitra))] + [threading.Thread(target=guarded(staff(k))) for k in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    assert not errors, errors[0]
    assert done.get("mitra", 0) > 0, done
