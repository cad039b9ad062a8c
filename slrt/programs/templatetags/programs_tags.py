"""`{% household_assessment case %}`: the matching block of the case page, read for the viewer."""

from django import template
from django.http import Http404

from slrt.accounts.roles import can

from ..selectors.assessment import assess_household

register = template.Library()


@register.inclusion_tag("programs/_assessment_body.html", takes_context=True)
def household_assessment(context, household_id, compact=False):
    request = context.get("request")
    user = getattr(request, "user", None)
    result = None
    if household_id and user is not None and can(user, "assess_case"):
        try:
            result = assess_household(user, household_id)
        except Http404:
            result = None
    return {
        "assessment": result,
        "household_id": household_id,
        "compact": compact,
        "user": user,
        "may_assess": user is not None and can(user, "assess_case"),
    }
