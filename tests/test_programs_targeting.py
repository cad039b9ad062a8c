"""Assessment of one household and the batch targeting run on a small crafted district."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook

from slrt.audit.models import AuditEvent
from slrt.programs.models import TargetingError, TargetingRun
from slrt.programs.selectors.assessment import assess_household
from slrt.programs.services.export import export_run
from slrt.programs.services.targeting import run_targeting
from slrt.registry.models import ProgramParticipation

TODAY = dt.date.today()


def years_ago(n, days=0):
    return (
        TODAY.replace(year=TODAY.year - n) - dt.timedelta(days=days)
        if not (TODAY.month == 2 and TODAY.day == 29)
        else dt.date(TODAY.year - n, 2, 28)
    )


def receives(person, *codes, active=True):
    for code in codes:
        ProgramParticipation.objects.create(person=person, program_code=code, since_period="2025-01", active=active)


@pytest.fixture
def district(make_person):
    """Five households in 32.01 and one in 32.02, each a known targeting situation."""
    h = {}
    # A: desil 2, a primary-school child, receives PKH only: eligible for BPNT/PBI/PIP but not receiving them.
    head = make_person("32.01.02.2001", "Siti Aminah", years_ago(35), "P", hubungan_keluarga="Kepala Keluarga")
    child = make_person("32.01.02.2001", "Rizky", years_ago(8, 10), "L", household=head.household)
    receives(head, "PKH")
    h["A"] = head.household
    # B: desil 8 with PKH and BPNT: inclusion errors (PKH once, BPNT).
    b = make_person("32.01.02.2002", "Bambang Sutrisno", years_ago(40), "L")
    receives(b, "PKH", "BPNT")
    h["B"] = b.household
    # C: desil 1, elderly, receives PKH, BPNT and (wrongly) BLT Dana Desa: overlap.
    c = make_person("32.01.03.2001", "Mbah Sarinah", years_ago(72), "P")
    receives(c, "PKH", "BPNT", "BLTDD", "PBI")
    h["C"] = c.household
    # D: desil 6 with a pregnant member, receives nothing: eligible for nothing of PKH.
    d = make_person("32.01.02.2001", "Dewi Lestari", years_ago(27), "P", hamil=True)
    h["D"] = d.household
    # E: a participation that ended is not receipt; desil 3, no members in PKH ages.
    e = make_person("32.01.02.2002", "Joko Santoso", years_ago(45), "L")
    receives(e, "BPNT", active=False)
    h["E"] = e.household
    # Another kab/kota: never part of a 32.01 run.
    f = make_person("32.02.02.2001", "Asep Saepudin", years_ago(50), "L")
    receives(f, "PKH")
    h["F"] = f.household
    for key, desil in {"A": 2, "B": 8, "C": 1, "D": 6, "E": 3, "F": 9}.items():
        h[key].desil = desil
        h[key].save(update_fields=["desil"])
    h["child"] = child
    return h


def errors(run, kind):
    return {
        (e.program.code, e.household_id)
        for e in TargetingError.objects.filter(run=run, kind=kind).select_related("program")
    }


@pytest.mark.django_db
def test_targeting_run_finds_exclusion_and_inclusion_errors_of_a_crafted_district(district, make_user):
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    h = district
    assert run.households == 5
    assert errors(run, "exclusion") == {
        ("BPNT", h["A"].pk),
        ("PBI-JK", h["A"].pk),
        ("PIP", h["A"].pk),
        ("BPNT", h["E"].pk),
        ("PBI-JK", h["E"].pk),
        ("BLT-DD", h["E"].pk),
    }
    # PKH receipt is justified by any component (A: SD, C: lansia); B has none: one inclusion error.
    assert errors(run, "inclusion") == {
        ("PKH-AUD", h["B"].pk),
        ("BPNT", h["B"].pk),
        ("BLT-DD", h["C"].pk),
    }
    s = run.summary["programs"]
    assert s["PKH-SD"] == {**s["PKH-SD"], "eligible": 1, "receiving": 3, "exclusion": 0, "inclusion": None}
    assert s["PKH-AUD"]["inclusion"] == 1 and s["PKH-AUD"]["group_lead"]
    assert s["BPNT"]["eligible"] == 3 and s["BPNT"]["receiving"] == 2
    assert s["BPNT"]["exclusion"] == 2 and s["BPNT"]["inclusion"] == 1
    assert s["RUTILAHU"]["exclusion"] == 0  # receipt unknown to the registry: no error claimed
    assert {e.desa_code for e in TargetingError.objects.filter(run=run)} <= {
        "32.01.02.2001",
        "32.01.02.2002",
        "32.01.03.2001",
    }
    assert AuditEvent.objects.filter(action="targeting.run", object_id=str(run.pk)).exists()


@pytest.mark.django_db
def test_batch_and_single_household_assessment_agree(district, make_user):
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    for key in "ABCDE":
        a = assess_household(manajer, district[key].pk)
        expected_excl = {(m.code, district[key].pk) for m in a.eligible_not_received if m.program.registry_code}
        got = {x for x in errors(run, "exclusion") if x[1] == district[key].pk}
        assert got == expected_excl, key


@pytest.mark.django_db
def test_assessment_lists_received_eligible_and_overlaps_with_explanations(district, make_user):
    bo = make_user("back_office", "32.01")
    a = assess_household(bo, district["C"].pk)
    assert {m.code for m in a.received} == {"PKH-LANSIA", "BPNT", "BLT-DD", "PBI-JK"}
    assert [m.code for m in a.received_not_eligible] == ["BLT-DD"]
    kinds = {o.kind: o for o in a.overlaps}
    assert kinds["cash"].programs == ["BLTDD", "BPNT", "PKH"]
    assert kinds["exclusive"].text == (
        "BLT Dana Desa tidak boleh diterima bersama BPNT, PKH, tetapi keluarga menerima keduanya."
    )
    blt = next(m for m in a.received if m.code == "BLT-DD")
    assert [line.text for line in blt.lines] == [
        "Desil 1; BLT Dana Desa mensyaratkan desil 1–3: memenuhi",
        "Menerima BLTDD, BPNT, PBI, PKH; BLT Dana Desa mensyaratkan tidak menerima BPNT maupun PKH: tidak memenuhi",
    ]
    a = assess_household(bo, district["A"].pk)
    assert [m.code for m in a.received] == ["PKH-SD"]
    assert {"BPNT", "PBI-JK", "PIP"} <= {m.code for m in a.eligible_not_received}
    assert "BLT-DD" in {m.code for m in a.not_eligible}  # already receives PKH
    assert a.overlaps == []
    d = assess_household(bo, district["D"].pk)
    bumil = next(m for m in d.not_eligible if m.code == "PKH-BUMIL")
    assert bumil.lines[0].text == "Desil 6; PKH Ibu Hamil mensyaratkan desil 1–4: tidak memenuhi"


@pytest.mark.django_db
def test_assessment_outside_scope_is_404(district, make_user):
    from django.http import Http404

    with pytest.raises(Http404):
        assess_household(make_user("back_office", "32.02"), district["A"].pk)


@pytest.mark.django_db
def test_a_manajer_of_32_01_cannot_run_targeting_for_32_02(district, make_user):
    manajer = make_user("manajer", "32.01")
    with pytest.raises(ValidationError):
        run_targeting(manajer, "32.02")
    with pytest.raises(ValidationError):
        run_targeting(manajer, "32.01.02")  # a kecamatan is not a district
    assert not TargetingRun.objects.exists()


@pytest.mark.django_db
def test_management_command_runs_for_the_whole_district(district, capsys):
    call_command("run_targeting", "--region", "32.01")
    out = capsys.readouterr().out
    assert "5 keluarga" in out and "BPNT" in out
    assert TargetingRun.objects.get().started_by is None


@pytest.mark.django_db
def test_excel_export_has_summary_and_error_sheets_with_kk_masked_by_role(district, make_user):
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    book = load_workbook(io.BytesIO(export_run(manajer, run).read()), read_only=True)
    assert book.sheetnames == ["Ringkasan", "Layak tidak menerima", "Menerima tidak layak"]
    summary = list(book["Ringkasan"].values)
    assert summary[2] == ("Jumlah keluarga", 5, None, None, None, None, None)[: len(summary[2])]
    bpnt = next(r for r in summary if r and r[0] == "BPNT")
    assert bpnt[3:] == (3, 2, 2, 1)
    exclusion = list(book["Layak tidak menerima"].values)
    assert exclusion[0][:5] == ("Kode program", "Program", "Kode desa", "ID keluarga", "Nomor KK")
    assert len(exclusion) - 1 == len(errors(run, "exclusion"))
    kks = {r[4] for r in exclusion[1:]}
    assert district["A"].nomor_kk in kks  # the Manajer sees full numbers
    dinsos = make_user("dinsos", "32")
    book = load_workbook(io.BytesIO(export_run(dinsos, run).read()), read_only=True)
    kks = {r[4] for r in list(book["Layak tidak menerima"].values)[1:]}
    assert district["A"].nomor_kk not in kks and all("********" in k for k in kks)


# --- the queue's task ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_queued_run_is_evaluated_by_the_task_and_a_second_delivery_changes_nothing(district, make_user):
    from slrt.programs.tasks import run_targeting_job

    direct = run_targeting(make_user("manajer", "32.01"), "32.01")
    run = TargetingRun.objects.create(region_id="32.01", started_by=direct.started_by, status="queued")
    assert run_targeting_job.apply(args=[run.pk]).get() == "done"
    assert run_targeting_job.apply(args=[run.pk]).get() == "done"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.households) == ("done", 1, direct.households)
    assert run.summary["programs"] == direct.summary["programs"]
    assert TargetingError.objects.filter(run=run).count() == TargetingError.objects.filter(run=direct).count()


@pytest.mark.django_db
def test_a_run_left_running_by_a_killed_worker_is_evaluated_again_once(district, make_user):
    from slrt.programs.tasks import run_targeting_job

    manajer = make_user("manajer", "32.01")
    direct = run_targeting(manajer, "32.01")
    # A killed worker's run: marked running (committed), its evaluation rolled back: no figures.
    run = TargetingRun.objects.create(region_id="32.01", started_by=manajer, status="running", attempts=1)
    assert run_targeting_job.apply(args=[run.pk]).get() == "done"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.households) == ("done", 2, direct.households)
    assert TargetingError.objects.filter(run=run).count() == TargetingError.objects.filter(run=direct).count()


@pytest.mark.django_db
def test_a_run_that_fails_is_recorded_failed_with_nothing_saved(district, make_user, monkeypatch):
    from slrt.programs.services import targeting as service
    from slrt.programs.tasks import run_targeting_job

    def broken(*args, **kwargs):
        raise RuntimeError("boom 3201014501800001")  # a database error may quote data: never shown

    monkeypatch.setattr(service, "flags_sql", broken)
    run = TargetingRun.objects.create(region_id="32.01", started_by=make_user("manajer", "32.01"), status="queued")
    assert run_targeting_job.apply(args=[run.pk]).get() == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "gagal" in run.message and "3201" not in run.message
    assert not TargetingError.objects.filter(run=run).exists() and run.households == 0
