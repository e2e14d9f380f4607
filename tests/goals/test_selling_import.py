"""Import and export of selling positions: row-by-row checks, all or nothing, round trips."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import AccountStatus
from goals.models import SellingPosition
from goals.services.selling_io import COLUMNS, selling_positions_export, selling_positions_import
from tests import factories

D = Decimal
HEADER = ",".join(COLUMNS)


@pytest.fixture
def world(account):
    account.customer_number = "K-1"
    account.save()
    factories.SiteFactory(account=account, name="Bremen plant")
    factories.SiteFactory(account=account, name="Leipzig plant")
    return {
        "gear": factories.OfferingFactory(code="gear_motors"),
        "coupling": factories.OfferingFactory(code="couplings"),
        "old": factories.OfferingFactory(code="retired", active=False),
        "service": factories.OfferingFactory(code="field_service", kind="service"),
        "package": factories.OfferingFactory(code="drive_package", kind="solution"),
    }


def run(user, text: str, name="positions.csv", **kwargs):
    return selling_positions_import(name=name, content=text.encode(), user=user, **kwargs)


def snapshot() -> list:
    return list(SellingPosition.objects.order_by("pk").values())


def reasons(result) -> list[tuple]:
    return [(e.row_number, e.reason) for e in result.errors]


def test_a_valid_file_creates_and_updates_positions(owner, account, world):
    bremen = account.sites.get(name="Bremen plant")
    existing = factories.SellingPositionFactory(
        account=account, offering=world["gear"], site=bremen, stage="potential"
    )
    text = "\n".join(
        [
            ";".join(COLUMNS),
            "K-1;bremen PLANT;gear_motors;sold;1.234,56;2.000,00;;0;;;",
            "K-1;;couplings;Potential identified;;;50.000,00;40 %;2027-05;SKF;Visit",
            "K-1;Leipzig plant;field_service;offered;;;1234.5;25;05/2027;;",
        ]
    )
    result = run(owner, text)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged, result.written) == (2, 1, 0, True)
    existing.refresh_from_db()
    assert existing.stage == "sold"
    assert existing.current_revenue == D("1234.56")
    assert existing.customer_spend == D("2000.00")
    assert existing.potential_revenue is None  # an empty cell clears the value
    coupling = SellingPosition.objects.get(offering=world["coupling"])
    assert coupling.site is None
    assert coupling.stage == "potential"
    assert (coupling.potential_revenue, coupling.probability) == (D("50000.00"), 40)
    assert coupling.expected_month == datetime.date(2027, 5, 1)
    assert (coupling.main_competitor, coupling.next_step) == ("SKF", "Visit")
    service = SellingPosition.objects.get(offering=world["service"])
    assert service.expected_month == datetime.date(2027, 5, 1)
    assert service.potential_revenue == D("1234.50")


BAD_ROWS = [
    ("K-404,,gear_motors,sold", "Unknown customer number “K-404”, or an account you may not edit."),
    ("K-OUT,,gear_motors,sold", "Unknown customer number “K-OUT”, or an account you may not edit."),
    ("K-OLD,,gear_motors,sold", "Unknown customer number “K-OLD”, or an account you may not edit."),
    ("K-1,Cork,gear_motors,sold", "Unknown site “Cork” for customer K-1."),
    ("K-1,,pumps,sold", "Unknown offering code “pumps”."),
    ("K-1,,retired,sold", "The offering “retired” is no longer active; it cannot be added."),
    (
        "K-1,,gear_motors,won",
        "Unknown stage “won”; use one of not_sold, potential, offered, sold, "
        "bundled, joint_development.",
    ),
    ("K-1,,gear_motors,bundled", "A position in a solution bundle needs a solution offering."),
    ("K-1,,gear_motors,sold,abc", "current_revenue: “abc” is not a number."),
    ("K-1,,gear_motors,sold,-5", "current_revenue cannot be negative."),
    ("K-1,,gear_motors,sold,1.5.5", "current_revenue: “1.5.5” is not a number."),
    ("K-1,,gear_motors,sold,1.001", "current_revenue: “1.001” has more than 2 decimal places."),
    ("K-1,,gear_motors,sold,1e300", "current_revenue: “1e300” is not a number."),
    ("K-1,,gear_motors,sold,NaN", "current_revenue: “NaN” is not a number."),
    (
        "K-1,,gear_motors,sold,{}".format("9" * 31),
        "current_revenue: “{}” is too large (at most 12 digits before the decimal point).".format(
            "9" * 31
        ),
    ),
    ("K-1,,gear_motors,sold,,,,1e300", "probability: “1e300” is not a whole number from 0 to 100."),
    ("K-1,,gear_motors,sold,10,5", "The current revenue cannot exceed the customer's total spend."),
    ("K-1,,gear_motors,sold,,,,101", "probability: “101” is not a whole number from 0 to 100."),
    ("K-1,,gear_motors,sold,,,,2.5", "probability: “2.5” is not a whole number from 0 to 100."),
    ("K-1,,gear_motors,sold,,,,,May", "expected_month: “May” is not a month (YYYY-MM)."),
    (
        "K-1,,gear_motors,sold,,,,,,,{}".format("x" * 301),
        "next_step is longer than 300 characters.",
    ),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS, ids=[r[1][:40] for r in BAD_ROWS])
def test_each_bad_row_is_rejected_with_its_row_number(owner, outsider, account, world, row, reason):
    factories.KeyAccountFactory(owner=outsider, customer_number="K-OUT")
    factories.KeyAccountFactory(owner=owner, customer_number="K-OLD", status=AccountStatus.ARCHIVED)
    factories.SellingPositionFactory(account=account, offering=world["coupling"], stage="offered")
    before = snapshot()
    text = f"{HEADER}\nK-1,,couplings,sold\n{row}\n"
    result = run(owner, text)
    assert reasons(result) == [(3, reason)]
    assert not result.written
    assert snapshot() == before


def test_every_bad_row_is_listed_and_nothing_is_written(owner, account, world):
    text = "\n".join(
        [
            HEADER,
            "K-1,,gear_motors,sold",
            "K-404,,gear_motors,sold",
            "",  # blank rows are skipped but keep their number
            "K-1,,pumps,maybe,abc",
            "K-1,Bremen plant,couplings,sold",
            "K-1,bremen plant,couplings,offered",
        ]
    )
    result = run(owner, text)
    assert reasons(result) == [
        (3, "Unknown customer number “K-404”, or an account you may not edit."),
        (5, "Unknown offering code “pumps”."),
        (
            5,
            "Unknown stage “maybe”; use one of not_sold, potential, offered, sold, bundled, "
            "joint_development.",
        ),
        (5, "current_revenue: “abc” is not a number."),
        (7, "Duplicate of row 6 (same customer, site and offering)."),
    ]
    assert not SellingPosition.objects.exists()


def test_joint_development_once_per_offering_across_the_file_and_the_database(
    owner, account, world
):
    bremen = account.sites.get(name="Bremen plant")
    factories.SellingPositionFactory(
        account=account, offering=world["gear"], site=bremen, stage="joint_development"
    )
    text = f"{HEADER}\nK-1,,gear_motors,joint_development\nK-1,,couplings,joint_development\n"
    result = run(owner, text)
    assert reasons(result) == [
        (
            2,
            "This offering is already in joint development with this account (Bremen plant). "
            "A joint development sits either on the account level or at one site.",
        )
    ]
    # Moving it from Bremen to the whole account in one file is fine.
    text = f"{HEADER}\nK-1,,gear_motors,joint_development\nK-1,Bremen plant,gear_motors,sold\n"
    result = run(owner, text)
    assert result.errors == []
    assert SellingPosition.objects.get(site=None, offering=world["gear"]).stage == (
        "joint_development"
    )


def test_a_retired_offering_can_be_updated_where_the_position_exists(owner, account, world):
    factories.SellingPositionFactory(account=account, offering=world["old"], stage="sold")
    result = run(owner, f"{HEADER}\nK-1,,retired,not_sold\n")
    assert result.errors == []
    assert result.updated == 1


def test_missing_columns_keep_existing_values(owner, account, world):
    position = factories.SellingPositionFactory(
        account=account, offering=world["gear"], stage="potential", next_step="Call"
    )
    result = run(owner, "customer_number,site,offering_code,stage\nK-1,,gear_motors,offered\n")
    assert result.errors == []
    position.refresh_from_db()
    assert (position.stage, position.next_step, position.current_revenue) == (
        "offered",
        "Call",
        D("40000.00"),
    )


def test_german_header_names_are_accepted(owner, account, world):
    text = "Kundennummer;Standort;Angebot;Stufe;Umsatz\nK-1;;gear_motors;sold;1.000,00\n"
    result = run(owner, text)
    assert result.errors == []
    assert SellingPosition.objects.get().current_revenue == D("1000.00")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("positions.csv", "customer_number,stage\nK-1,sold\n", "Missing columns: site, "),
        ("positions.pdf", HEADER, "The file is neither a UTF-8 CSV file nor an Excel"),
        ("positions.xlsx", "not a zip", "The file is neither a UTF-8 CSV file nor an Excel"),
        ("positions.csv", "", "The file is empty."),
        ("positions.csv", f"{HEADER}\n\n", "The file has no rows."),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_error(owner, world, name, content, reason):
    result = run(owner, content, name=name)
    assert len(result.errors) == 1
    assert result.errors[0].row_number is None
    assert result.errors[0].reason.startswith(reason)


def test_a_dry_run_checks_and_counts_but_writes_nothing(owner, account, world):
    result = run(owner, f"{HEADER}\nK-1,,gear_motors,sold\n", dry_run=True)
    assert (result.created, result.written) == (1, False)
    assert not SellingPosition.objects.exists()


def test_an_excel_file_is_imported(owner, account, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append(
        [
            "K-1",
            "Leipzig plant",
            "gear_motors",
            "sold",
            1234.5,
            2000,
            None,
            30,
            datetime.datetime(2027, 7, 1),
            "SEW",
            "Renew",
        ]
    )
    out = io.BytesIO()
    workbook.save(out)
    result = selling_positions_import(name="p.xlsx", content=out.getvalue(), user=owner)
    assert result.errors == []
    position = SellingPosition.objects.get()
    assert (position.current_revenue, position.probability) == (D("1234.50"), 30)
    assert position.expected_month == datetime.date(2027, 7, 1)


def test_the_import_query_count_does_not_grow_with_rows(owner, account, world):
    def queries(rows: int) -> int:
        offerings = [factories.OfferingFactory() for _ in range(rows)]
        lines = [f"K-1,Bremen plant,{o.code},sold,10" for o in offerings]
        with CaptureQueriesContext(connection) as captured:
            result = run(owner, "\n".join([HEADER, *lines]))
        assert result.created == rows
        return len(captured)

    # 50, not more: SQLite splits an insert at 999 parameters, and a position's history row
    # has 17 columns (PostgreSQL's limit is 65,535).
    assert queries(3) == queries(50)


# --- export -----------------------------------------------------------------------------------


def test_export_and_reimport_round_trip_with_formulas_neutralised(owner, account, world):
    bremen = account.sites.get(name="Bremen plant")
    factories.SellingPositionFactory(
        account=account,
        offering=world["gear"],
        site=bremen,
        stage="sold",
        expected_month=datetime.date(2027, 5, 1),
        main_competitor='=HYPERLINK("http://evil")',
        next_step="+call -back @once",
    )
    factories.SellingPositionFactory(account=account, offering=world["coupling"], stage="offered")
    content, content_type = selling_positions_export(
        positions=account.selling_positions.all(), file_format="csv"
    )
    assert content_type.startswith("text/csv")
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    assert (
        "K-1,Bremen plant,gear_motors,sold,40000.00,100000.00,30000.00,50,2027-05,"
        '"\'=HYPERLINK(""http://evil"")",\'+call -back @once'
    ) in text
    before = snapshot()
    result = selling_positions_import(name="export.csv", content=content, user=owner)
    assert (result.errors, result.unchanged, result.created, result.updated) == ([], 2, 0, 0)
    assert snapshot() == before


def test_excel_export_neutralises_formulas_and_keeps_numbers(owner, account, world):
    factories.SellingPositionFactory(
        account=account, offering=world["gear"], main_competitor="@SUM(A1)", next_step="-2+3"
    )
    content, _type = selling_positions_export(
        positions=account.selling_positions.all(), file_format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert rows[1][4] == 40000  # a number, not text
    assert rows[1][9:] == ("'@SUM(A1)", "'-2+3")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    result = selling_positions_import(name="export.xlsx", content=content, user=owner)
    assert (result.errors, result.unchanged) == ([], 1)


def test_the_account_export_is_a_download_of_its_positions_only(client, owner, account, world):
    factories.SellingPositionFactory(account=account, offering=world["gear"])
    factories.SellingPositionFactory(offering=world["coupling"])  # another account
    client.force_login(owner)
    url = reverse("goals:selling_export_account", args=[account.pk])
    response = client.get(url, {"format": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="selling-positions-K-1.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["gear_motors"]
    csv_rows = client.get(url).content.decode("utf-8-sig").splitlines()
    assert len(csv_rows) == 2


# --- the page -----------------------------------------------------------------------------------


def post_file(client, text: str, **data):
    upload = io.BytesIO(text.encode())
    upload.name = "positions.csv"
    return client.post(reverse("goals:selling_import"), {"file": upload, **data})


def test_the_page_lists_bad_rows(client, owner, account, world):
    client.force_login(owner)
    response = post_file(client, f"{HEADER}\nK-1,,pumps,sold\n")
    html = response.content.decode()
    assert 'id="import-errors"' in html
    assert "Row 2: Unknown offering code “pumps”." in html


def test_the_page_reports_what_was_written(client, owner, account, world):
    client.force_login(owner)
    html = post_file(client, f"{HEADER}\nK-1,,gear_motors,sold\n").content.decode()
    assert 'data-created="1"' in html
    assert "positions.csv was imported." in html
    html = post_file(client, f"{HEADER}\nK-1,,couplings,sold\n", dry_run="on").content.decode()
    assert "positions.csv is valid; nothing was written." in html
    assert SellingPosition.objects.count() == 1


def test_the_page_refuses_files_over_5_mb(client, owner, account, world):
    client.force_login(owner)
    response = post_file(client, HEADER + "\n" + "K-1,,gear_motors,sold\n" * 250_000)
    assert "The file is larger than 5 MB." in response.content.decode()
    assert not SellingPosition.objects.exists()


def test_customer_numbers_match_trimmed_and_regardless_of_case(owner, account, world):
    result = run(owner, "customer_number,site,offering_code,stage\n  k-1 ,,gear_motors,offered\n")
    assert result.errors == []
    assert SellingPosition.objects.get().account == account
