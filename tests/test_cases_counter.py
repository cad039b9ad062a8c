"""One numbering mechanism: tickets, referral numbers and letter numbers each come from a locked
counter row per (kind, kab/kota, year); the migration seeds the counters from numbers already
issued so an existing database continues without collisions."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from slrt.cases import decisions, tickets
from slrt.cases.models import Counter, CounterKind, Letter, LetterKind
from slrt.referrals import services
from slrt.referrals.models import Referral
from tests.test_referrals_fixtures import build_desk, make_case

pytestmark = pytest.mark.django_db

seeding = importlib.import_module("slrt.cases.migrations.0004_counter_for_all_numbers")


def test_each_kind_counts_on_its_own_per_kab_and_year():
    assert tickets.next_number(CounterKind.TICKET, "32.01", 2026) == 1
    assert tickets.next_number(CounterKind.TICKET, "32.01", 2026) == 2
    assert tickets.next_number(CounterKind.REFERRAL, "32.01", 2026) == 1
    assert tickets.next_number(CounterKind.LETTER, "32.01", 2026) == 1
    assert tickets.next_number(CounterKind.TICKET, "32.02", 2026) == 1
    assert tickets.next_number(CounterKind.TICKET, "32.01", 2027) == 1
    assert Counter.objects.get(kind=CounterKind.TICKET, kab_code="32.01", year=2026).last == 2


def test_number_formats_are_unchanged():
    year = timezone.localdate().year
    desk = build_desk()
    assert tickets.next_ticket("32.01", 2026) == "SLRT-3201-2026-000001"
    case, need = make_case()
    referral = services.draft_referral(desk.bo, need, service=desk.rsud_service, note="x")
    assert referral.number == f"RJK-3201-{year}-000001"
    letter = decisions.issue_letter(desk.manajer, case, LetterKind.REKOMENDASI)
    assert letter.number == f"400.9/0001/SLRT-3201/{year}"


def test_migration_seeds_counters_from_existing_numbers_and_numbering_continues():
    year = timezone.localdate().year
    desk = build_desk()
    case, need = make_case()
    ref = services.draft_referral(desk.bo, need, service=desk.rsud_service, note="x")
    Referral.objects.system().filter(pk=ref.pk).update(number=f"RJK-3201-{year}-000017")
    letter = decisions.issue_letter(desk.manajer, case, LetterKind.REKOMENDASI)
    Letter.objects.filter(pk=letter.pk).update(number=f"400.9/0041/SLRT-3201/{year}")
    older = decisions.issue_letter(desk.manajer, case, LetterKind.REKOMENDASI)
    Letter.objects.filter(pk=older.pk).update(number="400.9/0005/SLRT-3202/2025")
    odd = decisions.issue_letter(desk.manajer, case, LetterKind.REKOMENDASI)
    Letter.objects.filter(pk=odd.pk).update(number="surat-lama-tanpa-pola")
    Counter.objects.filter(kind__in=[CounterKind.REFERRAL, CounterKind.LETTER]).delete()

    seeding.seed_counters(apps, None)

    seeded = {(c.kind, c.kab_code, c.year): c.last for c in Counter.objects.exclude(kind=CounterKind.TICKET)}
    assert seeded == {
        (CounterKind.REFERRAL, "32.01", year): 17,
        (CounterKind.LETTER, "32.01", year): 41,
        (CounterKind.LETTER, "32.02", 2025): 5,
    }
    _case, other_need = make_case()
    assert services.draft_referral(desk.bo, other_need, service=desk.rsud_service).number == f"RJK-3201-{year}-000018"
    assert decisions.issue_letter(desk.manajer, case, LetterKind.REKOMENDASI).number == (f"400.9/0042/SLRT-3201/{year}")
