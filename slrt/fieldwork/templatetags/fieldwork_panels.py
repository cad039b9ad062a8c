"""Field work shown on the pages of the apps below it, which cannot import fieldwork.

The registry proposal page (updates) only has `proposal` in context; it loads this library to
list the visits that verify it, read through the fieldwork selectors (scope included).
"""

from django import template

from slrt.fieldwork import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def proposal_visits(context, proposal):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return selectors.visits_of_proposal(user, proposal)
