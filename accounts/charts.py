"""The portfolio matrix as a Chart.js bubble chart and its table (see kam/charts.py)."""

from django.utils.translation import gettext as _

from kam.charts import ChartTable, Column, Row, bubble_radii

from .models import PORTFOLIO_MIDPOINT, PortfolioQuadrant
from .selectors import PortfolioMatrix

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


def portfolio_chart(matrix: PortfolioMatrix) -> tuple[dict, ChartTable]:
    """Bubbles per quadrant (one legend entry each); larger bubbles first, so small stay on top."""
    positions = sorted(matrix.positions, key=lambda p: (-float(p.size), p.account.name))
    radii = {
        p.account.pk: r
        for p, r in zip(positions, bubble_radii(p.size for p in positions), strict=True)
    }
    datasets = []
    for quadrant in PortfolioQuadrant:
        colour = QUADRANT_COLOURS[quadrant]
        points = [
            {
                "x": p.account.relative_strength,
                "y": p.account.attractiveness,
                "r": radii[p.account.pk],
                "size": float(p.size),
                "label": p.account.name,
                "url": p.account.get_absolute_url(),
            }
            for p in positions
            if p.quadrant == quadrant
        ]
        datasets.append(
            {
                "label": str(quadrant.label),
                "data": points,
                "backgroundColor": f"rgba({colour}, 0.55)",
                "borderColor": f"rgb({colour})",
                "borderWidth": 1,
            }
        )
    axis = {"min": 0, "max": 100, "ticks": {"stepSize": 10}}
    config = {
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
            "size": {"label": matrix.size_label, "number": {"maximumFractionDigits": 0}},
            "quadrants": [
                {
                    "label": str(quadrant.label),
                    "x": list(QUADRANT_AREAS[quadrant][0]),
                    "y": list(QUADRANT_AREAS[quadrant][1]),
                    "color": f"rgba({QUADRANT_COLOURS[quadrant]}, 0.06)",
                }
                for quadrant in PortfolioQuadrant
            ],
        },
    }
    columns = [
        Column(_("Key account")),
        Column(_("Quadrant")),
        Column(_("Key account manager")),
        Column(_("Account attractiveness"), decimals=0),
        Column(_("Relative strength"), decimals=0),
    ]
    if matrix.size_label:
        columns.append(Column(matrix.size_label, decimals=0))
    rows = []
    order = list(PortfolioQuadrant)
    for p in sorted(matrix.positions, key=lambda p: (order.index(p.quadrant), p.account.name)):
        cells = [
            p.account.name,
            p.quadrant.label,
            str(p.account.owner),
            p.account.attractiveness,
            p.account.relative_strength,
        ]
        if matrix.size_label:
            cells.append(p.size)
        rows.append(Row(cells, url=p.account.get_absolute_url()))
    return config, ChartTable(columns, rows)
