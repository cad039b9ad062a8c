"""Matching that does not cry wolf (issue 9, point 2).

- A family the registry lists as receiving PKH that fits none of PKH's components is one finding
  about PKH as a whole (as the batch targeting counts it), each component still explained.
- Approving a programme the matching marks not eligible needs an explicit override with a reason:
  refused without, naming the field; stored with the failing criteria; on the timeline, in the
  audit log, on the Surat Rekomendasi; counted per programme and shown on the programme page.
- The recommendation form offers the need's sector first, the rest behind "show all".
"""

import re

import pytest
from django.urls import reverse

from slrt.audit.models import AuditEvent
from slrt.cases import decisions, letters
from slrt.cases.models import Letter, Need, RecommendationStatus
from slrt.cases.timeline import describe
from slrt.programs.models import Program
from slrt.programs.selectors.assessment import assess_household
from slrt.programs.services.targeting import run_targeting
from tests import test_programs_targeting
from tests.test_referrals_fixtures import api_client, build_desk, client_for, make_case, pdf_text

pytestmark = pytest.mark.django_db

district = test_programs_targeting.district  # the crafted district of the targeting tests

PKH_COMPONENTS = {"PKH-BUMIL", "PKH-AUD", "PKH-SD", "PKH-SMP", "PKH-SMA", "PKH-DIS", "PKH-LANSIA"}


@pytest.fixture
def desk():
    return build_desk()


def family_case(make_person, desil, desa="32.01.02.2001", sector="pangan"):
    """A case whose applicant is the head of a registry family with the given desil."""
    head = make_person(desa, "Ujang Suryana", hubungan_keluarga="Kepala Keluarga")
    head.household.desil = desil
    head.household.save(update_fields=["desil"])
    case, need = make_case(desa, sector=sector)
    case.person, case.household = head, head.household
    case.save(update_fields=["person", "household"])
    return case, need


# --- one finding about PKH as a whole -----------------------------------------------------------


def test_pkh_received_fitting_no_component_is_one_finding_with_each_component_explained(district, make_user):
    bo = make_user("back_office", "32.01")
    a = assess_household(bo, district["B"].pk)  # desil 8, receives PKH and BPNT
    assert sorted(m.code for m in a.received_not_eligible) == ["BPNT", "PKH"]
    pkh = next(m for m in a.received_not_eligible if m.code == "PKH")
    assert pkh.name == "Program Keluarga Harapan (PKH)"
    assert {c.code for c in pkh.components} == PKH_COMPONENTS
    # Each component still says which of its criteria fail (the desil here, for every one).
    for component in pkh.components:
        failing = [line.text for line in component.lines if not line.passed]
        assert any("Desil 8" in text and "desil 1–4" in text for text in failing), component.code
    assert len(pkh.lines) == 7 and all(not line.passed for line in pkh.lines)
    # The received list shows PKH once too, not seven times.
    assert [m.code for m in a.received].count("PKH") == 1
    assert not PKH_COMPONENTS & {m.code for m in a.received}


def test_single_household_findings_count_like_the_batch_targeting(district, make_user):
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    for key in "ABCDE":
        household = district[key]
        batch = run.errors.filter(household=household, kind="inclusion").count()
        assert len(assess_household(manajer, household.pk).received_not_eligible) == batch, key


def test_pkh_justified_by_one_component_stays_a_component(district, make_user):
    a = assess_household(make_user("back_office", "32.01"), district["A"].pk)  # a SD child
    assert [m.code for m in a.received] == ["PKH-SD"] and a.received_not_eligible == []


def test_case_page_shows_one_pkh_warning_not_seven(district, make_user):
    from tests.test_referrals_fixtures import make_case as new_case

    case, _need = new_case("32.01.02.2002")
    case.household = district["B"]
    case.save(update_fields=["household"])
    html = client_for(make_user("back_office", "32.01")).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert html.count("menerima tetapi tidak layak") == 2  # PKH as a whole, and BPNT
    assert html.count('data-group="PKH"') == 1
    for code in PKH_COMPONENTS:
        assert f'data-component="{code}"' in html


def test_api_assessment_has_pkh_once_with_components(district, make_user):
    bo = make_user("back_office", "32.01")
    body = api_client(bo).get(f"/api/v1/households/{district['B'].pk}/assessment").json()
    found = body["received_not_eligible"]
    assert sorted(m["program"] for m in found) == ["BPNT", "PKH"]
    pkh = next(m for m in found if m["program"] == "PKH")
    assert {c["program"] for c in pkh["components"]} == PKH_COMPONENTS
    assert len(pkh["explanation"]) == 7 and all(not line["passed"] for line in pkh["explanation"])


# --- the override -------------------------------------------------------------------------------


def _draft_bpnt(desk, make_person, desil):
    case, need = family_case(make_person, desil)
    rec = decisions.draft_recommendation(desk.bo, need, "program", program=Program.objects.get(code="BPNT"))
    return case, rec


def test_approving_a_not_eligible_programme_without_override_is_refused_naming_the_field(desk, make_person):
    _case, rec = _draft_bpnt(desk, make_person, desil=8)
    with pytest.raises(Exception) as exc:
        decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    assert "override" in exc.value.message_dict
    with pytest.raises(Exception) as exc:
        decisions.decide_recommendation(
            desk.manajer, rec, approve=True, expected_version=rec.version, override=True, override_reason="  "
        )
    assert "override_reason" in exc.value.message_dict
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.DRAFT and not rec.eligibility_override


def test_override_stores_failing_criteria_and_goes_on_timeline_audit_and_letter(desk, make_person):
    case, rec = _draft_bpnt(desk, make_person, desil=8)
    reason = "Kepala keluarga baru di-PHK; desil registri belum diperbarui"
    decisions.decide_recommendation(
        desk.manajer, rec, approve=True, expected_version=rec.version, override=True, override_reason=reason
    )
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.APPROVED and rec.eligibility_override
    assert rec.override_reason == reason
    assert [c["field"] for c in rec.failed_criteria] == ["desil"]
    assert "Desil 8" in rec.failed_criteria[0]["text"] and "tidak memenuhi" in rec.failed_criteria[0]["text"]
    event = case.events.get(kind="recommendation.override")
    text = describe(event)
    assert reason in text and "Program Sembako" in text and "1 kriteria" in text
    audit = AuditEvent.objects.get(action="recommendation.approved", object_id=str(rec.pk))
    assert audit.detail["override"] is True and audit.detail["failed"] == ["desil"]
    letter = Letter.objects.get(recommendation=rec)
    pdf = pdf_text(letters.render_letter(letter, desk.manajer))
    for expected in ("Penyimpangan hasil pencocokan", "Alasan penyimpangan", "di-PHK", "Desil 8"):
        assert expected.encode() in pdf, expected


def test_eligible_programme_is_approved_without_override(desk, make_person):
    _case, rec = _draft_bpnt(desk, make_person, desil=2)
    decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.APPROVED and not rec.eligibility_override
    assert rec.failed_criteria == []


def test_rejecting_needs_no_override(desk, make_person):
    _case, rec = _draft_bpnt(desk, make_person, desil=8)
    decisions.decide_recommendation(desk.manajer, rec, approve=False, expected_version=rec.version, note="Tidak layak")
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.REJECTED


def test_web_approver_sees_failing_criteria_and_is_refused_without_override(desk, make_person):
    case, rec = _draft_bpnt(desk, make_person, desil=8)
    client = client_for(desk.manajer)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'data-override="{rec.pk}"' in page and "Desil 8" in page
    assert "Setujui dengan penyimpangan" in page
    url = reverse("cases:recommendation_decide", args=[rec.pk])
    refused = client.post(url, {"decision": "approve", "version": rec.version, "note": "ok"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Setujui dengan penyimpangan" in html and "tidak layak untuk Program Sembako" in html
    no_reason = client.post(url, {"decision": "approve", "version": rec.version, "override": "1"})
    assert no_reason.status_code == 422 and "Tuliskan alasan penyimpangan" in no_reason.content.decode()
    done = client.post(
        url, {"decision": "approve", "version": rec.version, "override": "1", "override_reason": "Baru kena PHK"}
    )
    assert done.status_code == 302
    rec.refresh_from_db()
    assert rec.eligibility_override and rec.override_reason == "Baru kena PHK"
    timeline = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "menyimpangi hasil pencocokan" in timeline and "Baru kena PHK" in timeline


def test_api_shows_failing_criteria_and_requires_override_with_reason(desk, make_person):
    case, rec = _draft_bpnt(desk, make_person, desil=8)
    api = api_client(desk.manajer)
    listed = api.get(f"/api/v1/cases/{case.pk}/recommendations").json()[0]
    assert listed["eligibility"]["eligible"] is False
    assert [c["field"] for c in listed["eligibility"]["failed_criteria"]] == ["desil"]
    url = f"/api/v1/recommendations/{listed['id']}/approve"
    refused = api.post(url, {"version": listed["version"]}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "override_required"
    assert "override" in refused.json()["detail"]
    no_reason = api.post(url, {"version": listed["version"], "override": True}, content_type="application/json")
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "override_reason_required"
    assert "override_reason" in no_reason.json()["detail"]
    ok = api.post(
        url,
        {"version": listed["version"], "override": True, "override_reason": "Rumah terbakar"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["eligibility_override"] is True and body["override_reason"] == "Rumah terbakar"
    assert [c["field"] for c in body["failed_criteria"]] == ["desil"]


def test_override_counts_per_programme_match_an_independent_tally_and_the_programme_page(desk, make_person):
    tally = {}

    def approve(code, desil, override=True):
        case, need = family_case(make_person, desil)
        rec = decisions.draft_recommendation(desk.bo, need, "program", program=Program.objects.get(code=code))
        decisions.decide_recommendation(
            desk.manajer,
            rec,
            approve=True,
            expected_version=rec.version,
            override=override,
            override_reason="Alasan lapangan" if override else "",
        )
        if override:
            tally[code] = tally.get(code, 0) + 1

    approve("BPNT", 8)
    approve("BPNT", 9)
    approve("PBI-JK", 7)
    approve("BPNT", 2, override=False)  # eligible: no override
    # Another district's override is not in a 32.01 Manajer's count.
    other_bo = desk.bo_other_kab
    case, need = family_case(make_person, 9, "32.02.02.2001")
    rec = decisions.draft_recommendation(other_bo, need, "program", program=Program.objects.get(code="BPNT"))
    decisions.decide_recommendation(
        desk.manajer_other_kab, rec, approve=True, expected_version=rec.version, override=True, override_reason="x"
    )
    counts = decisions.override_counts(desk.manajer)
    assert counts == tally == {"BPNT": 2, "PBI-JK": 1}
    assert decisions.override_counts(desk.manajer, region="32.01.03") == {}
    assert decisions.override_counts(desk.manajer_other_kab) == {"BPNT": 1}
    html = client_for(desk.manajer).get(reverse("programs:detail", args=["BPNT"])).content.decode()
    shown = int(re.search(r"data-override-count>(\d+)<", html).group(1))
    assert shown == counts["BPNT"] == html.count("data-override-row=")


# --- the recommendation form: the need's sector first ------------------------------------------


def test_form_offers_the_need_sector_first_and_the_rest_behind_show_all(desk, make_person):
    case, need = family_case(make_person, 2, sector="kesehatan")
    html = client_for(desk.bo).get(reverse("cases:detail", args=[case.pk])).content.decode()
    form = html[html.index(f'data-need="{need.pk}"') :]
    first = form[form.index('id="rec-program"') : form.index("</select>", form.index('id="rec-program"'))]
    rest = form[form.index('id="rec-program-all"') : form.index("</select>", form.index('id="rec-program-all"'))]
    sector = set(Program.objects.filter(active=True, sector="kesehatan").values_list("name", flat=True))
    assert sector and all(name in first for name in sector)
    assert "Program Sembako" not in first and "Program Sembako" in rest  # pangan: behind "show all"
    assert "<details class=\"show-all\"" in form and "Tampilkan semua program" in form
    services = form[form.index('id="rec-service"') : form.index("</select>", form.index('id="rec-service"'))]
    assert desk.rsud_service.name in services  # kesehatan


def test_a_programme_from_show_all_is_drafted_and_two_picks_are_refused(desk, make_person):
    case, need = family_case(make_person, 2, sector="kesehatan")
    client = client_for(desk.bo)
    url = reverse("cases:recommendation_draft", args=[case.pk])
    bpnt = Program.objects.get(code="BPNT")
    pbi = Program.objects.get(code="PBI-JK")
    # Both selects carry the name "program"; the sector one left empty, "show all" chosen.
    ok = client.post(url, {"need": need.pk, "kind": "program", "program": ["", str(bpnt.pk)], "note": ""})
    assert ok.status_code == 302
    assert case.recommendations.get().program == bpnt
    twice = client.post(url, {"need": need.pk, "kind": "program", "program": [str(pbi.pk), str(bpnt.pk)]})
    assert twice.status_code == 422 and "Pilih satu saja" in twice.content.decode()
    assert case.recommendations.count() == 1
    assert Need.objects.get(pk=need.pk)
