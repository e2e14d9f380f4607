"""Excel workbooks written from sheets of typed rows.

Every text cell goes through `kam.tabular.neutralise`, so a value starting with = + - @ (a
goal called "=HYPERLINK(...)") is stored as text with a leading apostrophe and never runs as
a formula; numbers, dates and times stay typed cells.
"""

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify

from kam.tabular import neutralise

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PDF_TYPE = "application/pdf"


AMOUNT = "#,##0.00"


PERCENT = "0.0"


MONTH = "yyyy-mm"


DAY = "yyyy-mm-dd"


MOMENT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    label: "StrOrPromise"
    number_format: str | None = None  # for numbers, dates and times
    width: int = 14


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence] = field(default_factory=list)


def file_name(*parts, extension: str) -> str:
    """A file name from its parts, safe on every system: "account-plan-k-00042-2027.xlsx"."""
    return f"{slugify(' '.join(str(part) for part in parts if part))}.{extension}"


def _value(value):
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the local wall-clock time, as on the pages.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return neutralise(value)


def _number_format(column: Column, raw) -> str | None:
    if isinstance(raw, datetime.datetime):
        return column.number_format or MOMENT
    if isinstance(raw, datetime.date):
        return column.number_format or DAY
    if isinstance(raw, Decimal | float | int) and not isinstance(raw, bool):
        return column.number_format
    return None


def workbook(sheets: Iterable[Sheet]) -> bytes:
    """An .xlsx file with one worksheet per sheet: a bold, frozen header row, then the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        # Excel allows 31 characters and none of []:*?/\ in a sheet name.
        title = "".join(c for c in sheet.title if c not in "[]:*?/\\")[:31]
        ws = book.create_sheet(title=title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=_value(column.label))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            cells = []
            for column, raw in zip(sheet.columns, row, strict=True):
                cell = WriteOnlyCell(ws, value=_value(raw))
                number_format = _number_format(column, raw)
                if number_format:
                    cell.number_format = number_format
                cells.append(cell)
            ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
