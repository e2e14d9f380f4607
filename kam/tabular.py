"""Reading and writing tables (CSV and Excel) for the imports and exports of every app:
file sniffing, header lookup, number and month parsing, and formula-injection-safe writing.

Kept in `kam` so that goals and controlling share it without importing each other.

Every upload is read through `read_table`, which bounds it in every dimension (bytes, rows,
columns, characters per cell, cells, unpacked size of an Excel file, reading time) while it
reads, so a file over a bound is refused after reading up to the bound, never the whole file.
"""

import csv
import datetime
import io
import re
import time
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

MB = 1024 * 1024
# The bounds of an upload (docs/architecture.md, "Uploads and their bounds"). The two imports
# need 4 and 11 columns (110,000 cells at most); the rest is room for a few columns more.
MAX_BYTES = 5 * MB
MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 500
MAX_CELLS = 150_000
MAX_SECONDS = 15  # gunicorn stops a worker at 30 s; the import still has to check and write
# An .xlsx file is a zip of XML parts; openpyxl parses some of them whole (the shared strings,
# the styles), so each part is bounded unpacked before openpyxl opens the file. Python's
# zipfile never unpacks more than the size a member declares (and refuses a member whose
# content does not match it), so the declared sizes can be trusted.
MAX_PART_BYTES = 16 * MB
MAX_PARTS = 1_000
MAX_COMPRESSION_RATIO = 200  # only for parts over 1 MB; XML packs 5 to 50 times
# A CSV record is read a line at a time; one longer than any row within the bounds (every
# cell at its length, each character a doubled quote) is refused before it is split.
MAX_RECORD_CHARS = MAX_COLUMNS * (2 * MAX_CELL_CHARS + 3)
# Elements inside one cell of a sheet (rich-text runs); more cannot hold a cell of
# MAX_CELL_CHARS characters that means anything.
MAX_CELL_ELEMENTS = 2 * MAX_CELL_CHARS

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


class NumberError(ValueError):
    """A cell that is no number in its column's range; the message says why (without the
    row and column, which the caller names)."""


@dataclass(frozen=True)
class RowError:
    row_number: int | None  # None for an error of the whole file
    reason: str


def parse_number(raw, *, max_digits: int = 14, decimal_places: int = 2) -> Decimal:
    """The number in a cell, within a column of `max_digits` digits, `decimal_places` of them
    decimals (a model's DecimalField), rounded to those places; raises NumberError otherwise.

    1.234,56 and 1234.56 alike: where both "." and "," occur, the last one is the decimal
    separator and the other groups thousands; a single "," or "." is the decimal separator.
    An Excel cell arrives as int or float. The range is checked on the exponent before any
    arithmetic, so no size of number can overflow the decimal context."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise NumberError(_("the cell is empty."))
    value: Decimal | None = None
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        except (InvalidOperation, ValueError):
            value = None
    elif isinstance(raw, str):
        value = _parse_text_number(raw.strip())
    if value is None or not value.is_finite():
        raise NumberError(_("“%(value)s” is not a number.") % {"value": _shown(raw)})
    if value and value.adjusted() >= max_digits - decimal_places:
        raise NumberError(
            _("“%(value)s” is too large (at most %(digits)d digits before the decimal point).")
            % {"value": _shown(raw), "digits": max_digits - decimal_places}
        )
    # Below 10 ** (max_digits - decimal_places) the quantized value fits the context.
    step = Decimal(1).scaleb(-decimal_places)
    rounded = value.quantize(step)
    if rounded != value:
        raise NumberError(
            _("“%(value)s” has more than %(places)d decimal places.")
            % {"value": _shown(raw), "places": decimal_places}
        )
    return rounded if rounded else abs(rounded)  # no "-0"


def _shown(raw) -> str:
    """A cell's text for a message, cut short."""
    try:
        text = repr(raw) if isinstance(raw, float) else cell_text(raw)
    except ValueError:  # an int of more digits than Python turns into text
        return "…"
    return text if len(text) <= 40 else text[:39] + "…"


def _parse_text_number(text: str) -> Decimal | None:
    text = text.replace(" ", "")
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
        return datetime.date(raw.year, raw.month, 1) if raw.year >= 1900 else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
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


class _Table:
    """The rows read so far, checked against the bounds as they come: a file over one is
    refused at the first cell or row that passes it."""

    def __init__(self) -> None:
        self.rows: list[list] = []
        self.cells = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TableError(
                _("Reading the file took longer than %(seconds)d seconds.")
                % {"seconds": MAX_SECONDS}
            )

    def check_cell(self, row_number: int, column: int, value) -> None:
        """A non-empty cell at a 1-based row and column."""
        if column > MAX_COLUMNS:
            raise TableError(_("The file has more than %(max)d columns.") % {"max": MAX_COLUMNS})
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise TableError(
                _("Row %(row)d, column %(column)d: a cell holds more than %(max)d characters.")
                % {"row": row_number, "column": column, "max": MAX_CELL_CHARS}
            )

    def count_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > MAX_CELLS:
            raise TableError(_("The file has more than %(max)d cells.") % {"max": MAX_CELLS})

    def add_row(self, row_number: int, values: list, *, counted: bool = False) -> None:
        """A row at its 1-based number (rows skipped since the last are blank); its cells
        are counted here unless the reader `counted` them as they came."""
        self.check_time()
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        # The header and MAX_ROWS rows below it, and as many blank rows again at most.
        if row_number > MAX_ROWS + 1 and (values or row_number > 2 * MAX_ROWS + 1):
            raise TableError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
        if not values:
            return
        if not counted:
            self.count_cells(len(values))
        while len(self.rows) < row_number - 1:
            self.rows.append([])
        self.rows.append(values)


def _csv_lines(stream: IO[str], lengths: list[int]) -> Iterator[str]:
    """The lines of a CSV file, each read only up to the bound of a record; `lengths[0]`
    counts the characters of the record being read and is reset by the caller."""
    while line := stream.readline(MAX_RECORD_CHARS + 1):
        lengths[0] += len(line)
        if lengths[0] > MAX_RECORD_CHARS:
            raise TableError(
                _("A row of the file is longer than %(max)d characters.")
                % {"max": MAX_RECORD_CHARS}
            )
        yield line


def _csv_rows(content: bytes, table: _Table) -> None:
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    lengths = [0]
    lines = _csv_lines(stream, lengths)
    header = next(lines, "")
    # Decided on the header alone: its names hold no separators, while German amounts in the
    # rows below are full of commas.
    delimiter = ";" if header.count(";") >= header.count(",") and ";" in header else ","
    reader = csv.reader(_chain(header, lines), delimiter=delimiter)
    for row_number, row in enumerate(reader, start=1):
        lengths[0] = 0
        for column, value in enumerate(row, start=1):
            if value:
                table.check_cell(row_number, column, value)
        table.add_row(row_number, row)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _check_archive(content: bytes) -> None:
    """Refuse an .xlsx file whose parts unpack beyond the bounds, before anything unpacks."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise TableError(_("The Excel file has more than %(max)d parts.") % {"max": MAX_PARTS})
    megabytes = {"max": MAX_PART_BYTES // MB}
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            if part.filename.lower().endswith("sharedstrings.xml"):
                message = _("The Excel file's shared strings unpack to more than %(max)d MB.")
            else:
                message = _("A part of the Excel file unpacks to more than %(max)d MB.")
            raise TableError(message % megabytes)
        if part.file_size > MB and part.file_size > MAX_COMPRESSION_RATIO * part.compress_size:
            raise TableError(
                _(
                    "A part of the Excel file is packed more than %(max)d times tighter than "
                    "a spreadsheet is; it is refused as a possible zip bomb."
                )
                % {"max": MAX_COMPRESSION_RATIO}
            )


def _xlsx_rows(content: bytes, table: _Table) -> None:
    from openpyxl import load_workbook

    _check_archive(content)
    with warnings.catch_warnings():
        # openpyxl warns of what it skips (unknown extensions, dates out of range); a cell it
        # cannot read arrives as an error value and is refused by the import as such.
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            _sheet_rows(workbook, table)
        finally:
            workbook.close()


def _sheet_rows(workbook: Any, table: _Table) -> None:
    """The first sheet streamed a cell at a time. openpyxl's own row iterator parses a whole
    row (and pads it to the sheet's claimed dimension) before it yields it, so a row of a
    million cells would be read in full; here each cell goes through openpyxl's cell parser
    (shared strings, inline strings, dates) and is checked against the bounds as it ends, and
    every element read is dropped from the tree."""
    from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    sheet = workbook.worksheets[0]
    parser = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    open_elements: list = []
    row_number = 0
    values: dict[int, Any] = {}
    in_cell = 0  # elements open inside the current cell, the cell included
    cell_elements = 0
    seen = 0
    with sheet._get_source() as source:
        for event, element in iterparse(source, events=("start", "end")):
            seen += 1
            if seen % 1000 == 0:
                table.check_time()
            if event == "start":
                open_elements.append(element)
                if in_cell or element.tag == CELL_TAG:
                    if not in_cell:
                        # Every cell the sheet holds, empty ones too: each costs reading.
                        table.count_cells(1)
                    in_cell += 1
                    cell_elements += 1
                    if cell_elements > MAX_CELL_ELEMENTS:
                        raise TableError(
                            _("Row %(row)d: a cell holds more than %(max)d characters.")
                            % {"row": row_number, "max": MAX_CELL_CHARS}
                        )
                elif element.tag == ROW_TAG:
                    declared = element.get("r")
                    number = int(declared) if declared and declared.isdigit() else 0
                    row_number = max(number, row_number + 1)
                    parser.row_counter, parser.col_counter = row_number, 0
                    values = {}
                continue
            open_elements.pop()
            if in_cell:
                in_cell -= 1
                if in_cell:
                    continue  # part of the cell, read with it when the cell ends
                cell_elements = 0
                try:
                    cell = parser.parse_cell(element)
                except Exception:  # a value its type cannot hold ("NaN" as a number)
                    raise TableError(
                        _("Row %(row)d: a cell cannot be read.") % {"row": row_number}
                    ) from None
                value = cell["value"]
                if value is not None and value != "":
                    table.check_cell(row_number, cell["column"], value)
                    values[cell["column"]] = value
            elif element.tag == ROW_TAG:
                width = max(values, default=0)
                table.add_row(
                    row_number, [values.get(c) for c in range(1, width + 1)], counted=True
                )
            if open_elements:
                open_elements[-1].remove(element)


def read_table(*, name: str, content: bytes) -> list[list]:
    """The rows of a CSV (comma or semicolon, UTF-8) or .xlsx file, header first, up to the
    last non-blank row (blank rows are empty lists, so positions are row numbers). Raises
    TableError when the file cannot be read, is empty or passes a bound; the message names
    the bound."""
    lower = name.lower()
    if len(content) > MAX_BYTES:
        raise TableError(_("The file is larger than %(max)d MB.") % {"max": MAX_BYTES // MB})
    table = _Table()
    try:
        if lower.endswith(".xlsx"):
            _xlsx_rows(content, table)
        elif lower.endswith(".csv") or lower.endswith(".txt"):
            _csv_rows(content, table)
        else:
            raise ValueError
    except TableError:
        raise
    except (ValueError, csv.Error, zipfile.BadZipFile, KeyError, OSError):
        raise TableError(
            _("The file is neither a UTF-8 CSV file nor an Excel (.xlsx) file.")
        ) from None
    except Exception:
        # openpyxl raises whatever its parts raise on a damaged file (XML syntax, an index
        # into the shared strings, a zip entry it cannot unpack); none is the server's fault.
        raise TableError(_("The Excel file is damaged and cannot be read.")) from None
    if not table.rows:
        raise TableError(_("The file is empty."))
    return table.rows


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
