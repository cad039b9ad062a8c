"""Data for the decision and referral panels of the case page, which only has `case` in context.

Each tag asks the selectors (scope included) and returns plain rows with what the current user
may do, so the templates hold no rule.
"""

from django import template

from slrt.accounts.roles import can
from slrt.cases import decisions
from slrt.cases.models import RecommendationStatus
from slrt.referrals import selectors
from slrt.referrals.workflow import TRANSITIONS

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def decision_panel(context, case) -> dict:
    user = _user(context)
    if case is None or not can(user, "view_cases"):
        return {}
    recs = decisions.case_recommendations(user, case)
    may_approve = can(user, "approve_recommendation")
    rows = [
        {
            "rec": r,
            # Four eyes: the drafter sees no decision buttons on their own draft.
            "may_decide": may_approve and r.status == RecommendationStatus.DRAFT and r.drafted_by_id != user.pk,
            "own_draft": r.drafted_by_id == user.pk,
        }
        for r in recs
    ]
    for row in rows:
        # The decider sees what the matching says before approving a programme (override path).
        row["eligibility"] = decisions.recommendation_eligibility(row["rec"]) if row["may_decide"] else None
    panel = {
        "rows": rows,
        "letters": decisions.case_letters(user, case),
        "may_draft": can(user, "draft_recommendation"),
    }
    if panel["may_draft"]:
        panel.update(decisions.decision_options(user, case))
    return panel


@register.simple_tag(takes_context=True)
def referral_panel(context, case) -> dict:
    user = _user(context)
    if case is None or not can(user, "view_cases"):
        return {}
    rows = []
    for r in selectors.referrals_for(user, case=case).order_by("created_at"):
        rows.append(
            {
                "referral": r,
                "overdue": selectors.is_overdue(r),
                "actions": [(a, TRANSITIONS[a]) for a in selectors.actions_for(user, r)],
                "awaits_decision": selectors.awaits_decision(user, r),
                "own_direct_draft": selectors.own_direct_draft(user, r),
                "letter": selectors.referral_letter(r),
            }
        )
    may_manage = can(user, "manage_referrals")
    panel = {"rows": rows, "may_manage": may_manage, "consent": case.consent_share_agencies}
    if may_manage:
        panel["needs"] = decisions.decision_options(user, case)["needs"]
        panel["services"] = selectors.service_choices(case)
    return panel


@register.simple_tag(takes_context=True)
def consent_panel(context, case) -> dict:
    """The consent card of the case page: what was agreed, and whether this user may record a withdrawal."""
    user = _user(context)
    if case is None or not can(user, "view_cases"):
        return {}
    return {"may_withdraw": selectors.may_withdraw_consent(user, case)}
