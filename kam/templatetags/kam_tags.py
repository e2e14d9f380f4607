from decimal import Decimal
from html import escape

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kam.access import can_manage_users
from kam.numbers import format_decimal, grouped

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


@register.filter
def decimal_input(value, places: int = 2) -> str:
    """A form field's value for an input written by hand: a number as format_decimal writes
    it, posted text as typed, "" for none."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return format_decimal(value, places)
    return str(value)


@register.filter
def amount(value, currency: str = "") -> str:
    """An amount in the active language with its currency: 2.400.000,00 EUR (German),
    2,400,000.00 EUR (English); "–" for no value."""
    text = format_decimal(value, 2)
    if not text:
        return "–"
    return f"{text}\u00a0{currency}" if currency else text


@register.filter
def percent(value, decimals: int = 2) -> str:
    """A percentage in the active language, up to `decimals` places without trailing zeros:
    13,2 % (German and other languages: a non-breaking space before %), 13.2% (English); "–"
    for no value."""
    text = format_decimal(value, decimals)
    if not text:
        return "–"
    decimal_mark = format_decimal(0, 1)[1]
    if decimal_mark in text:
        text = text.rstrip("0").rstrip(decimal_mark)
    return text + ("%" if (get_language() or "en").startswith("en") else "\u00a0%")


@register.filter
def measured(value, unit: str = "") -> str:
    """A KPI value in its unit (KPIDefinition.unit): percent KPIs as `percent`, the others
    grouped with two decimals; "–" for no value."""
    if unit == "percent":
        return percent(value)
    return grouped(value, 2) if value is not None else "–"


@register.filter(name="can_manage_users")
def can_manage_users_filter(user) -> bool:
    return can_manage_users(user)
