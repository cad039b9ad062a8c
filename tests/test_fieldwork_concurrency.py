"""Real concurrency on PostgreSQL: ODK Collect retrying a submission while the first POST is still
being applied (or two parts of a split submission at once) gives one submission, no error."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionAttachment, SubmissionStatus, VisitKind
from slrt.updates.models import Proposal

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")

DESA = "32.01.02.2001"
JPEG = b"\xff\xd8\xff\xe0" + b"2" * 100


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_same_instance_posted_twice_at_once_is_stored_once(regions_after_flush, make_user, make_person):
    hh = make_person(desa_code=DESA, nama="Asep").household
    fas = make_user("fasilitator", DESA)
    sup = make_user("supervisor", "32.01.02")
    visit = services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas, due_date=dt.date.today(),
                                  household=hh)
    base = selectors.visit_snapshot(visit)
    values = {"kunjungan": str(visit.pk), "hasil": "ditemukan", "kode_wilayah": DESA, "nomor_kk": hh.nomor_kk,
              "alamat": "Jl. Serentak", "anggota": [], "minta_tinjau_desil": "tidak"}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def post(name):
        try:
            barrier.wait(timeout=10)
            results.append(services.receive(fas, form_id="slrt_verifikasi_rt", instance_id="uuid:serentak",
                                            values=values, base=base, attachments=[(name, "image/jpeg", JPEG)]))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in ("a.jpg", "b.jpg")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert Submission.objects.system().get().status == SubmissionStatus.REVIEW
    assert Proposal.objects.system().count() == 1
    assert sorted(SubmissionAttachment.objects.values_list("name", flat=True)) == ["a.jpg", "b.jpg"]
