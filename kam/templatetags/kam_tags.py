from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html, format_html_join
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


@register.filter
def chart_rows(table) -> str:
    """The rows of a kam.charts.ChartTable as HTML: the first cell a row header linking to the
    row's source, numbers right-aligned and formatted by locale, "–" for no value. Built here
    rather than cell by cell in the template: a portfolio chart's table has 800 cells."""

    def cell_html(index: int, cell) -> str:
        if cell.value is None or cell.value == "":
            text = "–"
        elif cell.column.numeric:
            text = floatformat(cell.value, cell.column.floatformat)
        else:
            text = conditional_escape(cell.value)
        if cell.url:
            text = format_html('<a href="{}">{}</a>', cell.url, text)
        if index == 0:
            align = " text-end" if cell.column.numeric else ""
            return format_html('<th scope="row" class="fw-normal{}">{}</th>', align, text)
        if cell.column.numeric:
            return format_html('<td class="text-end text-nowrap">{}</td>', text)
        return format_html("<td>{}</td>", text)

    return format_html_join(
        "\n",
        "<tr>{}</tr>",
        (
            (format_html_join("", "{}", ((cell_html(i, c),) for i, c in enumerate(row))),)
            for row in table.body
        ),
    )
