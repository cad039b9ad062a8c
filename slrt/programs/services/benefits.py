"""Writes of programme benefits (amounts): a new version per edit, by whoever may edit the
programme's rule (`catalogue.may_edit_rule`), validated, in a transaction, audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.audit.services import record

from ..models import MAX_BENEFIT, Benefit, BenefitPeriod, Program, TargetUnit
from .catalogue import may_edit_rule


def clean_benefit(amount, unit, period, note) -> dict:
    """The checked values, or a ValidationError naming each field in Indonesian."""
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int):
        errors["amount"] = _("Besaran harus bilangan bulat rupiah, mis. 3000000.")
    elif not 0 <= amount <= MAX_BENEFIT:
        errors["amount"] = _("Besaran antara Rp0 dan Rp1.000.000.000.")
    if unit not in TargetUnit.values:
        errors["unit"] = _("Pilih penerima manfaat: perorangan, keluarga, rumah tangga atau kelompok.")
    if period not in BenefitPeriod.values:
        errors["period"] = _("Pilih periode: per bulan, per tahun atau sekali.")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("Tulis mengapa besaran diubah atau sumbernya, mis. \"Juknis PKH 2026\".")
    elif len(note) > 255:
        errors["note"] = _("Catatan terlalu panjang (paling banyak 255 karakter).")
    if errors:
        raise ValidationError(errors)
    return {"amount": amount, "unit": unit, "period": period, "note": note}


def save_benefit(user, program: Program, *, amount, unit, period, note, based_on: int | None = None) -> Benefit:
    """Save the programme's benefit as its new current version.

    `based_on` is the version the editor started from (0: none yet); if someone saved another
    meanwhile, saving would discard their change, so it is refused (the editor keeps the input).
    """
    if not can(user, "edit_rules") or not may_edit_rule(user, program):
        raise PermissionDenied(
            _("Besaran manfaat program nasional hanya diubah oleh Admin tingkat nasional; program daerah oleh "
              "Admin atau Manajer SLRT di wilayah program itu.")
        )
    values = clean_benefit(amount, unit, period, note)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        current = program.benefits.filter(is_current=True).first()
        latest = program.benefits.order_by("-version").values_list("version", flat=True).first() or 0
        if based_on is not None and (current.version if current else 0) != based_on:
            raise ValidationError(
                {"version": _("Besaran ini sudah diubah orang lain (kini versi %(v)s). Periksa lalu simpan lagi.")
                 % {"v": current.version if current else 0}},
                code="conflict",
            )
        if current is not None and (current.amount, current.unit, current.period) == (
                values["amount"], values["unit"], values["period"]):
            raise ValidationError({"amount": _("Tidak ada perubahan dibanding versi %(v)s.") % {"v": current.version}})
        program.benefits.filter(is_current=True).update(is_current=False)
        benefit = Benefit.objects.create(program=program, version=latest + 1, created_by=user, is_current=True,
                                         **values)
        record(user, "benefit.save", benefit, detail={
            "program": program.code, "version": benefit.version, "amount": benefit.amount,
            "unit": benefit.unit, "period": benefit.period,
            "previous": current.amount if current else None,
        })
    return benefit
