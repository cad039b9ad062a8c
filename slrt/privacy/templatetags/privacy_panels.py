"""The data-request panel of the registry's person page, which only has `person` in context (the
registry sits below privacy, so its view never queries requests; this tag does, scoped)."""

from django import template

from slrt.accounts.roles import can
from slrt.privacy import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def person_requests(context, person) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if person is None or not can(user, "view_data_requests"):
        return {}
    rows = [(r, selectors.is_overdue(r)) for r in selectors.requests_for(user, person=person)]
    return {"rows": rows, "may_receive": can(user, "serve_data_requests")}
