from html import escape

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kam.access import can_manage_users
from kam.numbers import grouped

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


@register.filter
def days_since(moment) -> int | None:
    """Calendar days from a moment to today (local time): the same all day long."""
    if moment is None:
        return None
    return (timezone.localdate() - timezone.localdate(moment)).days


@register.filter
def chart_rows(table) -> str:
    """The rows of a kam.charts.ChartTable as HTML: the first cell a row header linking to the
    row's source, numbers right-aligned and formatted by locale, "–" for no value. Built here
    as plain strings rather than cell by cell in the template: a portfolio chart's table has
    800 cells."""

    def cell_html(index: int, cell) -> str:
        numeric = cell.column.numeric
        if cell.value is None or cell.value == "":
            text = "–"
        elif numeric:
            text = grouped(cell.value, cell.column.decimals)
        else:
            text = escape(str(cell.value))
        if cell.url:
            text = f'<a href="{escape(cell.url)}">{text}</a>'
        if index == 0:
            align = " text-end" if numeric else ""
            return f'<th scope="row" class="fw-normal{align}">{text}</th>'
        if numeric:
            return f'<td class="text-end text-nowrap">{text}</td>'
        return f"<td>{text}</td>"

    return mark_safe(
        "\n".join(
            "<tr>" + "".join(cell_html(i, c) for i, c in enumerate(row)) + "</tr>"
            for row in table.body
        )
    )


@register.filter
def number(value, decimals: int = 0) -> str:
    """`floatformat:"<decimals>g"` at a fraction of its cost (kam.numbers.grouped)."""
    return grouped(value, decimals)


@register.filter(name="can_manage_users")
def can_manage_users_filter(user) -> bool:
    return can_manage_users(user)
