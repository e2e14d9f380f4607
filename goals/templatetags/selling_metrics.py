"""The dimension metrics panel on pages of other apps (the account overview): accounts must
not import goals, so its template loads this tag library instead."""

from django import template

from accounts.models import KeyAccount

from ..selectors.selling import dimension_metrics

register = template.Library()


@register.inclusion_tag("goals/_dimension_metrics.html")
def dimension_metrics_panel(account: KeyAccount) -> dict:
    return {
        "account": account,
        "metrics": dimension_metrics(account_ids=[account.pk])[account.pk],
        "matrix_link": True,
    }
