"""The heatmap's cells, rendered in Python: a page of the leadership dashboard has 240 of
them, and a template included per cell cost more than the rest of the table."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from controlling.models import GoalStatus

register = template.Library()

BAND_CLASSES = {GoalStatus.OFF_TRACK: " table-danger", GoalStatus.AT_RISK: " table-warning"}


@register.simple_tag
def heatcell(cell, url: str = "") -> str:
    """One heatmap cell (dashboards.HeatCell): coloured by band, always with the number and
    the status in words; "n/a" for goals not measured yet, "·" for no goal. Links to `url`."""
    attainment, band = cell.attainment, cell.band
    title = ""
    if attainment.goals:
        title = ngettext(
            "%(measured)s of %(counter)s goal measured",
            "%(measured)s of %(counter)s goals measured",
            attainment.goals,
        ) % {"measured": attainment.measured, "counter": attainment.goals}
    if attainment.percent is not None:
        colour = BAND_CLASSES.get(band, " table-success")
        text = format_html(
            '{} %<span class="visually-hidden"> ({})</span>',
            floatformat(attainment.percent, "0g"),
            GoalStatus(band).label,
        )
        if url:
            text = format_html('<a href="{}" class="text-reset">{}</a>', url, text)
    elif attainment.goals:
        colour = ""
        text = pgettext("no data yet", "n/a")
        if url:
            text = format_html('<a href="{}" class="text-muted small">{}</a>', url, text)
    else:
        colour = ""
        text = format_html('<span class="text-muted" aria-label="{}">·</span>', _("no goal"))
    if title:
        return format_html(
            '<td class="text-end text-nowrap{}" data-band="{}" title="{}">{}</td>',
            colour,
            band,
            title,
            text,
        )
    return format_html(
        '<td class="text-end text-nowrap{}" data-band="{}">{}</td>', colour, band, text
    )
