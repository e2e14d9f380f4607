"""What a chart page hands to `templates/includes/chart.html`: a Chart.js config and its table.

The config is plain JSON (`json_script`); `static/js/charts.js` adds what JSON cannot carry
(locale number formats, reduced motion, quadrant labels, links from points). The table is
the accessible fallback and the same figures in text, so every chart has one.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Column:
    label: str
    # Decimal places for a number column (right-aligned, grouped by locale); None for text.
    decimals: int | None = None

    @property
    def numeric(self) -> bool:
        return self.decimals is not None

    @property
    def floatformat(self) -> str:
        # The "g" suffix groups thousands in the active locale: 1.234,56 in German.
        return f"{self.decimals}g"


@dataclass(frozen=True)
class Row:
    cells: Sequence[Any]
    # Where the row's figures come from; the first cell links there.
    url: str = ""


@dataclass(frozen=True)
class Cell:
    value: Any
    column: Column
    url: str = ""


@dataclass(frozen=True)
class ChartTable:
    columns: Sequence[Column]
    rows: Sequence[Row] = field(default_factory=list)

    @property
    def body(self) -> list[list[Cell]]:
        """Each row's cells paired with their column, as the template cannot zip."""
        return [
            [
                Cell(value, column, row.url if i == 0 else "")
                for i, (value, column) in enumerate(zip(row.cells, self.columns, strict=True))
            ]
            for row in self.rows
        ]


def bubble_radii(
    sizes: Iterable[Decimal | float | None], *, smallest: float = 6, largest: float = 30
) -> list:
    """Radii in pixels whose areas follow the sizes; all equal (the middle) when sizes are."""
    values = [max(float(s or 0), 0.0) for s in sizes]
    top = max(values, default=0)
    if top <= 0 or min(values) == top:
        return [round((smallest + largest) / 2, 1)] * len(values)
    return [round(smallest + (largest - smallest) * (s / top) ** 0.5, 1) for s in values]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def plan_actual_lines(
    labels: list[str],
    plan: Sequence[Decimal | None],
    actual: Sequence[Decimal | None],
    *,
    plan_label: str,
    actual_label: str,
    begin_at_zero: bool,
    decimals: int,
) -> dict:
    """A line chart of plan against actual over the months of `labels`: the plan grey and
    dashed, drawn across months without a figure; the actual blue, ending where it ends."""
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": str(plan_label),
                    "data": [_number(v) for v in plan],
                    "borderColor": "rgb(108, 117, 125)",
                    "backgroundColor": "rgba(108, 117, 125, 0.2)",
                    "borderDash": [6, 4],
                    "spanGaps": True,
                },
                {
                    "label": str(actual_label),
                    "data": [_number(v) for v in actual],
                    "borderColor": "rgb(13, 110, 253)",
                    "backgroundColor": "rgba(13, 110, 253, 0.2)",
                    "spanGaps": False,
                },
            ],
        },
        "options": {
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {"y": {"beginAtZero": begin_at_zero}},
        },
        "kam": {"number": {"maximumFractionDigits": decimals}},
    }
