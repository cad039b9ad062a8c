"""Demo cases for `make run`: one of each intake/monitoring state, written through the real services.

States reached here: new (registry person), new and not in the registry (proposal + visit),
anonymous (no consent), in progress (one need handled, a task overdue), closed, reopened.
States that need decisions or referrals are the other apps' demo seeds, built on these cases.
Idempotent: nothing happens if the district already has cases.
"""

import datetime as dt

from django.utils import timezone

from slrt.registry.models import Person

from . import services, tickets
from .models import Case, FollowUpTask, NeedStatus

PURPOSE = "Penanganan keluhan, asesmen kebutuhan, dan rujukan layanan sosial oleh SLRT"


def _intake(needs, **kw):
    return services.Intake(
        complaint_type=kw.pop("complaint_type", "pengaduan"),
        channel=kw.pop("channel", "sekretariat"),
        needs=[{"sector": s, "description": d} for s, d in needs],
        consent_given=kw.pop("consent_given", True),
        consent_purpose=PURPOSE,
        consent_share_agencies=kw.pop("share", True),
        **kw,
    )


def seed_cases(kab_code: str, front_office, back_office) -> list[Case]:
    """Create the demo cases of a district; returns them (empty if the district already had cases)."""
    if Case.objects.system().filter(kab_code=kab_code).exists():
        return []
    people = list(
        Person.objects.system().filter(kab_code=kab_code, is_active=True).select_related("household")
        .order_by("nik")[:4]
    )
    if len(people) < 4:
        return []
    desa = people[0].desa_code
    made = []

    made.append(
        services.create_case(
            front_office,
            _intake(
                [("kesehatan", "Biaya rawat inap anak di RSUD belum tertanggung BPJS")],
                phone="081200000001",
                urgency="mendesak",
            ),
            person=people[0],
        ).case
    )

    token = tickets.issue_search_token(front_office, "nama")
    made.append(
        services.create_case(
            front_office,
            _intake(
                [("adminduk", "Belum memiliki KTP-el dan KK"), ("pangan", "Kesulitan beras sehari-hari")],
                channel="puskesos",
            ),
            new_person=services.NewPerson(name="Warga Baru Demo", desa_code=desa, address="Dusun Demo RT 01/RW 02"),
            search_token=token,
        ).case
    )

    made.append(
        services.create_case(
            front_office,
            _intake(
                [("sosial_ekonomi", "Menanyakan syarat bantuan usaha KUBE")],
                complaint_type="pertanyaan",
                consent_given=False,
                share=False,
                channel="telepon",
            ),
            new_person=services.NewPerson(name="", desa_code=desa),
        ).case
    )

    progressing = services.create_case(
        front_office,
        _intake(
            [("pendidikan", "Anak SMP butuh seragam dan biaya sekolah"), ("perumahan", "Atap rumah bocor")],
            phone="081200000004",
        ),
        person=people[1],
    ).case
    first = progressing.needs.order_by("pk").first()
    services.set_need_status(
        back_office, first, first.version, status=NeedStatus.HANDLED, outcome="Diusulkan PIP melalui sekolah"
    )
    task = services.add_task(
        back_office,
        progressing,
        title="Cek survei Rutilahu dengan Dinas Perumahan",
        due_date=timezone.localdate(),
        assigned_to=back_office,
    )
    FollowUpTask.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=5))
    made.append(progressing)

    for person, reopen in ((people[2], False), (people[3], True)):
        case = services.create_case(
            front_office, _intake([("energi", "Subsidi listrik 450 VA terputus")]), person=person
        ).case
        need = case.needs.get()
        services.set_need_status(
            back_office,
            need,
            need.version,
            status=NeedStatus.HANDLED,
            outcome="Terdaftar kembali sebagai penerima subsidi",
        )
        case.refresh_from_db()
        services.close_case(back_office, case, case.version, reason="Kebutuhan tertangani")
        if reopen:
            case.refresh_from_db()
            services.reopen_case(back_office, case, case.version, reason="Warga melapor subsidi terputus lagi")
        made.append(case)
    return made
