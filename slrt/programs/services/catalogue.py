"""Writes of the catalogue: rule versions, agencies and their services. Each is audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.wilayah.models import NATION_CODE

from .. import rules
from ..models import Agency, AgencyService, EligibilityRule, Program


def may_edit_rule(user, program: Program) -> bool:
    """A national programme's rule is the Admin's at nation level; a regional one belongs to the
    Admin or Manajer whose scope contains the programme's region."""
    if not can(user, "edit_rules"):
        return False
    if program.region_id is None:
        return user.role == Role.ADMIN and user.region_id == NATION_CODE
    return in_scope(user, program.region_id)


def save_rule(user, program: Program, criteria, *, note: str = "", based_on: int | None = None) -> EligibilityRule:
    """Validate `criteria` and save them as the programme's new current version.

    `based_on` is the version the editor started from: if someone saved a newer one meanwhile,
    saving would silently discard their change, so it is refused (the editor keeps the input).
    """
    if not can(user, "edit_rules"):
        raise PermissionDenied(_("Peran Anda tidak boleh mengubah aturan kelayakan."))
    if not may_edit_rule(user, program):
        raise PermissionDenied(
            _(
                "Aturan program nasional hanya diubah oleh Admin tingkat nasional; aturan program daerah "
                "oleh Admin atau Manajer SLRT di wilayah program itu."
            )
        )
    if len(note) > EligibilityRule._meta.get_field("note").max_length:
        raise ValidationError({"note": _("Catatan perubahan terlalu panjang (paling banyak 255 karakter).")})
    try:
        cleaned = rules.validate(criteria)
    except rules.RuleError as exc:
        # The code names the criterion and the part at fault ("value:2") for the editor to mark.
        raise ValidationError({"criteria": [
            ValidationError(message, code=f"{fault[1]}:{fault[0]}" if fault else "invalid")
            for message, fault in zip(exc.errors, exc.faults, strict=True)
        ]})
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        current = program.rules.filter(is_current=True).first()
        latest = program.rules.order_by("-version").values_list("version", flat=True).first() or 0
        if based_on is not None and current is not None and current.version != based_on:
            raise ValidationError(
                {
                    "version": _("Aturan ini sudah diubah orang lain (kini versi %(v)s). Periksa lalu simpan lagi.")
                    % {"v": current.version}
                },
                code="conflict",
            )
        if current is not None and current.criteria == cleaned:
            raise ValidationError(
                {"criteria": _("Tidak ada perubahan dibanding versi %(v)s.") % {"v": current.version}}
            )
        program.rules.filter(is_current=True).update(is_current=False)
        rule = EligibilityRule.objects.create(
            program=program, version=latest + 1, criteria=cleaned, note=note, is_current=True, created_by=user
        )
        record(user, "rule.save", rule, detail={"program": program.code, "version": rule.version})
    return rule


AGENCY_FIELDS = ("code", "name", "kind", "region", "address", "phone", "email", "active")


def save_agency(user, data: dict, agency: Agency | None = None) -> Agency:
    if not can(user, "manage_agencies"):
        raise PermissionDenied(_("Peran Anda tidak boleh mengelola lembaga."))
    with transaction.atomic():
        agency = agency or Agency()
        for name in AGENCY_FIELDS:
            if name in data:
                setattr(agency, name, data[name])
        agency.full_clean()
        created = agency.pk is None
        agency.save()
        record(
            user,
            "agency.create" if created else "agency.update",
            agency,
            region_code=agency.region_id,
            detail={"code": agency.code},
        )
    return agency


SERVICE_FIELDS = ("code", "name", "sector", "sla_days", "active")


def save_service(user, agency: Agency, data: dict, service: AgencyService | None = None) -> AgencyService:
    if not can(user, "manage_agencies"):
        raise PermissionDenied(_("Peran Anda tidak boleh mengelola lembaga."))
    with transaction.atomic():
        service = service or AgencyService(agency=agency)
        if service.agency_id != agency.pk:
            raise ValidationError(_("Layanan ini milik lembaga lain."))
        for name in SERVICE_FIELDS:
            if name in data:
                setattr(service, name, data[name])
        service.full_clean()
        created = service.pk is None
        service.save()
        record(
            user,
            "agency_service.create" if created else "agency_service.update",
            service,
            region_code=agency.region_id,
            detail={"agency": agency.code, "code": service.code},
        )
    return service
