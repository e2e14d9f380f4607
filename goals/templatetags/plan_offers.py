"""What the plan list offers besides an empty plan: templates, copies, a comparison."""

from django import template

from accounts.models import KeyAccount

from ..models import GoalTemplateSet

register = template.Library()


@register.simple_tag
def plan_offers(account: KeyAccount, plans) -> dict:
    """Whether a template set exists for the account's tier (one query) and the fiscal years
    that already have a plan, so "Copy to next year" is offered only where the year is free."""
    return {
        "templates": GoalTemplateSet.objects.filter(tier=account.tier, active=True).exists(),
        "years": {plan.fiscal_year for plan in plans},
    }
