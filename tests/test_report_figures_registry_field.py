"""The registry loop and field work on the dashboards (issue 13, point 1): proposals per stage and
per release, days to acceptance and the DTSEN calendar (cut-off on the 17th, the day itself
included, across month and year ends); visits per facilitator, submissions and conflicts waiting.
Each figure equals a count made here from what the test built through the services, and each
link lists exactly those records."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from slrt.accounts.services import create_user
from slrt.fieldwork import selectors as field_selectors
from slrt.fieldwork import services as field_services
from slrt.fieldwork.models import SubmissionStatus, VisitKind, VisitStatus
from slrt.fieldwork.selectors import submission_filters_from, visit_filters_from
from slrt.reports.figures import referrals as fig
from slrt.reports.period import custom_period, month_period, quarter_period
from slrt.updates import services as up
from slrt.updates.models import ProposalStatus
from slrt.updates.selectors import proposal_filters_from
from tests.conftest import PASSWORD
from tests.test_referrals_fixtures import client_for
from tests.test_report_figures_referrals import at, clock, scope_of
from tests.test_updates_workflow import BASE_ROWS, import_rows, kk, minutes, nik, walk_to_checked

DESA = "32.01.02.2001"
DESA2 = "32.01.02.2002"


def ids(client, url, attr) -> set[int]:
    """The record ids the list at `url` shows (one page holds them all here), checked against the
    total the page states."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    body = response.content.decode()
    found = {int(i) for i in re.findall(rf'<tr data-{attr}-id="(\d+)"', body)}
    total = re.search(r'data-total="(\d+)"', body)
    assert total and int(total.group(1)) == len(found), url
    return found


def figures_of(section) -> dict:
    return {f["key"]: f for f in section["figures"]}


def rows_of(section, key) -> dict:
    return {r["key"]: r for r in next(t for t in section["tables"] if t["key"] == key)["rows"]}


# --- the DTSEN calendar ------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "cutoff"), [
    (dt.date(2026, 11, 1), dt.date(2026, 11, 17)),
    (dt.date(2026, 11, 16), dt.date(2026, 11, 17)),
    (dt.date(2026, 11, 17), dt.date(2026, 11, 17)),  # the day itself is still this month's
    (dt.date(2026, 11, 18), dt.date(2026, 12, 17)),
    (dt.date(2026, 1, 31), dt.date(2026, 2, 17)),
    (dt.date(2026, 2, 28), dt.date(2026, 3, 17)),
    (dt.date(2028, 2, 29), dt.date(2028, 3, 17)),
    (dt.date(2026, 12, 17), dt.date(2026, 12, 17)),
    (dt.date(2026, 12, 18), dt.date(2027, 1, 17)),  # over the year end
    (dt.date(2026, 12, 31), dt.date(2027, 1, 17)),
])
def test_the_coming_cutoff_is_the_17th_the_day_itself_included(today, cutoff):
    assert fig.next_cutoff(today) == cutoff


def test_the_cutoffs_of_a_period():
    assert fig.cutoffs_in(month_period("2026-11")) == [dt.date(2026, 11, 17)]
    assert fig.cutoffs_in(quarter_period("2026-Q4")) == [dt.date(2026, m, 17) for m in (10, 11, 12)]
    assert fig.cutoffs_in(custom_period("2026-01-18", "2026-02-16")) == []
    assert fig.cutoffs_in(custom_period("2026-01-17", "2026-01-17")) == [dt.date(2026, 1, 17)]
    assert fig.cutoffs_in(custom_period("2026-12-17", "2027-01-17")) == [dt.date(2026, 12, 17), dt.date(2027, 1, 17)]


# --- the registry loop ----------------------------------------------------------------------------


@pytest.fixture
def loop(make_user, tmp_path, settings, monkeypatch):
    """Proposals of November 2026 at every stage, one monthly batch, one release settling it."""
    settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = 1
    settings.MEDIA_ROOT = tmp_path / "media"
    fas, sup, man = make_user("fasilitator", DESA), make_user("supervisor", "32.01.02"), make_user("manajer", "32.01")
    with clock(monkeypatch, at(2026, 10, 20)):
        import_rows(tmp_path, BASE_ROWS, "2026-10")
    with clock(monkeypatch, at(2026, 11, 3)):
        accepted = up.draft_proposal(fas, kind="perubahan", data={"nik": nik(1), "pekerjaan": "Petani"})
        rejected = up.draft_proposal(sup, kind="perubahan", data={"nik": nik(3), "pekerjaan": "Nelayan"})
        draft = up.draft_proposal(fas, kind="perubahan", data={"nik": nik(2, sex="P"), "pekerjaan": "Guru"})
        verified = up.draft_proposal(fas, kind="perubahan", data={"nik": nik(4), "pekerjaan": "Sopir"})
        checked = up.draft_proposal(fas, kind="perubahan", data={"nik": nik(5, sex="P"), "pekerjaan": "Pedagang"})
        approved = up.draft_proposal(fas, kind="tinjau_desil", data={"nomor_kk": kk(1)}, reason="Usaha tutup")
        up.verify(fas, verified)
        walk_to_checked(checked, fas, sup)
        walk_to_checked(accepted, fas, sup)
        walk_to_checked(rejected, sup, sup)
        walk_to_checked(approved, fas, sup)
        up.record_meeting(fas, desa_code=DESA, kind="musdes", held_on=dt.date(2026, 11, 3), attendance=12,
                          minutes=minutes(), proposals=[accepted, approved])
        up.record_meeting(sup, desa_code=DESA2, kind="musdes", held_on=dt.date(2026, 11, 3), attendance=7,
                          minutes=minutes(), proposals=[rejected])
        for p in (accepted, rejected):
            p.refresh_from_db()
            up.transition(man, p, "approve", p.version)
        batch = up.create_batch(man, kab_code="32.01", period="2026-11")
        up.submit_batch(man, batch, note="SIKS-NG")
        approved.refresh_from_db()
        up.transition(man, approved, "approve", approved.version)  # after the batch: due next cut-off
    # The November release carries the job change of nik 1 but not that of nik 3.
    with clock(monkeypatch, at(2026, 11, 20)):
        release = import_rows(tmp_path, [{**BASE_ROWS[0], "pekerjaan": "Petani"}, *BASE_ROWS[1:]], "2026-11")
    found = {name: p for name, p in locals().items() if name in (
        "accepted", "rejected", "draft", "verified", "checked", "approved")}
    for p in found.values():
        p.refresh_from_db()
    assert {n: p.status for n, p in found.items()} == {
        "accepted": ProposalStatus.ACCEPTED, "rejected": ProposalStatus.REJECTED, "draft": ProposalStatus.DRAFT,
        "verified": ProposalStatus.VERIFIED, "checked": ProposalStatus.CHECKED, "approved": ProposalStatus.APPROVED,
    }
    return {**found, "batch": batch, "release": release, "man": man, "sup": sup, "fas": fas}


@pytest.mark.django_db
def test_registry_loop_stages_releases_and_days_to_acceptance(loop, monkeypatch, make_user):
    man = loop["man"]
    with clock(monkeypatch, at(2026, 11, 17, 15)):
        s = fig.registry_loop(scope_of(man, "2026-11"))
    client = client_for(man)
    stages = rows_of(s, "by_stage")
    expected = {ProposalStatus.DRAFT: {"draft"}, ProposalStatus.VERIFIED: {"verified"},
                ProposalStatus.CHECKED: {"checked"}, ProposalStatus.APPROVED: {"approved"},
                ProposalStatus.ACCEPTED: {"accepted"}, ProposalStatus.REJECTED: {"rejected"}}
    for status in ProposalStatus.values:
        want = {loop[n].pk for n in expected.get(status, set())}
        assert stages[status]["n"] == len(want), status
        assert ids(client, stages[status]["url"], "proposal") == want, status
    assert stages[ProposalStatus.APPROVED]["label"] == "Disetujui Dinas Sosial"  # a name, not the code

    release = rows_of(s, "by_release")[str(loop["release"].pk)]
    assert (release["label"], release["accepted"], release["rejected"]) == ("DTSEN 2026-11", 1, 1)
    assert "DTSEN 2026-10" not in {r["label"] for r in rows_of(s, "by_release").values()}  # not in November
    assert ids(client, release["url"], "proposal") == {loop["accepted"].pk}
    assert ids(client, release["urls"]["rejected"], "proposal") == {loop["rejected"].pk}

    f = figures_of(s)
    assert f["proposed"]["value"] == 6
    assert ids(client, f["proposed"]["url"], "proposal") == {loop[n].pk for n in expected_names()}
    assert f["accepted"]["value"] == 1 and ids(client, f["accepted"]["url"], "proposal") == {loop["accepted"].pk}
    assert f["median_accept_days"]["value"] == 17.0  # proposed 3 Nov 10:00, accepted 20 Nov 10:00
    # On the 17th the cut-off is that very day; what is due for it is linked.
    assert (f["next_cutoff"]["value"], f["days_to_cutoff"]["value"]) == ("17 November 2026", 0)
    assert f["due_approved"]["value"] == 1
    assert ids(client, f["due_approved"]["url"], "proposal") == {loop["approved"].pk}
    calendar = rows_of(s, "calendar")["2026-11"]
    assert calendar["batch"] == "Diajukan" and calendar["n"] == 2
    assert ids(client, calendar["urls"]["n"], "proposal") == {loop["accepted"].pk, loop["rejected"].pk}
    with clock(monkeypatch, at(2026, 11, 18, 8)):
        after = figures_of(fig.registry_loop(scope_of(man, "2026-11")))
    assert (after["next_cutoff"]["value"], after["days_to_cutoff"]["value"]) == ("17 Desember 2026", 29)

    # Scope: the desa 2 coordinator counts only desa 2's proposal; another kab's Manajer none.
    koord = make_user("koordinator_puskesos", DESA2)
    with clock(monkeypatch, at(2026, 11, 17, 15)):
        mine = rows_of(fig.registry_loop(scope_of(koord, "2026-11")), "by_stage")
    assert {k: r["n"] for k, r in mine.items() if r["n"]} == {ProposalStatus.REJECTED: 1}
    far = fig.registry_loop(scope_of(make_user("manajer", "32.02"), "2026-11"))
    assert not any(r["n"] for r in rows_of(far, "by_stage").values())
    assert figures_of(far)["proposed"]["value"] == 0


def expected_names():
    return ("accepted", "rejected", "draft", "verified", "checked", "approved")


@pytest.mark.django_db
def test_proposal_filters_are_checked_and_named(loop):
    man = loop["man"]
    for params, param in (({"release": "999999"}, "release"), ({"created_from": "2026-02-30"}, "created_from"),
                          ({"status": "entah"}, "status"),
                          ({"accepted_from": "2026-11-30", "accepted_to": "2026-11-01"}, "accepted_to")):
        with pytest.raises(ValueError, match=f"Parameter {param}"):
            proposal_filters_from(params, man)
    f = proposal_filters_from({"release": str(loop["release"].pk), "desa": "32.01"}, man)
    assert (f.release, f.desa) == (loop["release"].pk, "32.01")
    response = client_for(man).get("/usulan/?status=entah")
    assert response.status_code == 400 and "Parameter status" in response.content.decode()


# --- field work -----------------------------------------------------------------------------------


def verification(f, visit, hh, alamat, *, base=None):
    values = {"kunjungan": str(visit.pk), "hasil": "ditemukan", "kode_wilayah": DESA, "nomor_kk": hh.nomor_kk,
              "alamat": alamat, "anggota": [], "minta_tinjau_desil": "tidak"}
    return field_services.receive(f, form_id="slrt_verifikasi_rt", instance_id=f"uuid:{alamat}", values=values,
                                  base=base if base is not None else field_selectors.visit_snapshot(visit)).submission


@pytest.fixture
def field(make_user, make_person, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    named = create_user(username="fas.dewi", role="fasilitator", region_code=DESA, password=PASSWORD,
                        full_name="Dewi Kartika", check_password=False)
    plain = create_user(username="fas.tanpanama", role="fasilitator", region_code=DESA, password=PASSWORD,
                        check_password=False)
    sup = make_user("supervisor", "32.01.02")
    homes = [make_person(desa_code=DESA, nama=f"Warga {i}").household for i in range(6)]

    def assign(who, hh, due, moment):
        with clock(monkeypatch, moment):
            return field_services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=who, due_date=due,
                                               household=hh)

    v = {
        "late": assign(named, homes[0], dt.date(2026, 11, 10), at(2026, 11, 2)),
        "done": assign(named, homes[1], dt.date(2026, 11, 30), at(2026, 11, 3)),
        "future": assign(named, homes[2], dt.date(2099, 1, 30), at(2026, 11, 4)),
        "conflict": assign(named, homes[3], dt.date(2099, 1, 30), at(2026, 11, 5)),
        "plain_late": assign(plain, homes[4], dt.date(2026, 11, 30), at(2026, 11, 30, 23)),  # still November
        "october": assign(named, homes[5], dt.date(2026, 10, 31), at(2026, 10, 31, 23)),
    }
    homes_by = dict(zip(v, homes, strict=True))
    done_sub = verification(named, v["done"], homes_by["done"], "Jl. Mawar 1")
    field_services.review_submission(sup, done_sub, "approve")
    waiting = verification(named, v["future"], homes_by["future"], "Jl. Melati 2")
    base = field_selectors.visit_snapshot(v["conflict"])
    hh = homes_by["conflict"]
    hh.alamat = "Alamat kantor"
    hh.save()
    conflict = verification(named, v["conflict"], hh, "Alamat tablet", base=base)
    for visit in v.values():
        visit.refresh_from_db()
    assert conflict.status == SubmissionStatus.CONFLICT and waiting.status == SubmissionStatus.REVIEW
    assert v["done"].status == VisitStatus.DONE
    return {"visits": v, "named": named, "plain": plain, "sup": sup, "waiting": waiting, "conflict": conflict,
            "make_user": make_user}


@pytest.mark.django_db
def test_fieldwork_per_facilitator_and_what_waits(field):
    v, sup = field["visits"], field["sup"]
    manajer = field["make_user"]("manajer", "32.01")
    november = [v[k] for k in ("late", "done", "future", "conflict", "plain_late")]
    # Overdue: open (planned or returned) and past due today; the ones sent from the field wait
    # for review, and are not overdue on the facilitator.
    overdue_now = {x.pk for x in v.values() if x.status in (VisitStatus.PLANNED, VisitStatus.RETURNED)
                   and x.due_date < timezone.localdate()}
    assert overdue_now == {v["late"].pk, v["plain_late"].pk, v["october"].pk}
    for user in (manajer, sup):
        s = fig.fieldwork(scope_of(user, "2026-11"))
        client = client_for(user)
        f = figures_of(s)
        assert f["assigned"]["value"] == 5 and ids(client, f["assigned"]["url"], "visit") == {x.pk for x in november}
        assert f["done"]["value"] == 1 and ids(client, f["done"]["url"], "visit") == {v["done"].pk}
        assert f["overdue_now"]["value"] == 3 and ids(client, f["overdue_now"]["url"], "visit") == overdue_now
        assert f["submissions_waiting"]["value"] == 1
        assert ids(client, f["submissions_waiting"]["url"], "submission") == {field["waiting"].pk}
        assert f["conflicts_waiting"]["value"] == 1
        assert ids(client, f["conflicts_waiting"]["url"], "submission") == {field["conflict"].pk}
        rows = rows_of(s, "by_facilitator")
        named, plain = rows[str(field["named"].pk)], rows[str(field["plain"].pk)]
        assert named["label"] == "Dewi Kartika"  # the full name, never the username
        assert plain["label"] == "fas.tanpanama"  # no full name: the username
        assert (named["n"], named["done"], named["overdue"]) == (4, 1, 1)
        assert (plain["n"], plain["done"], plain["overdue"]) == (1, 0, 1)
        assert ids(client, named["url"], "visit") == {v[k].pk for k in ("late", "done", "future", "conflict")}
        assert ids(client, named["urls"]["done"], "visit") == {v["done"].pk}
        assert ids(client, named["urls"]["overdue"], "visit") == {v["late"].pk}
        assert ids(client, plain["url"], "visit") == {v["plain_late"].pk}
    body = client_for(manajer).get(rows_of(fig.fieldwork(scope_of(manajer, "2026-11")), "by_facilitator")[
        str(field["named"].pk)]["url"]).content.decode()
    assert f'<option value="{field["named"].pk}" selected>Dewi Kartika</option>' in body


@pytest.mark.django_db
def test_fieldwork_scope_and_roles(field):
    make_user = field["make_user"]
    # The supervisor of another kecamatan and the Manajer of another kab/kota count nothing.
    for user in (make_user("supervisor", "32.01.03"), make_user("manajer", "32.02")):
        f = figures_of(fig.fieldwork(scope_of(user, "2026-11")))
        assert all(f[k]["value"] == 0 for k in ("assigned", "done", "overdue_now", "submissions_waiting",
                                                "conflicts_waiting")), user.role
    # A Koordinator of the desa sees its figures, but visits are tasks: its own visit list holds only
    # what is assigned to it, and it reviews no submissions, so these figures open no list.
    koord = make_user("koordinator_puskesos", DESA)
    s = fig.fieldwork(scope_of(koord, "2026-11"))
    f = figures_of(s)
    assert (f["assigned"]["value"], f["done"]["value"], f["overdue_now"]["value"]) == (5, 1, 3)
    assert f["conflicts_waiting"]["value"] == 1
    assert all(x["url"] == "" for x in s["figures"])
    assert all(r["url"] == "" and not any(r["urls"].values()) for r in rows_of(s, "by_facilitator").values())
    assert ids(client_for(koord), "/lapangan/kunjungan/", "visit") == set()
    # A facilitator (no dashboard) still sees only their own visits on the list.
    own = ids(client_for(field["plain"]), "/lapangan/kunjungan/", "visit")
    assert own == {field["visits"]["plain_late"].pk}
    assert client_for(field["plain"]).get("/dasbor/").status_code == 403


@pytest.mark.django_db
def test_visit_and_submission_filters_are_checked_and_named(field):
    sup = field["sup"]
    for params, param in (({"facilitator": "999999"}, "facilitator"), ({"status": "hilang"}, "status"),
                          ({"assigned_from": "2026-11-31"}, "assigned_from"), ({"wilayah": "99.99"}, "wilayah")):
        with pytest.raises(ValueError, match=f"Parameter {param}"):
            visit_filters_from(params, sup)
    with pytest.raises(ValueError, match="Parameter antrian"):
        submission_filters_from({"antrian": "semua"}, sup)
    f = visit_filters_from({"facilitator": str(field["named"].pk), "overdue": "1"}, sup)
    assert (f.facilitator, f.overdue) == (field["named"].pk, True)
    response = client_for(sup).get("/lapangan/kunjungan/?status=hilang")
    assert response.status_code == 400 and "Parameter status" in response.content.decode()


@pytest.mark.django_db
def test_the_province_and_the_nation_roll_up_the_registry_loop(loop, monkeypatch, make_user):
    for user, code in ((make_user("dinsos", "32"), "32"), (make_user("admin", "00"), "00")):
        with clock(monkeypatch, at(2026, 11, 17, 15)):
            s = fig.registry_loop(scope_of(user, "2026-11", code=code))
        stages = rows_of(s, "by_stage")
        assert sum(r["n"] for r in stages.values()) == 6, code
        assert stages[ProposalStatus.ACCEPTED]["n"] == 1
        calendar = rows_of(s, "calendar")["2026-11"]
        assert (calendar["batch"], calendar["n"]) == ("Diajukan", 2)  # the one kab/kota file
        assert figures_of(s)["median_accept_days"]["value"] == 17.0
        assert ids(client_for(user), stages[ProposalStatus.ACCEPTED]["url"], "proposal") == {loop["accepted"].pk}
