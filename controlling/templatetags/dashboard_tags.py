"""The heatmap's cells, rendered in Python as plain strings: a page of the leadership
dashboard has 240 of them, and a template included per cell (or format_html per part) cost
more than the rest of the table."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from controlling.models import GoalStatus
from kam.numbers import grouped

register = template.Library()

BAND_CLASSES = {GoalStatus.OFF_TRACK: " table-danger", GoalStatus.AT_RISK: " table-warning"}


@register.simple_tag
def heatcell(cell, url: str = "") -> str:
    """One heatmap cell (dashboards.HeatCell): coloured by band, always with the number and
    the status in words; "n/a" for goals not measured yet, "·" for no goal. Links to `url`."""
    attainment, band = cell.attainment, cell.band
    url = escape(url)
    title = ""
    if attainment.goals:
        title = ngettext(
            "%(measured)s of %(counter)s goal measured",
            "%(measured)s of %(counter)s goals measured",
            attainment.goals,
        ) % {"measured": attainment.measured, "counter": attainment.goals}
        title = f' title="{escape(title)}"'
    if attainment.percent is not None:
        colour = BAND_CLASSES.get(band, " table-success")
        text = (
            f"{grouped(attainment.percent)} %"
            f'<span class="visually-hidden"> ({escape(str(GoalStatus(band).label))})</span>'
        )
        if url:
            text = f'<a href="{url}" class="text-reset">{text}</a>'
    elif attainment.goals:
        colour = ""
        text = escape(pgettext("no data yet", "n/a"))
        if url:
            text = f'<a href="{url}" class="text-muted small">{text}</a>'
    else:
        colour = ""
        text = f'<span class="text-muted" aria-label="{escape(_("no goal"))}">·</span>'
    return mark_safe(
        f'<td class="text-end text-nowrap{colour}" data-band="{escape(band)}"{title}>{text}</td>'
    )
