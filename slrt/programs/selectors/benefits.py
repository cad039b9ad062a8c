"""Reads of programme benefits as amounts (reference data: no personal data, no scope)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from ..models import Benefit, BenefitPeriod, TargetUnit

UNIT_WORDS = {
    TargetUnit.PERSON: _l("orang"), TargetUnit.FAMILY: _l("keluarga"), TargetUnit.HOUSEHOLD: _l("rumah tangga"),
    TargetUnit.GROUP: _l("kelompok"),
}


def current_benefit(program) -> Benefit | None:
    return program.benefits.filter(is_current=True).first()


def benefit_history(program) -> list[Benefit]:
    return list(program.benefits.select_related("created_by").order_by("-version"))


def current_benefits(program_ids) -> dict[int, Benefit]:
    """{program id: its current benefit} for the programmes given (those without one left out)."""
    return {b.program_id: b for b in Benefit.objects.filter(program_id__in=list(program_ids), is_current=True)}


def rupiah(amount: int) -> str:
    """12500000 -> "Rp12.500.000" (Indonesian grouping whatever the page's language)."""
    return "Rp" + f"{int(amount):,}".replace(",", ".")


def describe(benefit: Benefit | None) -> str:
    """"Rp3.000.000 per keluarga per tahun" (or that no amount is set)."""
    if benefit is None:
        return _("besaran belum ditetapkan")
    unit = str(UNIT_WORDS.get(benefit.unit, benefit.get_unit_display()))
    if benefit.period == BenefitPeriod.ONCE:
        return _("%(amount)s per %(unit)s, sekali") % {"amount": rupiah(benefit.amount), "unit": unit}
    return _("%(amount)s per %(unit)s %(period)s") % {
        "amount": rupiah(benefit.amount), "unit": unit, "period": benefit.get_period_display()}
