from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, toggling direction, keeping the other filters."""
    request = context["request"]
    query = request.GET.copy()
    current = query.get("ordering", "")
    descending = current == field
    query["ordering"] = f"-{field}" if descending else field
    query.pop("page", None)
    arrow = ""
    if current == field:
        arrow = " ▲"
    elif current == f"-{field}":
        arrow = " ▼"
    sort_state = {"": "none", " ▲": "ascending", " ▼": "descending"}[arrow]
    return format_html(
        '<a href="?{}" aria-sort="{}" title="{}">{}{}</a>',
        query.urlencode(),
        sort_state,
        _("Sort by %s") % label,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
