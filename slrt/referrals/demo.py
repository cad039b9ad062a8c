"""Demo decisions and referrals for `make run`, written through the real services so every
row, letter, timeline event and outbox message is what production would make.

One case per state a new user should meet: a recommendation waiting for the Manajer, one
rejected, an approved programme (Surat Rekomendasi) and Puskesos handling (Surat Keterangan);
referrals in draft, sent, accepted, rejected, in service, done (its case closed), returned,
cancelled, and one past its deadline and escalated (a direct referral: drafted by the Manajer,
sent by the Koordinator, four eyes). Most go to the RSUD so the demo Mitra user's inbox is
alive. Idempotent: nothing happens if the district already has referrals.
"""

import datetime as dt

from django.utils import timezone

from slrt.cases import decisions
from slrt.cases import services as case_services
from slrt.cases.models import Case, RecommendationKind
from slrt.programs.models import AgencyService, Program
from slrt.registry.models import Person

from . import services
from .escalation import escalate_overdue
from .models import Referral

PURPOSE = "Penanganan keluhan, asesmen kebutuhan, dan rujukan layanan sosial oleh SLRT"


def _case(front_office, person, sector, text, **kw):
    intake = case_services.Intake(
        complaint_type="pengaduan",
        channel=kw.pop("channel", "sekretariat"),
        needs=[{"sector": sector, "description": text}],
        consent_given=True,
        consent_purpose=PURPOSE,
        consent_share_agencies=True,
        phone=kw.pop("phone", ""),
        urgency=kw.pop("urgency", "biasa"),
    )
    return case_services.create_case(front_office, intake, person=person).case


def _recommend(bo, manajer, case, kind, *, program=None, service=None, note="", approve=True):
    need = case.needs.get()
    rec = decisions.draft_recommendation(bo, need, kind, program=program, service=service, note=note)
    if approve is None:
        return rec
    # The demo families' desil is drawn at random: where the matching says not eligible, the
    # Manajer approves with an override and a reason, as a real office would have to.
    match = decisions.recommendation_eligibility(rec) if approve else None
    override = match is not None and not match.eligible
    return decisions.decide_recommendation(
        manajer,
        rec,
        approve=approve,
        expected_version=rec.version,
        note="" if approve else "Sudah menerima bantuan serupa bulan ini",
        override=override,
        override_reason="Hasil kunjungan: penghasilan keluarga turun, desil registri belum diperbarui"
        if override
        else "",
    )


def _act(actor, referral, action, **fields):
    referral.refresh_from_db()
    return services.transition(actor, referral, action, referral.version, **fields)


def seed_referrals(kab_code: str, *, front_office, back_office, manajer, mitra, koordinator=None) -> list[Case]:
    if Referral.objects.system().filter(kab_code=kab_code).exists():
        return []
    digits = kab_code.replace(".", "")
    people = list(
        Person.objects.system()
        .filter(kab_code=kab_code, is_active=True, hubungan_keluarga__icontains="kepala")
        .select_related("household")
        .order_by("nik")[10:24]
    )
    if len(people) < 14:
        return []
    rsud = {s.code: s for s in AgencyService.objects.filter(agency__code=f"RSUD-{digits}")}
    dukcapil_ktp = AgencyService.objects.get(agency__code=f"DUKCAPIL-{digits}", code="KTP")
    rutilahu = AgencyService.objects.get(agency__code=f"DISPERKIM-{digits}", code="RUTILAHU")
    made = []
    health = [
        "Biaya rawat inap ibu setelah operasi belum terbayar",
        "Anak demam berdarah perlu rawat inap, tidak punya JKN aktif",
        "Lansia stroke butuh rawat jalan rutin dan fisioterapi",
        "Tagihan persalinan di RSUD melebihi kemampuan keluarga",
        "Pasien gagal ginjal perlu cuci darah rutin",
        "Anak gizi buruk dirujuk puskesmas ke RSUD",
        "Kakek patah kaki setelah jatuh, butuh operasi",
    ]

    # Decisions without referrals.
    waiting = _case(front_office, people[0], "pangan", "Keluarga lansia tidak menerima bantuan sembako")
    _recommend(
        back_office,
        manajer,
        waiting,
        RecommendationKind.PROGRAM,
        program=Program.objects.get(code="BPNT"),
        note="Desil 2, belum menerima BPNT",
        approve=None,
    )
    rejected = _case(front_office, people[1], "sosial_ekonomi", "Meminta modal usaha warung")
    _recommend(
        back_office,
        manajer,
        rejected,
        RecommendationKind.PROGRAM,
        program=Program.objects.get(code="KUBE"),
        note="Usaha warung kecil",
        approve=False,
    )
    approved = _case(front_office, people[2], "kesehatan", "Kartu PBI-JK tidak aktif sejak pindah domisili")
    _recommend(
        back_office,
        manajer,
        approved,
        RecommendationKind.PROGRAM,
        program=Program.objects.get(code="PBI-JK"),
        note="Desil 1, perlu reaktivasi PBI-JK",
    )
    puskesos = _case(
        front_office, people[3], "sosial_ekonomi", "Butuh pendampingan lansia tinggal sendiri", channel="puskesos"
    )
    _recommend(back_office, manajer, puskesos, RecommendationKind.PUSKESOS, note="Kunjungan rutin relawan Puskesos")
    made += [waiting, rejected, approved, puskesos]

    # Referrals to the RSUD, one per state, each from an approved recommendation.
    def referral_for(i, service, text, **kw):
        case = _case(front_office, people[4 + i], service.sector, text, **kw)
        rec = _recommend(
            back_office,
            manajer,
            case,
            RecommendationKind.AGENCY,
            service=service,
            note="Keluarga desil rendah, perlu penanganan segera",
        )
        made.append(case)
        return rec.referrals.get()

    referral_for(0, rsud["RAWAT-INAP"], health[0])
    sent = referral_for(1, rsud["RAWAT-INAP"], health[1], urgency="darurat", phone="081200000011")
    _act(back_office, sent, "send")
    accepted = referral_for(2, rsud["RAWAT-JALAN"], health[2], phone="081200000012")
    _act(back_office, accepted, "send")
    _act(mitra, accepted, "accept")
    rejected_ref = referral_for(3, rsud["KERINGANAN"], health[3])
    _act(back_office, rejected_ref, "send")
    _act(mitra, rejected_ref, "reject", reason="Pasien sudah dipulangkan sebelum rujukan diterima")
    in_service = referral_for(4, rsud["RAWAT-JALAN"], health[4])
    for action in ("send", "accept", "start"):
        _act(mitra if action != "send" else back_office, in_service, action)
    done = referral_for(5, rsud["RAWAT-INAP"], health[5], phone="081200000015")
    for action in ("send", "accept", "start"):
        _act(mitra if action != "send" else back_office, done, action)
    _act(
        mitra,
        done,
        "done",
        service_given="Rawat inap kelas III 5 hari dan terapi gizi",
        outcome="Pulang dalam keadaan membaik; biaya ditanggung Jamkesda",
        service_date=timezone.localdate(),
    )
    closing = done.case
    closing.refresh_from_db()
    case_services.close_case(back_office, closing, closing.version, reason="Semua kebutuhan tertangani")
    returned = referral_for(6, rsud["RAWAT-INAP"], health[6])
    for action in ("send", "accept"):
        _act(mitra if action != "send" else back_office, returned, action)
    _act(mitra, returned, "return", reason="Perlu penanganan ortopedi di RS rujukan provinsi")

    # Other agencies: a cancelled KTP referral and an overdue house repair, escalated to the Manajer.
    ktp_case = _case(front_office, people[11], "adminduk", "KTP-el hilang, perlu untuk berobat")
    ktp = services.draft_referral(manajer, ktp_case.needs.get(), service=dukcapil_ktp, note="Perekaman ulang")
    _act(manajer, ktp, "cancel", reason="Warga sudah mengurus sendiri ke kecamatan")
    # A direct referral is sent by a second decider (four eyes): the Manajer drafts it and the
    # Koordinator of the desa sends it; without a Koordinator, back office drafts, the Manajer sends.
    roof_person, drafter, sender = people[12], back_office, manajer
    if koordinator is not None:
        in_desa = (
            Person.objects.system()
            .filter(desa_code=koordinator.region_id, is_active=True, hubungan_keluarga__icontains="kepala")
            .exclude(pk__in=[p.pk for p in people])
            .order_by("nik")
            .first()
        )
        if in_desa is not None:
            roof_person, drafter, sender = in_desa, manajer, koordinator
    roof_case = _case(front_office, roof_person, "perumahan", "Atap rumah roboh sebagian saat hujan")
    roof = services.draft_referral(drafter, roof_case.needs.get(), service=rutilahu, note="Survei kelayakan")
    _act(sender, roof, "send")
    # Pretend it was sent before the SLA: only the clock is moved, the escalation is the real job.
    Referral.objects.system().filter(pk=roof.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=40), due_at=timezone.now() - dt.timedelta(days=10)
    )
    escalate_overdue()
    made += [ktp_case, roof_case]

    # A resident who later withdrew consent to share (UU PDP): the referral the RSUD holds is
    # flagged in its inbox and the Manajer told; the second draft, never sent, is cancelled.
    withdrawn = referral_for(9, rsud["RAWAT-JALAN"], "Kontrol rutin pasca operasi katarak", phone="081200000019")
    _act(back_office, withdrawn, "send")
    _act(mitra, withdrawn, "accept")
    services.draft_referral(back_office, withdrawn.need, service=rsud["KERINGANAN"], note="Keringanan biaya obat")
    case = withdrawn.case
    case.refresh_from_db()
    services.withdraw_share_consent(
        front_office, case, case.version, "Warga datang ke sekretariat dan meminta datanya tidak dibagikan lagi"
    )
    return made
