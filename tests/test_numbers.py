"""kam.numbers.grouped writes what floatformat:"Ng" writes, in each language."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import translation

from kam.charts import ChartTable, Column, Row
from kam.numbers import grouped

VALUES = [
    0,
    7,
    -1,
    1234567.891,
    999.995,
    -0.0,
    Decimal("-0.004"),
    Decimal("0.005"),
    Decimal("-0.005"),
    Decimal("2.5"),
    Decimal("-2.5"),
    Decimal("-1234.56"),
    Decimal("12345678901234.565"),
    "not a number",
    None,
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_it_writes_what_floatformat_writes(language, decimals):
    with translation.override(language):
        for value in VALUES:
            assert grouped(value, decimals) == floatformat(value, f"{decimals}g"), value


def test_german_groups_with_dots_and_rounds_half_up():
    with translation.override("de"):
        assert grouped(Decimal("1234567.125"), 2) == "1.234.567,13"
        assert grouped(Decimal("-0.4")) == "0"
    with translation.override("en"):
        assert grouped(Decimal("1234567.125"), 2) == "1,234,567.13"


def test_the_template_filter_and_its_escaping():
    with translation.override("de"):
        html = render_to_string(
            "includes/chart.html",
            {
                "chart_id": "c",
                "title": "t",
                "table": ChartTable(
                    [
                        Column("<b>name</b>"),
                        Column("n", decimals=1),
                    ],
                    [Row(["<script>x</script>", Decimal("1234.56")], url="/a?b=1&c=2")],
                ),
            },
        )
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert '<a href="/a?b=1&amp;c=2">' in html
    assert '<td class="text-end text-nowrap">1.234,6</td>' in html
