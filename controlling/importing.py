"""Reading an ERP export of actuals (CSV or XLSX) into rows; the database checks live in
services.actuals_import_check. Reading the file and parsing numbers and months is shared with
other imports in kam.tabular."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from kam.tabular import (
    RowError,
    TableError,
    body_rows,
    cell_text,
    header_positions,
    parse_month,
    parse_number,
    read_table,
)

# Header names, lower-cased, per column; German aliases because the ERP exports in German.
COLUMNS = {
    "customer_number": {"customer_number", "customer number", "kundennummer"},
    "kpi_code": {"kpi", "kpi_code", "kennzahl"},
    "month": {"month", "monat"},
    "value": {"value", "wert"},
}


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    customer_number: str
    kpi_code: str
    month: datetime.date
    value: Decimal


@dataclass
class ParseResult:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_actuals_file(*, name: str, content: bytes) -> ParseResult:
    """Rows of an ERP export with their 1-based row numbers (the header is row 1), and every
    row that cannot be read with the reason. A file that cannot be read at all gets one error
    without a row number."""
    result = ParseResult()
    try:
        table = read_table(name=name, content=content)
    except TableError as error:
        result.errors.append(RowError(None, str(error)))
        return result
    positions, missing = header_positions(table[0], COLUMNS)
    if missing:
        result.errors.append(
            RowError(
                None,
                _("Missing columns: %(columns)s. Expected customer_number, kpi, month, value.")
                % {"columns": ", ".join(missing)},
            )
        )
        return result
    try:
        body = body_rows(table)
    except TableError as error:
        result.errors.append(RowError(None, str(error)))
        return result

    def cell(row: list, column: str):
        index = positions[column]
        return row[index] if index < len(row) else None

    for number, row in body:
        month = parse_month(cell(row, "month"))
        value = parse_number(cell(row, "value"))
        if month is None:
            result.errors.append(RowError(number, _("bad month")))
        if value is None:
            result.errors.append(RowError(number, _("bad number")))
        if month is None or value is None:
            continue
        result.rows.append(
            ParsedRow(
                row_number=number,
                customer_number=cell_text(cell(row, "customer_number")),
                kpi_code=cell_text(cell(row, "kpi_code")),
                month=month,
                value=value,
            )
        )
    return result
