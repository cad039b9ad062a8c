"""`{% program_benefit program as b %}`: the programme page's benefit amount and its versions (the
page's view is the rules'; the benefit block reads its own reference data here)."""

from django import template

from ..selectors import benefits as selectors

register = template.Library()


@register.simple_tag
def program_benefit(program) -> dict:
    history = selectors.benefit_history(program)
    for b in history:
        b.text = selectors.describe(b)
    current = next((b for b in history if b.is_current), None)
    return {"current": current, "text": selectors.describe(current), "history": history}
