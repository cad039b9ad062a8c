"""Demo field work: visits assigned to the demo facilitator, one submission waiting for the
supervisor's review and one held as a conflict, sent through the same `receive` as ODK Collect."""

import datetime as dt
import uuid

from django.utils import timezone

from slrt.referrals.models import Referral
from slrt.registry.models import Household

from . import selectors, services
from .models import Visit, VisitKind


def seed_visits(*, fasilitator, supervisor) -> list[Visit]:
    desa = fasilitator.region_id
    if Visit.objects.system().filter(desa_code=desa, created_by=supervisor).exists():
        return []
    # Households the proposal demo left alone (it uses the first six of the desa).
    households = list(Household.objects.system().filter(desa_code=desa).order_by("nomor_kk")[6:10])
    if len(households) < 4:
        return []
    today = timezone.localdate()
    visits = [
        services.assign_visit(supervisor, kind=VisitKind.VERIFICATION, assigned_to=fasilitator, household=hh,
                              due_date=today + dt.timedelta(days=days), note=note)
        for hh, days, note in (
            (households[0], 5, "Verifikasi data keluarga untuk pemutakhiran DTSEN"),
            (households[1], 1, "Warga melapor kondisi rumah berubah"),
            (households[2], 7, "Verifikasi sebelum musdes"),
            (households[3], 10, "Cek anggota keluarga baru"),
        )
    ]
    # The second was assigned a week ago and is now overdue (assigning refuses a past due date).
    Visit.objects.system().filter(pk=visits[1].pk).update(due_date=today - dt.timedelta(days=2))
    referral = (Referral.objects.system().filter(case__desa_code=desa).order_by("pk").first()
                or Referral.objects.system().filter(case__kab_code=desa[:5]).order_by("pk").first())
    if referral is not None and referral.case.desa_code == desa:
        visits.append(services.assign_visit(
            supervisor, kind=VisitKind.FOLLOW_UP, assigned_to=fasilitator, referral=referral,
            due_date=today + dt.timedelta(days=3), note="Pastikan layanan rujukan sudah diterima warga"))

    # A verification sent from the tablet, waiting for the supervisor.
    sent = visits[2]
    snap = selectors.visit_snapshot(sent)
    services.receive(
        fasilitator, form_id="slrt_verifikasi_rt", instance_id=f"uuid:{uuid.uuid4()}",
        values={
            "kunjungan": str(sent.pk), "hasil": "ditemukan", "kode_wilayah": desa,
            **{k: snap[k] for k in ("nomor_kk", "alamat", "dusun", "rt", "rw")},
            "rt": "007", "minta_tinjau_desil": "tidak", "anggota": [], "catatan": "Rumah sudah pindah RT",
        },
        base={k: snap[k] for k in ("nomor_kk", "alamat", "dusun", "rt", "rw", "versi")},
    )
    # One from a tablet that downloaded the visit list before the last registry release changed
    # the address: held for the supervisor to choose.
    held = visits[3]
    snap = selectors.visit_snapshot(held)
    services.receive(
        fasilitator, form_id="slrt_verifikasi_rt", instance_id=f"uuid:{uuid.uuid4()}",
        values={
            "kunjungan": str(held.pk), "hasil": "ditemukan", "kode_wilayah": desa,
            **{k: snap[k] for k in ("nomor_kk", "dusun", "rt", "rw")},
            "alamat": "Kp. Sukamaju No. 12", "minta_tinjau_desil": "tidak", "anggota": [],
        },
        base={**{k: snap[k] for k in ("nomor_kk", "dusun", "rt", "rw")}, "alamat": "Kp. Sukamaju", "versi": "0"},
    )
    return visits
