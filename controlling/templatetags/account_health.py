"""The health score panel on the account overview: accounts must not import controlling, so
its template loads this tag library instead."""

from django import template
from django.utils import timezone

from accounts.models import KeyAccount
from controlling.selectors.health import account_health, role_labels
from kam.fiscal import fiscal_year_for

register = template.Library()


@register.inclusion_tag("controlling/health_panel.html")
def account_health_panel(account: KeyAccount) -> dict:
    """The account's health in the current fiscal year, with every component explained."""
    fiscal_year = fiscal_year_for(timezone.localdate())
    health = account_health(account_ids=[account.pk], fiscal_year=fiscal_year)[account.pk]
    return {
        "account": account,
        "fiscal_year": fiscal_year,
        "health": health,
        "roles_covered": role_labels(health.roles_covered),
        "roles_missing": role_labels(health.roles_missing),
    }
