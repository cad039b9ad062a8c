"""The override path in a real Chromium: a programme the matching marks not eligible.

Back office drafts Program Sembako (offered first: the need is about food) for a desil-8 family;
the Manajer sees the failing criterion beside the buttons, is refused when approving without
the override, ticks it and types the reason; the case page marks the approval as an override and
the timeline carries the reason; the programme page counts it.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESA = "32.01.02.2001"
REASON = "Suami baru di-PHK bulan lalu; desil registri belum diperbarui"


@pytest.fixture
def scene(regions_after_flush, make_user, make_person):
    from django.urls import reverse

    from slrt.programs.catalogue import load_agencies, load_catalogue
    from tests.test_referrals_fixtures import make_case

    load_catalogue()  # the transactional test flushed what the data migration seeded
    load_agencies("32.01")
    head = make_person(DESA, "Ujang Suryana", dt.date(1980, 1, 5), "L", hubungan_keluarga="Kepala Keluarga")
    head.household.desil = 8
    head.household.save(update_fields=["desil"])
    case, need = make_case(DESA, sector="pangan")
    case.person, case.household = head, head.household
    case.save(update_fields=["person", "household"])
    return SimpleNamespace(
        url=reverse("cases:detail", args=[case.pk]),
        program_url=reverse("programs:detail", args=["BPNT"]),
        case=case,
        back_office=make_user("back_office", "32.01"),
        manajer=make_user("manajer", "32.01"),
    )


def test_manajer_overrides_the_matching_with_a_reason(live_server, scene, chromium, shots):
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, scene.back_office)
        page.goto(base + scene.url)
        page.click("#keputusan summary:has-text('Susun rekomendasi')")
        page.select_option("#rec-kind", "program")
        # The need is about food: Program Sembako is in the first list, PKH behind "show all".
        first = page.locator("#rec-program option").all_inner_texts()
        assert any("Program Sembako" in text for text in first)
        assert not any("PKH komponen" in text for text in first)
        assert page.locator("#keputusan details.show-all summary:has-text('Tampilkan semua program')").count() == 1
        page.select_option("#rec-program", label="Program Sembako (Bantuan Pangan Non Tunai)")
        page.fill("#rec-note", "Keluarga kehilangan penghasilan.")
        page.click("button:has-text('Simpan draf rekomendasi')")
        page.locator("#keputusan table").wait_for()
        context.close()

        context, page = log_in(browser, base, scene.manajer)
        page.goto(base + scene.url)
        warning = page.locator("#keputusan .override")
        assert "Desil 8" in warning.inner_text() and "tidak memenuhi" in warning.inner_text()
        page.screenshot(path=str(shots / "override-1-criteria.png"), full_page=True)
        page.click("#keputusan button:has-text('Setujui')")
        page.locator("text=Setujui dengan penyimpangan").first.wait_for()
        assert "tidak layak untuk Program Sembako" in page.locator("main").inner_text()
        page.screenshot(path=str(shots / "override-2-refused.png"), full_page=True)
        page.check("input[name=override]")
        page.fill("textarea[name=override_reason]", REASON)
        page.click("button:has-text('Setujui')")
        page.locator("#keputusan .badge:has-text('menyimpangi pencocokan')").wait_for()
        assert REASON in page.locator("#linimasa").inner_text()
        page.screenshot(path=str(shots / "override-3-approved.png"), full_page=True)
        page.goto(base + scene.program_url)
        assert page.locator("[data-override-count]").inner_text().strip() == "1"
        assert REASON in page.locator("#penyimpangan").inner_text()
        context.close()

    from slrt.cases.models import Recommendation

    rec = Recommendation.objects.get(case=scene.case)
    assert rec.eligibility_override and rec.override_reason == REASON
    assert [c["field"] for c in rec.failed_criteria] == ["desil"]
