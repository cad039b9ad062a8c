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

# Who manages an agency: the Admin whose scope contains the agency's region (an Admin at the
# nation: every agency), the Manajer of the kab/kota when the agency's region lies inside it. An
# agency of a province or of the nation serves more than one kab/kota, so no single Manajer
# changes it: its Admin does. The directory itself stays readable by all staff.


def may_manage_agencies(user) -> bool:
    return can(user, "manage_agencies") and bool(user.region_id)


def may_manage_agency(user, agency: Agency) -> bool:
    return may_manage_agencies(user) and bool(agency.region_id) and in_scope(user, agency.region_id)


def _changed(instance, fields, data) -> list[str]:
    """The fields whose value `data` changes (a new instance: every one given)."""
    if instance.pk is None:
        return [n for n in fields if n in data]
    return [n for n in fields if n in data and getattr(instance, n) != data[n]]


def save_agency(user, data: dict, agency: Agency | None = None) -> Agency:
    """Create or change an agency; the audit names the fields changed, `agency.deactivate` when it
    closes (its services stop being offered for new referrals; sent ones keep going)."""
    if not may_manage_agencies(user):
        raise PermissionDenied(_("Peran Anda tidak boleh mengelola lembaga."))
    region = data.get("region")
    if region is not None and not in_scope(user, getattr(region, "code", region)):
        raise ValidationError({"region": _("Wilayah lembaga harus di dalam wilayah tugas Anda.")})
    with transaction.atomic():
        # From the database: a ModelForm's validation has already written the input onto the
        # instance it was given.
        agency = Agency.objects.select_for_update().get(pk=agency.pk) if agency is not None else Agency()
        if agency.pk and not may_manage_agency(user, agency):  # where it is now, not where it would go
            raise PermissionDenied(_("Lembaga ini di luar wilayah Anda; Admin wilayahnya yang mengubahnya."))
        was_active = agency.active if agency.pk else None
        created = agency.pk is None
        changed = _changed(agency, AGENCY_FIELDS, data)
        for name in AGENCY_FIELDS:
            if name in data:
                setattr(agency, name, data[name])
        agency.full_clean()
        if not created and not changed:
            return agency
        agency.save()
        if created:
            action = "agency.create"
        elif was_active and not agency.active:
            action = "agency.deactivate"
        elif was_active is False and agency.active:
            action = "agency.reactivate"
        else:
            action = "agency.update"
        record(user, action, agency, region_code=agency.region_id,
               detail={"code": agency.code, **({} if created else {"fields": changed})})
    return agency


SERVICE_FIELDS = ("code", "name", "sector", "sla_days", "active")


def save_service(user, agency: Agency, data: dict, service: AgencyService | None = None) -> AgencyService:
    if not may_manage_agency(user, agency):
        raise PermissionDenied(_("Peran Anda tidak boleh mengelola lembaga ini."))
    with transaction.atomic():
        if service is not None and service.agency_id != agency.pk:
            raise ValidationError(_("Layanan ini milik lembaga lain."))
        service = (AgencyService.objects.select_for_update().get(pk=service.pk) if service is not None
                   else AgencyService(agency=agency))
        created = service.pk is None
        changed = _changed(service, SERVICE_FIELDS, data)
        was_active = service.active
        for name in SERVICE_FIELDS:
            if name in data:
                setattr(service, name, data[name])
        service.full_clean()
        if not created and not changed:
            return service
        service.save()
        if created:
            action = "agency_service.create"
        elif was_active and not service.active:
            action = "agency_service.deactivate"
        else:
            action = "agency_service.update"
        detail = {"agency": agency.code, "code": service.code}
        if not created:
            detail["fields"] = changed
        record(user, action, service, region_code=agency.region_id, detail=detail)
    return service
