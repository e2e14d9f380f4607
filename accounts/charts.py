"""The portfolio matrix as a Chart.js bubble chart and its table (see kam/charts.py)."""

from collections.abc import Callable, Sequence
from typing import Protocol

from django.utils.translation import gettext as _

from kam.charts import ChartTable, Column, Row, bubble_radii

from .models import PORTFOLIO_MIDPOINT, PortfolioQuadrant
from .selectors import PortfolioMatrix, PortfolioPosition

QUADRANT_COLOURS = {
    PortfolioQuadrant.STRATEGIC: "25, 135, 84",
    PortfolioQuadrant.DEVELOPMENT: "13, 110, 253",
    PortfolioQuadrant.STATUS: "253, 126, 20",
    PortfolioQuadrant.STREAMLINE: "108, 117, 125",
}

# Where each quadrant lies: (strength from, to), (attractiveness from, to).
QUADRANT_AREAS = {
    PortfolioQuadrant.STRATEGIC: ((PORTFOLIO_MIDPOINT, 100), (PORTFOLIO_MIDPOINT, 100)),
    PortfolioQuadrant.DEVELOPMENT: ((0, PORTFOLIO_MIDPOINT), (PORTFOLIO_MIDPOINT, 100)),
    PortfolioQuadrant.STATUS: ((PORTFOLIO_MIDPOINT, 100), (0, PORTFOLIO_MIDPOINT)),
    PortfolioQuadrant.STREAMLINE: ((0, PORTFOLIO_MIDPOINT), (0, PORTFOLIO_MIDPOINT)),
}


class Positioned(Protocol):
    """A portfolio matrix as far as its bubbles go: this app's, or the dashboard's."""

    @property
    def positions(self) -> list[PortfolioPosition]: ...


def sized_positions(matrix: Positioned) -> tuple[list, dict[int, float]]:
    """The matrix's positions, larger bubbles first so small ones stay on top, and each
    account's bubble radius."""
    positions = sorted(matrix.positions, key=lambda p: (-float(p.size), p.account.name))
    radii = {
        p.account.pk: r
        for p, r in zip(positions, bubble_radii(p.size for p in positions), strict=True)
    }
    return positions, radii


def bubble(position, radius: float, number: int | None = None) -> dict:
    """One account's bubble; with `number`, charts.js writes it on the bubble, and the page's
    numbered legend (`legend_numbers`) names the account."""
    account = position.account
    point = {
        "x": account.relative_strength,
        "y": account.attractiveness,
        "r": radius,
        "size": float(position.size),
        "label": account.name,
        "url": account.get_absolute_url(),
    }
    if number is not None:
        point["number"] = number
    return point


def legend_numbers(positions: list[PortfolioPosition]) -> list[tuple[int, PortfolioPosition]]:
    """(number, position) for the matrix's numbered legend: by account name, from 1."""
    ordered = sorted(positions, key=lambda p: (p.account.name, p.account.pk))
    return [(number, p) for number, p in enumerate(ordered, start=1)]


def matrix_config(datasets: list[dict], *, size_label, quadrant_colour) -> dict:
    """The bubble chart of attractiveness by relative strength with the four quadrants
    shaded (`quadrant_colour(quadrant)` -> rgba) and named; charts.js draws the quadrants."""
    axis = {"min": 0, "max": 100, "ticks": {"stepSize": 10}}
    return {
        "type": "bubble",
        "data": {"datasets": datasets},
        "options": {
            "scales": {
                "x": {**axis, "title": {"display": True, "text": _("Relative strength")}},
                "y": {**axis, "title": {"display": True, "text": _("Account attractiveness")}},
            },
            "plugins": {"legend": {"position": "bottom"}},
        },
        "kam": {
            "number": {"maximumFractionDigits": 0},
            "size": {"label": size_label, "number": {"maximumFractionDigits": 0}},
            "quadrants": [
                {
                    "label": str(quadrant.label),
                    "x": list(QUADRANT_AREAS[quadrant][0]),
                    "y": list(QUADRANT_AREAS[quadrant][1]),
                    "color": quadrant_colour(quadrant),
                }
                for quadrant in PortfolioQuadrant
            ],
        },
    }


def portfolio_chart(matrix: PortfolioMatrix) -> tuple[dict, ChartTable]:
    """Bubbles per quadrant (one legend entry each)."""
    positions, radii = sized_positions(matrix)
    numbers = {p.account.pk: n for n, p in legend_numbers(matrix.positions)}
    datasets = []
    for quadrant in PortfolioQuadrant:
        colour = QUADRANT_COLOURS[quadrant]
        datasets.append(
            {
                "label": str(quadrant.label),
                "data": [
                    bubble(p, radii[p.account.pk], numbers[p.account.pk])
                    for p in positions
                    if p.quadrant == quadrant
                ],
                "backgroundColor": f"rgba({colour}, 0.55)",
                "borderColor": f"rgb({colour})",
                "borderWidth": 1,
            }
        )
    config = matrix_config(
        datasets,
        size_label=matrix.size_label,
        quadrant_colour=lambda q: f"rgba({QUADRANT_COLOURS[q]}, 0.06)",
    )
    return config, portfolio_table(matrix.positions, matrix.size_label)


def portfolio_table(
    positions: Sequence[PortfolioPosition],
    size_label: str,
    extra_columns: Sequence[Column] = (),
    extra_cells: Callable[[PortfolioPosition], list] = lambda position: [],
) -> ChartTable:
    """The matrix as a table (for screen readers and without JavaScript): one row per account
    by quadrant and name, its scores and size, then the caller's own columns."""
    columns = [
        Column(_("Key account")),
        Column(_("Quadrant")),
        Column(_("Key account manager")),
        Column(_("Account attractiveness"), decimals=0),
        Column(_("Relative strength"), decimals=0),
    ]
    if size_label:
        columns.append(Column(size_label, decimals=0))
    order = list(PortfolioQuadrant)
    rows = [
        Row(
            [
                p.account.name,
                p.quadrant.label,
                str(p.account.owner),
                p.account.attractiveness,
                p.account.relative_strength,
                *([p.size] if size_label else []),
                *extra_cells(p),
            ],
            url=p.account.get_absolute_url(),
        )
        for p in sorted(positions, key=lambda p: (order.index(p.quadrant), p.account.name))
    ]
    return ChartTable([*columns, *extra_columns], rows)
