"""The roles of SPEC, where each may sit, and what each may do.

Capabilities are data here so that a view asks `can(user, "import_registry")` instead of
naming roles; adding a role means editing this file only.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.models import Level


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    DINSOS = "dinsos", _("Dinsos provinsi/pusat")
    MANAJER = "manajer", _("Manajer SLRT")
    SUPERVISOR = "supervisor", _("Supervisor")
    FASILITATOR = "fasilitator", _("Fasilitator")
    FRONT_OFFICE = "front_office", _("Front office")
    BACK_OFFICE = "back_office", _("Back office")
    KOORDINATOR_PUSKESOS = "koordinator_puskesos", _("Koordinator Puskesos")
    MITRA = "mitra", _("Mitra (lembaga rujukan)")


# Levels at which an account of each role may be scoped.
ALLOWED_LEVELS: dict[str, set[int]] = {
    Role.ADMIN: {Level.NATION, Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN, Level.DESA},
    Role.DINSOS: {Level.NATION, Level.PROVINSI},
    Role.MANAJER: {Level.KABUPATEN},
    Role.SUPERVISOR: {Level.KECAMATAN},
    Role.FASILITATOR: {Level.DESA},
    Role.FRONT_OFFICE: {Level.KABUPATEN, Level.DESA},
    Role.BACK_OFFICE: {Level.KABUPATEN, Level.DESA},
    Role.KOORDINATOR_PUSKESOS: {Level.DESA},
    Role.MITRA: {Level.PROVINSI, Level.KABUPATEN},
}

STAFF_ROLES = {r for r in Role if r != Role.MITRA}

CAPABILITIES: dict[str, set[str]] = {
    # Reading the welfare registry (people, households) inside one's scope.
    "view_registry": STAFF_ROLES,
    # The region directory is reference data for staff; a Mitra works only from its inbox.
    "view_regions": STAFF_ROLES,
    # The full 16-digit NIK; everyone else sees it masked (UU PDP: minimum data).
    "see_full_nik": {
        Role.ADMIN, Role.MANAJER, Role.SUPERVISOR, Role.FASILITATOR, Role.FRONT_OFFICE,
        Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS,
    },
    "import_registry": {Role.ADMIN, Role.MANAJER},
    # Watching imports: also Dinas Sosial, which follows the registry of its province.
    "view_imports": {Role.ADMIN, Role.DINSOS, Role.MANAJER},
    # Letterheads and signatories of the secretariat and its Puskesos posts (desk settings).
    "manage_letterhead": {Role.ADMIN, Role.MANAJER},
    "review_duplicates": {Role.ADMIN, Role.MANAJER, Role.BACK_OFFICE},
    # Accounts: an Admin everywhere in its scope, a Manajer the desk staff and Mitra of its
    # kab/kota only (who exactly: accounts.selectors.MANAGEABLE_BY).
    "manage_users": {Role.ADMIN, Role.MANAJER},
    # Service desk (issue 3). Who may move a referral between states is in referrals.workflow.
    "view_cases": STAFF_ROLES,
    "view_referrals": STAFF_ROLES | {Role.MITRA},
    "intake_case": {
        Role.ADMIN, Role.MANAJER, Role.FRONT_OFFICE, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS,
        Role.FASILITATOR,
    },
    "assess_case": {Role.ADMIN, Role.MANAJER, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS},
    "draft_recommendation": {Role.MANAJER, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS},
    "approve_recommendation": {Role.MANAJER, Role.KOORDINATOR_PUSKESOS},
    "manage_referrals": {Role.MANAJER, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS},
    "respond_referral": {Role.MITRA},
    "close_case": {Role.MANAJER, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS},
    "edit_rules": {Role.ADMIN, Role.MANAJER},
    "run_targeting": {Role.ADMIN, Role.DINSOS, Role.MANAJER, Role.BACK_OFFICE},
    # Agencies: an Admin those of its scope, a Manajer those of its kab/kota
    # (programs.services.catalogue.may_manage_agency).
    "manage_agencies": {Role.ADMIN, Role.MANAJER},
    # The notification outbox page (queue health, retry of failed messages).
    "view_outbox": {Role.ADMIN, Role.MANAJER},
    # Field work and registry proposals (issue 4). Who moves a proposal is in updates.workflow.
    # ODK Collect forms and the sync API; which forms each role gets is in fieldwork.forms.
    "use_field_forms": {Role.FASILITATOR, Role.SUPERVISOR, Role.KOORDINATOR_PUSKESOS},
    "assign_visits": {Role.MANAJER, Role.SUPERVISOR},
    "review_submissions": {Role.MANAJER, Role.SUPERVISOR},
    "draft_proposal": {
        Role.ADMIN, Role.MANAJER, Role.SUPERVISOR, Role.FASILITATOR, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS,
    },
    "check_proposal": {Role.SUPERVISOR, Role.MANAJER},
    "record_meeting": {Role.SUPERVISOR, Role.FASILITATOR, Role.KOORDINATOR_PUSKESOS},
    # Dinas Sosial of the kabupaten/kota (the SLRT secretariat's Manajer) approves and sends.
    "approve_proposal": {Role.ADMIN, Role.MANAJER},
    "export_proposals": {Role.ADMIN, Role.MANAJER},
    # The resident's own data (UU PDP art. 32, issue 11): the desk receives a request, verifies
    # identity and hands over the copy or makes the correction; Dinas Sosial and Admin oversee.
    "serve_data_requests": {Role.MANAJER, Role.FRONT_OFFICE, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS},
    "view_data_requests": {
        Role.ADMIN, Role.DINSOS, Role.MANAJER, Role.FRONT_OFFICE, Role.BACK_OFFICE, Role.KOORDINATOR_PUSKESOS,
    },
    # Running the office (issue 13): dashboards of one's own scope (a Manajer the kab/kota, a
    # Koordinator the desa, Dinas Sosial the province or nation), the monthly report, the audit log.
    "view_dashboard": {Role.ADMIN, Role.DINSOS, Role.MANAJER, Role.SUPERVISOR, Role.KOORDINATOR_PUSKESOS},
    "view_monthly_report": {Role.ADMIN, Role.DINSOS, Role.MANAJER, Role.KOORDINATOR_PUSKESOS},
    "view_audit_log": {Role.ADMIN},
}


def can(user, capability: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in CAPABILITIES[capability])
