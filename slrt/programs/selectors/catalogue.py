"""Reads of the catalogue and the agency directory (reference data: no personal data, no scope)."""

from django.db.models import Prefetch
from django.http import Http404

from ..models import Agency, AgencyService, EligibilityRule, Program


def current_rule(program) -> EligibilityRule | None:
    rules = getattr(program, "current_rules", None)
    if rules is not None:
        return rules[0] if rules else None
    return program.rules.filter(is_current=True).first()


def list_programs(*, active_only: bool = True):
    qs = Program.objects.select_related("agency").prefetch_related(
        Prefetch("rules", queryset=EligibilityRule.objects.filter(is_current=True), to_attr="current_rules")
    )
    if active_only:
        qs = qs.filter(active=True)
    return list(qs)


def get_program(code: str) -> Program:
    try:
        return Program.objects.select_related("agency").get(code=code)
    except Program.DoesNotExist:
        raise Http404


def rule_history(program):
    return list(program.rules.select_related("created_by").order_by("-version"))


def list_agencies(*, region: str | None = None, kind: str | None = None, q: str | None = None, active_only=False):
    qs = Agency.objects.select_related("region").prefetch_related(
        Prefetch("services", queryset=AgencyService.objects.order_by("name"))
    )
    if region:
        # Agencies are ordered by region, not hidden by it: the directory is public to staff.
        qs = qs.filter(region__code__startswith=region)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("region_id", "name"))


def get_agency(pk) -> Agency:
    try:
        return Agency.objects.select_related("region").prefetch_related("services").get(pk=pk)
    except (Agency.DoesNotExist, ValueError, TypeError):
        raise Http404


def agency_directory():
    """The directory as the account pages need it (accounts.hooks: a Mitra account names one)."""
    from slrt.accounts.hooks import AgencyChoice

    return [AgencyChoice(code, name, region_id, active)
            for code, name, region_id, active in Agency.objects.values_list("code", "name", "region_id", "active")]
