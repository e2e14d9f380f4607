"""Reading an ERP export of actuals (CSV or XLSX) into rows; the database checks live in
services.actuals_import_check."""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_ROWS = 10_000

# Header names, lower-cased, per column; German aliases because the ERP exports in German.
COLUMNS = {
    "customer_number": {"customer_number", "customer number", "kundennummer"},
    "kpi_code": {"kpi", "kpi_code", "kennzahl"},
    "month": {"month", "monat"},
    "value": {"value", "wert"},
}
MONTH_PATTERNS = [
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-01$"),
    re.compile(r"^(?P<month>\d{1,2})[/.](?P<year>\d{4})$"),
]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    customer_number: str
    kpi_code: str
    month: datetime.date
    value: Decimal


@dataclass(frozen=True)
class RowError:
    row_number: int | None  # None for an error of the whole file
    reason: str


@dataclass
class ParseResult:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_number(raw) -> Decimal | None:
    """1.234,56 and 1234.56 alike: where both "." and "," occur, the last one is the decimal
    separator and the other groups thousands; a single "," or "." is the decimal separator."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    text = str(raw or "").strip().replace(" ", "")
    if "." in text and "," in text:
        decimal, thousands = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        text = text.replace(thousands, "").replace(decimal, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not NUMBER.match(text):
        return None
    return Decimal(text)


def parse_month(raw) -> datetime.date | None:
    if isinstance(raw, datetime.datetime | datetime.date):
        return datetime.date(raw.year, raw.month, 1)
    text = str(raw or "").strip()
    for pattern in MONTH_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month = int(match["year"]), int(match["month"])
            if 1 <= month <= 12 and year >= 1900:
                return datetime.date(year, month, 1)
    return None


def _cell_text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def _csv_rows(content: bytes) -> list[list]:
    text = content.decode("utf-8-sig")
    # Decided on the header alone: its names hold no separators, while German amounts in the
    # rows below are full of commas.
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") and ";" in header else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def parse_actuals_file(*, name: str, content: bytes) -> ParseResult:
    """Rows of an ERP export with their 1-based row numbers (the header is row 1), and every
    row that cannot be read with the reason. A file that cannot be read at all gets one error
    without a row number."""
    result = ParseResult()
    lower = name.lower()
    try:
        if lower.endswith(".xlsx"):
            table = _xlsx_rows(content)
        elif lower.endswith(".csv") or lower.endswith(".txt"):
            table = _csv_rows(content)
        else:
            raise ValueError
    except (ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, KeyError, OSError):
        result.errors.append(
            RowError(None, _("The file is neither a UTF-8 CSV file nor an Excel (.xlsx) file."))
        )
        return result
    if not table:
        result.errors.append(RowError(None, _("The file is empty.")))
        return result
    header = [_cell_text(cell).lower() for cell in table[0]]
    positions: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for index, title in enumerate(header):
            if title in aliases:
                positions[column] = index
                break
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        result.errors.append(
            RowError(
                None,
                _("Missing columns: %(columns)s. Expected customer_number, kpi, month, value.")
                % {"columns": ", ".join(missing)},
            )
        )
        return result
    body = [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if any(_cell_text(cell) for cell in row)
    ]
    if len(body) > MAX_ROWS:
        result.errors.append(
            RowError(None, _("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
        )
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
                customer_number=_cell_text(cell(row, "customer_number")),
                kpi_code=_cell_text(cell(row, "kpi_code")),
                month=month,
                value=value,
            )
        )
    return result
