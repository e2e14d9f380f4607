"""The leadership dashboard's charts: Chart.js configs with their tables (see kam/charts.py)."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.charts import bubble, matrix_config, portfolio_table, sized_positions
from accounts.models import PortfolioQuadrant
from controlling.models import GoalStatus
from controlling.selectors.attainment import Attainment, Bands
from controlling.selectors.dashboard import CumulativeSeries, FunnelStep
from controlling.selectors.portfolio import Portfolio
from kam.charts import ChartTable, Column, Row, plan_actual_lines

# Attainment bands, best first; the same colours as the status badges.
BAND_COLOURS = {
    GoalStatus.ON_TRACK: "25, 135, 84",
    GoalStatus.AT_RISK: "255, 193, 7",
    GoalStatus.OFF_TRACK: "220, 53, 69",
    GoalStatus.NO_DATA: "108, 117, 125",
}


def band_labels(bands: Bands) -> dict[str, str]:
    def percent(value: Decimal) -> str:
        value = value.quantize(Decimal("0.1"))
        if value == value.to_integral_value():
            value = value.to_integral_value()
        return number_format(value, use_l10n=True)

    return {
        GoalStatus.ON_TRACK: _("On track (from %(from)s %%)")
        % {"from": percent(bands.on_track_from)},
        GoalStatus.AT_RISK: _("At risk (%(from)s to %(to)s %%)")
        % {"from": percent(bands.at_risk_from), "to": percent(bands.on_track_from)},
        GoalStatus.OFF_TRACK: _("Off track (below %(to)s %%)")
        % {"to": percent(bands.at_risk_from)},
        GoalStatus.NO_DATA: _("No attainment yet"),
    }


def portfolio_chart(
    matrix: Portfolio,
    *,
    attainment: dict[int, Attainment],
    bands: Bands,
    size_label: str,
) -> tuple[dict, ChartTable]:
    """The portfolio matrix (accounts.selectors.portfolio_matrix) with bubbles sized by revenue
    and coloured by goal attainment band, one dataset (legend entry) per band; the quadrants
    are shaded alike and named, since colour already says attainment."""
    positions, radii = sized_positions(matrix)
    labels = band_labels(bands)

    def percent_of(position) -> Decimal | None:
        return attainment.get(position.account.pk, Attainment()).percent

    datasets = []
    for status, colour in BAND_COLOURS.items():
        datasets.append(
            {
                "label": labels[status],
                "data": [
                    bubble(p, radii[p.account.pk])
                    for p in positions
                    if bands.status(percent_of(p)) == status
                ],
                "backgroundColor": f"rgba({colour}, 0.6)",
                "borderColor": f"rgb({colour})",
                "borderWidth": 1,
            }
        )
    diagonal = (PortfolioQuadrant.STRATEGIC, PortfolioQuadrant.STREAMLINE)
    config = matrix_config(
        datasets,
        size_label=size_label,
        quadrant_colour=lambda q: f"rgba(108, 117, 125, {0.05 if q in diagonal else 0.1})",
    )
    table = portfolio_table(
        matrix.positions,
        size_label,
        [Column(_("Goal attainment (%)"), decimals=1), Column(_("Attainment band"))],
        lambda p: [percent_of(p), labels[bands.status(percent_of(p))]],
    )
    return config, table


def funnel_chart(steps: list[FunnelStep]) -> tuple[dict, ChartTable]:
    """Accounts per stage of the selling path as horizontal bars, each linking to the selling
    pipeline filtered to that stage."""
    urls = [f"{reverse('goals:pipeline')}?{urlencode({'stage': step.stage})}" for step in steps]
    config = {
        "type": "bar",
        "data": {
            "labels": [step.label for step in steps],
            "datasets": [
                {
                    "label": _("Accounts at this stage"),
                    "data": [step.accounts for step in steps],
                    "backgroundColor": "rgba(13, 110, 253, 0.6)",
                    "borderColor": "rgb(13, 110, 253)",
                    "borderWidth": 1,
                },
                {
                    "label": _("Reached at least this stage"),
                    "data": [step.reached for step in steps],
                    "backgroundColor": "rgba(108, 117, 125, 0.3)",
                    "borderColor": "rgb(108, 117, 125)",
                    "borderWidth": 1,
                },
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
            "plugins": {"legend": {"position": "bottom"}},
        },
        "kam": {"number": {"maximumFractionDigits": 0}, "urls": urls},
    }
    table = ChartTable(
        [
            Column(_("Stage on the path")),
            Column(_("Accounts at this stage"), decimals=0),
            Column(_("Reached at least this stage"), decimals=0),
        ],
        [
            Row([step.label, step.accounts, step.reached], url=url)
            for step, url in zip(steps, urls, strict=True)
        ],
    )
    return config, table


def cumulative_chart(series: CumulativeSeries) -> tuple[dict, ChartTable]:
    """Plan against actual of one KPI, cumulative over the fiscal year, for the filtered set."""
    labels = series.month_labels
    plan = series.plan_cumulative
    actual = series.actual_cumulative
    config = plan_actual_lines(
        labels,
        plan,
        actual,
        plan_label=_("Plan, cumulative"),
        actual_label=_("Actual, cumulative"),
        begin_at_zero=True,
        decimals=0,
    )
    table = ChartTable(
        [
            Column(_("Month")),
            Column(_("Plan"), decimals=0),
            Column(_("Actual"), decimals=0),
            Column(_("Plan, cumulative"), decimals=0),
            Column(_("Actual, cumulative"), decimals=0),
        ],
        [
            Row([label, p, a, pc, ac])
            for label, p, a, pc, ac in zip(
                labels, series.plan, series.actual, plan, actual, strict=True
            )
        ],
    )
    return config, table
