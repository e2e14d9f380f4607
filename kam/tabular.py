"""Reading and writing tables (CSV and Excel) for the imports and exports of every app:
file sniffing, header lookup, number and month parsing, and formula-injection-safe writing.

Kept in `kam` so that goals and controlling share it without importing each other."""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_ROWS = 10_000

MONTH_PATTERNS = [
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-01$"),
    re.compile(r"^(?P<month>\d{1,2})[/.](?P<year>\d{4})$"),
]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# A spreadsheet treats a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class RowError:
    row_number: int | None  # None for an error of the whole file
    reason: str


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


def cell_text(raw) -> str:
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


def read_table(*, name: str, content: bytes) -> list[list]:
    """The rows of a CSV (comma or semicolon, UTF-8) or .xlsx file, header first. Raises
    TableError when the file cannot be read or is empty."""
    lower = name.lower()
    try:
        if lower.endswith(".xlsx"):
            table = _xlsx_rows(content)
        elif lower.endswith(".csv") or lower.endswith(".txt"):
            table = _csv_rows(content)
        else:
            raise ValueError
    except (ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, KeyError, OSError):
        raise TableError(
            _("The file is neither a UTF-8 CSV file nor an Excel (.xlsx) file.")
        ) from None
    if not table:
        raise TableError(_("The file is empty."))
    return table


def header_positions(
    header: Sequence, columns: dict[str, set[str]]
) -> tuple[dict[str, int], list[str]]:
    """Where each column is in the header (matched lower-case against its aliases), and the
    columns that are missing."""
    titles = [cell_text(cell).lower() for cell in header]
    positions: dict[str, int] = {}
    for column, aliases in columns.items():
        for index, title in enumerate(titles):
            if title in aliases:
                positions[column] = index
                break
    return positions, [column for column in columns if column not in positions]


def body_rows(table: list[list]) -> list[tuple[int, list]]:
    """The rows below the header with their 1-based row numbers as a spreadsheet shows them
    (the header is row 1); blank rows are skipped but keep their numbers counted. Raises
    TableError above MAX_ROWS."""
    body = [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if any(cell_text(cell) for cell in row)
    ]
    if len(body) > MAX_ROWS:
        raise TableError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    return body


def neutralise(value):
    """A text that a spreadsheet would run as a formula, quoted so it stays text. Numbers,
    dates and empty values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unquote(text: str) -> str:
    """The inverse of neutralise for a re-imported export."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte order mark (so Excel picks the encoding), comma-separated."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
