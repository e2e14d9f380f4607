"""Uploads read within bounds (kam.tabular): every bound refuses a file with a message naming
it, after reading no further than the bound, in little memory; and numbers are range-checked
before any arithmetic. Every file is generated here; no binary fixture is committed."""

import contextlib
import datetime
import io
import re
import tracemalloc
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet._reader import WorkSheetParser

from controlling.services.imports import parse_actuals_file
from kam import tabular
from kam.tabular import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_PART_BYTES,
    NumberError,
    TableError,
    parse_month,
    parse_number,
    read_table,
)

D = Decimal
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def xlsx(
    rows_xml: bytes = b"<row><c t='inlineStr'><is><t>x</t></is></c></row>",
    *,
    shared_strings: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A workbook saved by openpyxl whose first sheet's rows (and shared strings) are
    replaced by the XML given, so a test can write what openpyxl would never write."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (
                    f'<worksheet xmlns="{SHEET_NS}"><dimension ref="A1"/><sheetData>'.encode()
                    + rows_xml
                    + b"</sheetData></worksheet>"
                )
            if info.filename == "[Content_Types].xml" and shared_strings is not None:
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            target.writestr(info.filename, data)
        if shared_strings is not None:
            target.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def xlsx_of(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(TableError) as error:
        read_table(name=name, content=content)
    return str(error.value)


@pytest.fixture
def cells_parsed(monkeypatch):
    """How many cells openpyxl's cell parser has read."""
    count = [0]
    parse_cell = WorkSheetParser.parse_cell

    def counting(self, element):
        count[0] += 1
        return parse_cell(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_cell", counting)
    return count


def peak_memory_while(function) -> int:
    tracemalloc.start()
    with contextlib.suppress(TableError):
        function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


# --- columns -------------------------------------------------------------------------------


def test_a_csv_wider_than_the_bound_is_refused():
    content = (";".join(f"c{n}" for n in range(MAX_COLUMNS + 1)) + "\n").encode()
    assert refusal("wide.csv", content) == "The file has more than 50 columns."


def test_an_xlsx_wider_than_the_bound_is_refused_after_reading_one_column_past_it(
    cells_parsed,
):
    # A row of 16,384 numbers, two thousand times (the file that ran 200 s of CPU), kept
    # under the unpacked bound by fewer rows; openpyxl reads one cell beyond the bound.
    row = b"<row>" + b"".join(b"<c><v>%d</v></c>" % n for n in range(16_384)) + b"</row>"
    content = xlsx(row * 20)
    assert refusal("wide.xlsx", content) == "The file has more than 50 columns."
    assert cells_parsed[0] == MAX_COLUMNS + 1


def test_empty_trailing_cells_do_not_count_as_columns():
    content = ("a;b" + ";" * 100 + "\n1;2" + ";" * 100 + "\n").encode()
    assert read_table(name="padded.csv", content=content) == [["a", "b"], ["1", "2"]]


def test_a_sheet_that_claims_a_small_dimension_is_read_by_its_cells():
    # The dimension says A1; the cells say otherwise. Neither pads nor truncates the rows.
    content = xlsx(
        b"<row r='1'><c r='A1' t='inlineStr'><is><t>a</t></is></c><c r='C1'><v>3</v></c></row>"
    )
    assert read_table(name="dimension.xlsx", content=content) == [["a", None, 3]]


# --- characters in a cell -------------------------------------------------------------------


def test_a_long_csv_cell_is_refused_with_its_row_and_column():
    content = f"a;b;c\n1;2;{'x' * (MAX_CELL_CHARS + 1)}\n".encode()
    assert refusal("long.csv", content) == (
        "Row 2, column 3: a cell holds more than 500 characters."
    )


def test_a_long_inline_string_is_refused_in_little_memory():
    # Before the bounds, 1.7 MB of long inline strings took a worker to about 1 GB.
    text = b"x" * 2_000_000
    cell = b"<c t='inlineStr'><is><t>" + text + b"</t></is></c>"
    rows = b"<row>" + cell + b"</row>" + b"<row>" + cell + b"</row>"
    content = xlsx(rows, compression=zipfile.ZIP_STORED)  # packed, a zip bomb
    assert refusal("long.xlsx", content) == (
        "Row 1, column 1: a cell holds more than 500 characters."
    )
    # The one cell read (2 MB of text) and no more: the second row is never built.
    assert peak_memory_while(lambda: read_table(name="long.xlsx", content=content)) < 6_000_000


def test_a_cell_of_many_rich_text_runs_is_refused():
    runs = b"<r><t>a</t></r>" * (2 * MAX_CELL_CHARS + 1)
    content = xlsx(b"<row><c t='inlineStr'><is>" + runs + b"</is></c></row>")
    assert refusal("runs.xlsx", content) == "Row 1: a cell holds more than 500 characters."


# --- cells and rows -------------------------------------------------------------------------


def test_a_csv_of_more_cells_than_the_bound_is_refused():
    row = ";".join(["1"] * 16) + "\n"  # 10,000 rows of 16 cells: 160,000
    content = ("h;" * 15 + "h\n" + row * (MAX_CELLS // 16)).encode()
    assert refusal("cells.csv", content) == "The file has more than 150000 cells."


def test_an_xlsx_of_more_cells_than_the_bound_is_refused_counting_empty_ones(
    monkeypatch, cells_parsed
):
    monkeypatch.setattr(tabular, "MAX_CELLS", 100)
    content = xlsx(b"<row>" + b"<c s='0'/>" * 10_000 + b"</row>", compression=zipfile.ZIP_STORED)
    assert refusal("cells.xlsx", content) == "The file has more than 100 cells."
    assert cells_parsed[0] == 100


def test_more_rows_than_the_bound_are_refused_in_an_xlsx(cells_parsed):
    content = xlsx_of([["h"]] + [[n] for n in range(10_001)])
    assert refusal("rows.xlsx", content) == "The file has more than 10000 rows."
    assert cells_parsed[0] == 10_002  # the header, 10,000 rows and the row refused


def test_blank_rows_are_bounded_too():
    content = b"a;b\n" + b"\n" * 2_000_000
    assert refusal("blank.csv", content) == "The file has more than 10000 rows."


def test_blank_rows_keep_the_row_numbers_and_trailing_ones_are_dropped():
    content = b"a;b\n\n1;2\n\n\n"
    assert read_table(name="gaps.csv", content=content) == [["a", "b"], [], ["1", "2"]]


def test_a_csv_line_longer_than_any_row_within_the_bounds_is_refused_before_it_is_split():
    content = b"a;b\n" + b"x" * 4_000_000 + b"\n"
    assert refusal("line.csv", content) == "A row of the file is longer than 50150 characters."
    assert peak_memory_while(lambda: read_table(name="line.csv", content=content)) < 1_000_000


def test_a_quoted_cell_over_many_lines_is_bounded_as_one_row():
    content = b'a;"' + b"xxxxxxxxx\n" * 400_000 + b'"\n'
    assert refusal("quoted.csv", content) == "A row of the file is longer than 50150 characters."


def test_a_file_over_the_byte_bound_is_refused_unread():
    assert refusal("big.csv", b"a" * (5 * 1024 * 1024 + 1)) == "The file is larger than 5 MB."


def test_reading_is_stopped_at_the_time_bound(monkeypatch):
    clock = iter(range(0, 10_000, 4))
    monkeypatch.setattr(tabular.time, "monotonic", lambda: next(clock))
    content = b"a;b\n" + b"1;2\n" * 100
    assert refusal("slow.csv", content) == "Reading the file took longer than 15 seconds."


# --- the zip inside an .xlsx ---------------------------------------------------------------


def test_huge_shared_strings_are_refused_before_openpyxl_opens_the_file(monkeypatch):
    strings = b"<sst><si><t>" + b"a" * (MAX_PART_BYTES + 1) + b"</t></si></sst>"
    content = xlsx(shared_strings=strings)
    assert len(content) < 100_000  # a zip bomb, small as it comes
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))
    assert refusal("bomb.xlsx", content) == (
        "The Excel file's shared strings unpack to more than 16 MB."
    )
    assert opened == []
    assert peak_memory_while(lambda: read_table(name="bomb.xlsx", content=content)) < 500_000


def test_a_sheet_packed_like_a_zip_bomb_is_refused(cells_parsed):
    content = xlsx(b"<row><c><v>0</v></c></row>" + b" " * 2_000_000)
    assert refusal("packed.xlsx", content) == (
        "A part of the Excel file is packed more than 200 times tighter than a spreadsheet is;"
        " it is refused as a possible zip bomb."
    )
    assert cells_parsed[0] == 0


def test_a_sheet_unpacking_beyond_the_bound_is_refused(cells_parsed):
    content = xlsx(b"<row><c><v>0</v></c></row>" * (MAX_PART_BYTES // 20))
    assert refusal("unpacked.xlsx", content) == (
        "A part of the Excel file unpacks to more than 16 MB."
    )
    assert cells_parsed[0] == 0


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e300", "“1e300” is not a number."),
        ("1" * 31, "is too large (at most 12 digits before the decimal point)."),
        ("NaN", "“NaN” is not a number."),
        ("Infinity", "“Infinity” is not a number."),
        (1e300, "“1e+300” is too large"),
        (float("nan"), "is not a number."),
        (float("inf"), "is not a number."),
        (10**40, "is too large"),
        (1e-300, "has more than 2 decimal places."),
        ("0,001", "has more than 2 decimal places."),
        (D("1E+100000"), "is too large"),
        (True, "is not a number."),
        (datetime.date(2027, 4, 1), "is not a number."),
        (" ", "the cell is empty."),
    ],
)
def test_a_number_out_of_range_is_refused_before_any_arithmetic(raw, reason):
    with pytest.raises(NumberError, match=re.escape(reason)):
        parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-0", D("0.00")),
        (-0.0, D("0.00")),
        ("999.999.999.999,99", D("999999999999.99")),
        (1234.5, D("1234.50")),
        (12, D("12.00")),
        ("1.500", D("1.50")),
    ],
)
def test_a_number_in_range_comes_back_rounded_to_its_places(raw, expected):
    value = parse_number(raw)
    assert value == expected
    assert str(value) == str(expected)  # no "-0.00", two places


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "erp.csv",
            b"customer_number;kpi;month;value\n"
            b"K-1;revenue;2027-04;1e300\n"
            b"K-1;revenue;2027-05;1234567890123456789012345678901\n"
            b"K-1;revenue;2027-06;NaN\n"
            b"K-1;revenue;2027-07;Infinity\n"
            b"K-1;revenue;2027-08;0,000000001\n",
        ),
        (
            "erp.xlsx",
            xlsx_of(
                [
                    ["customer_number", "kpi", "month", "value"],
                    ["K-1", "revenue", "2027-04", 1e300],
                    ["K-1", "revenue", "2027-05", 10**30],
                    ["K-1", "revenue", "2027-06", float("nan")],
                    ["K-1", "revenue", "2027-07", float("inf")],
                    ["K-1", "revenue", "2027-08", 1e-300],
                ]
            ),
        ),
    ],
)
def test_huge_and_odd_numbers_in_an_import_are_refused_row_by_row(name, content):
    result = parse_actuals_file(name=name, content=content)
    assert result.rows == []
    assert [error.row_number for error in result.errors] == [2, 3, 4, 5, 6]
    assert all(error.reason.startswith("value: ") for error in result.errors)


def test_a_number_cell_excel_cannot_hold_is_refused_with_its_row():
    content = xlsx(b"<row><c><v>1</v></c></row><row><c><v>NaN</v></c></row>")
    assert refusal("nan.xlsx", content) == "Row 2: a cell cannot be read."


# --- properties -----------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.text(alphabet="0123456789.,- eE+", max_size=40),
    st.text(max_size=40),
    st.floats(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.decimals(),
    st.none(),
    st.booleans(),
)


@PROPERTIES
@given(raw=NUMBERS)
def test_parse_number_returns_a_number_in_range_or_says_why_not(raw):
    try:
        value = parse_number(raw)
    except NumberError:
        return
    assert value.is_finite()
    assert abs(value) < D("1E12")
    assert value == value.quantize(D("0.01"))


@PROPERTIES
@given(raw=st.one_of(st.text(max_size=20), st.datetimes(), st.dates(), st.integers(), st.none()))
def test_parse_month_returns_a_first_of_month_or_none(raw):
    month = parse_month(raw)
    assert month is None or (month.day == 1 and month.year >= 1900)


def _table_or_refusal(name: str, content: bytes) -> None:
    try:
        table = read_table(name=name, content=content)
    except TableError:
        return
    assert table and len(table) <= tabular.MAX_ROWS + 1
    assert all(len(row) <= MAX_COLUMNS for row in table)


@PROPERTIES
@given(content=st.binary(max_size=2000), name=st.sampled_from(["f.csv", "f.xlsx", "f.txt"]))
def test_read_table_reads_or_refuses_random_bytes(content, name):
    _table_or_refusal(name, content)


@PROPERTIES
@given(
    text=st.text(alphabet=st.sampled_from(list('ab1,;"\n\r\t \x00é')), max_size=400)
    | st.text(max_size=400)
)
def test_read_table_reads_or_refuses_random_csv_text(text):
    _table_or_refusal("f.csv", text.encode("utf-8", "surrogatepass"))


VALID_XLSX = xlsx_of([["customer_number", "kpi", "month", "value"], ["K-1", "rev", "2027-04", 1.5]])


@PROPERTIES
@given(data=st.data())
def test_read_table_reads_or_refuses_a_damaged_xlsx(data):
    content = bytearray(VALID_XLSX)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        position = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
        content[position] = data.draw(st.integers(min_value=0, max_value=255))
    _table_or_refusal("f.xlsx", bytes(content))
