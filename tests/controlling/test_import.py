"""The ERP import of actuals: reading CSV and XLSX, refusing bad files whole, applying,
re-importing without change, rolling back, and who may do what."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from controlling.models import Actual, ActualImport, ActualImportChange, ActualSource
from controlling.services.imports import (
    NumberError,
    actuals_import_apply,
    actuals_import_check,
    actuals_import_rollback,
    parse_actuals_file,
    parse_month,
    parse_number,
)
from goals.models import KPIDefinition
from tests import access, factories

D = Decimal
APR = datetime.date(2027, 4, 1)
MAY = datetime.date(2027, 5, 1)

URLS = [
    ("import_list", "get"),
    ("import_upload", "get"),
    ("import_upload", "post"),
    ("import_detail", "get"),
    ("import_rollback", "post"),
]


@pytest.fixture
def revenue(db):
    return factories.revenue_kpi()


@pytest.fixture
def computed(db):
    return KPIDefinition.objects.create(
        code="plan_coverage",
        name_en="Plan coverage",
        name_de="Plandeckung",
        unit="percent",
        rollup="average",
        source="computed",
    )


@pytest.fixture
def other_account(outsider):
    return factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")


def csv_bytes(lines: list[str], delimiter: str = ";", bom: bool = False) -> bytes:
    text = "\n".join(delimiter.join(line.split("|")) for line in lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def check(content: bytes, user, name: str = "erp.csv"):
    return actuals_import_check(parsed=parse_actuals_file(name=name, content=content), user=user)


def apply(content: bytes, user, name: str = "erp.csv") -> ActualImport:
    result = check(content, user, name)
    assert result.errors == []
    return actuals_import_apply(file_name=name, rows=result.rows, user=user)


# --- reading files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1234.56", D("1234.56")),
        ("1,5", D("1.5")),
        ("-12", D("-12")),
        ("1,234,567.8", D("1234567.8")),
        ("1.234.567,8", D("1234567.8")),
    ],
)
def test_it_reads_german_and_english_numbers(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("abc", "“abc” is not a number."), ("1.2.3", "“1.2.3” is not a number."), ("", "empty")],
)
def test_it_refuses_what_is_no_number(text, reason):
    with pytest.raises(NumberError, match=reason):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-04", APR),
        ("2027-04-01", APR),
        ("04/2027", APR),
        ("04.2027", APR),
        (datetime.datetime(2027, 4, 17), APR),
        ("2027-13", None),
        ("April", None),
        ("2027-04-15", None),
    ],
)
def test_it_reads_months(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("bom", [False, True])
def test_it_reads_both_delimiters_with_and_without_bom(account, owner, revenue, delimiter, bom):
    value = "1.234,56" if delimiter == ";" else "1234.56"
    header = "Kundennummer|Kennzahl|Monat|Wert" if bom else "customer_number|kpi|month|value"
    content = csv_bytes(
        [header, f"{account.customer_number}|revenue|2027-04|{value}"], delimiter, bom
    )
    result = check(content, owner)
    assert result.errors == []
    assert [(row.row_number, row.month, row.value) for row in result.rows] == [
        (2, APR, D("1234.56"))
    ]


def test_it_reads_xlsx(account, owner, revenue):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kundennummer", "Kennzahl", "Monat", "Wert"])
    sheet.append([account.customer_number, "revenue", datetime.datetime(2027, 4, 1), 1234.5])
    sheet.append([account.customer_number, "revenue", "05/2027", "2.000,00"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = check(buffer.getvalue(), owner, "erp.xlsx")
    assert result.errors == []
    assert [(row.month, row.value) for row in result.rows] == [(APR, D("1234.5")), (MAY, D("2000"))]


def test_a_missing_column_is_one_clear_error(account, owner, revenue):
    result = check(csv_bytes(["customer_number|kpi|value", "x|revenue|1"]), owner)
    assert len(result.errors) == 1
    assert result.errors[0].row_number is None
    assert "month" in result.errors[0].reason


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(owner):
    result = check(b"%PDF-1.4", owner, "erp.pdf")
    assert [error.row_number for error in result.errors] == [None]
    broken = check(b"not a zip", owner, "erp.xlsx")
    assert [error.row_number for error in broken.errors] == [None]


def test_more_than_10000_rows_are_refused(account, owner, revenue):
    lines = ["customer_number|kpi|month|value"]
    lines += [f"{account.customer_number}|revenue|2027-04|{n}" for n in range(10_001)]
    result = check(csv_bytes(lines), owner)
    assert len(result.errors) == 1
    assert "10000" in result.errors[0].reason


# --- bad rows: every one listed, nothing written ---------------------------------------------


@pytest.fixture
def bad_rows(account, other_account, revenue, computed):
    number = account.customer_number
    return csv_bytes(
        [
            "customer_number|kpi|month|value",
            f"{number}|revenue|2027-04|100",  # row 2: fine
            "K-NOPE|revenue|2027-04|100",  # 3: unknown customer number
            f"{number}|no_such_kpi|2027-04|100",  # 4: unknown KPI code
            f"{number}|plan_coverage|2027-04|100",  # 5: computed KPI
            f"{number}|revenue|2027-05|zwölf",  # 6: bad number
            f"{number}|revenue|Mai|100",  # 7: bad month
            f"{number}|revenue|04/2027|200",  # 8: duplicate of row 2
            f"{other_account.customer_number}|revenue|2027-04|100",  # 9: not the user's
        ]
    )


def test_every_bad_row_is_listed_with_its_number_and_reason(bad_rows, owner):
    errors = {error.row_number: error.reason for error in check(bad_rows, owner).errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "unknown customer number" in errors[3]
    assert "unknown KPI code" in errors[4]
    assert "computed by the app" in errors[5]
    assert errors[6] == "value: “zwölf” is not a number."
    assert errors[7] == "bad month"
    assert "duplicate" in errors[8] and "2" in errors[8]
    # An account the manager cannot see reads like an unknown one.
    assert "unknown customer number" in errors[9]


def test_an_upload_with_bad_rows_writes_nothing(client, bad_rows, owner):
    client.force_login(owner)
    response = client.post(
        reverse("controlling:import_upload"), {"file": SimpleUploadedFile("erp.csv", bad_rows)}
    )
    assert response.status_code == 200
    assert sorted(error.row_number for error in response.context["errors"]) == [3, 4, 5, 6, 7, 8, 9]
    assert "token" not in response.context
    assert b"Row 3" in response.content
    assert not Actual.objects.exists()
    assert not ActualImport.objects.exists()


def test_a_manager_cannot_import_into_an_account_they_cannot_see(
    client, other_account, owner, revenue
):
    content = csv_bytes(
        ["customer_number|kpi|month|value", f"{other_account.customer_number}|revenue|2027-04|1"]
    )
    client.force_login(owner)
    response = client.post(
        reverse("controlling:import_upload"), {"file": SimpleUploadedFile("erp.csv", content)}
    )
    assert [error.row_number for error in response.context["errors"]] == [2]
    assert not Actual.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wide.csv", (";".join(["x"] * 51) + "\n").encode(), "more than 50 columns"),
        (
            "long.csv",
            b"customer_number;kpi;month;value\nK;revenue;2027-04;" + b"9" * 501,
            "Row 2, column 4: a cell holds more than 500 characters.",
        ),
    ],
)
def test_the_upload_page_names_the_bound_a_file_passes(client, owner, name, content, message):
    client.force_login(owner)
    response = client.post(
        reverse("controlling:import_upload"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert [error.row_number for error in response.context["errors"]] == [None]
    assert message in response.context["errors"][0].reason
    assert message in response.content.decode()


# --- applying, re-importing, rolling back ----------------------------------------------------


def two_rows(account, april="100", may="200") -> bytes:
    return csv_bytes(
        [
            "customer_number|kpi|month|value",
            f"{account.customer_number}|revenue|2027-04|{april}",
            f"{account.customer_number}|revenue|2027-05|{may}",
        ]
    )


def values(account) -> dict:
    return dict(Actual.objects.filter(account=account).values_list("month", "value"))


def test_apply_creates_imported_actuals_and_records_the_import(account, owner, revenue):
    actual_import = apply(two_rows(account), owner)
    assert values(account) == {APR: D("100.00"), MAY: D("200.00")}
    assert set(Actual.objects.values_list("source", "entered_by")) == {
        (ActualSource.IMPORTED, owner.pk)
    }
    assert (actual_import.row_count, actual_import.created_count) == (2, 2)
    assert actual_import.user == owner and actual_import.file_name == "erp.csv"
    assert actual_import.changes.count() == 2


def test_reimporting_the_same_file_changes_nothing(account, owner, revenue):
    apply(two_rows(account), owner)
    before = list(Actual.objects.values_list("pk", "value", "updated_at"))
    history = Actual.history.count()
    again = apply(two_rows(account), owner)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert not again.changes.exists()
    assert list(Actual.objects.values_list("pk", "value", "updated_at")) == before
    assert Actual.history.count() == history


def test_an_import_counts_updates(account, owner, revenue):
    factories.ActualFactory(account=account, kpi=revenue, month=APR, value=D("50"))
    actual_import = apply(two_rows(account), owner)
    assert (actual_import.created_count, actual_import.updated_count) == (1, 1)
    assert values(account) == {APR: D("100.00"), MAY: D("200.00")}


def test_rollback_restores_old_values_and_deletes_created_actuals(account, owner, revenue):
    factories.ActualFactory(account=account, kpi=revenue, month=APR, value=D("50"))
    actual_import = apply(two_rows(account), owner)
    actuals_import_rollback(actual_import=actual_import, user=owner)
    assert values(account) == {APR: D("50.00")}
    actual_import.refresh_from_db()
    assert actual_import.is_rolled_back
    assert actual_import.rolled_back_by == owner and actual_import.rolled_back_at


@pytest.mark.parametrize("who", ["team_member", "leadership"])
def test_the_service_refuses_a_rollback_by_anyone_but_the_importer_or_an_admin(
    account, owner, revenue, who, request
):
    actual_import = apply(two_rows(account), owner)
    with pytest.raises(PermissionDenied):
        actuals_import_rollback(actual_import=actual_import, user=request.getfixturevalue(who))
    assert values(account) == {APR: D("100.00"), MAY: D("200.00")}
    actual_import.refresh_from_db()
    assert not actual_import.is_rolled_back


def test_an_administrator_rolls_back_anyones_import(account, owner, revenue, administrator):
    actual_import = apply(two_rows(account), owner)
    actuals_import_rollback(actual_import=actual_import, user=administrator)
    assert values(account) == {}


def test_rollback_is_refused_after_a_later_manual_change(account, owner, revenue):
    actual_import = apply(two_rows(account), owner)
    Actual.objects.filter(month=APR).update(value=D("7"))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="changed after this import"):
        actuals_import_rollback(actual_import=actual_import, user=owner)
    assert values(account) == {APR: D("7.00"), MAY: D("200.00")}
    actual_import.refresh_from_db()
    assert not actual_import.is_rolled_back


def test_the_pages_preview_apply_and_roll_back(client, account, owner, revenue):
    factories.ActualFactory(account=account, kpi=revenue, month=APR, value=D("100"))
    client.force_login(owner)
    upload = reverse("controlling:import_upload")
    response = client.post(upload, {"file": SimpleUploadedFile("erp.csv", two_rows(account))})
    assert response.context["errors"] == []
    counts = [
        response.context[key] for key in ("created_count", "updated_count", "unchanged_count")
    ]
    assert counts == [1, 0, 1]
    assert not ActualImport.objects.exists()  # a preview writes nothing
    response = client.post(upload, {"token": response.context["token"]})
    actual_import = ActualImport.objects.get()
    assert response.url == reverse("controlling:import_detail", args=[actual_import.pk])
    assert client.get(response.url).status_code == 200
    rollback = reverse("controlling:import_rollback", args=[actual_import.pk])
    assert client.post(rollback).status_code == 302
    assert values(account) == {APR: D("100.00")}


def test_a_tampered_token_is_rejected(client, account, owner, revenue):
    client.force_login(owner)
    upload = reverse("controlling:import_upload")
    response = client.post(upload, {"file": SimpleUploadedFile("erp.csv", two_rows(account))})
    token = response.context["token"]
    assert client.post(upload, {"token": token[:-2] + "xx"}).status_code == 400
    forged = signing.dumps(
        {"file_name": "x.csv", "rows": [[2, account.customer_number, "revenue", "2027-04-01", "1"]]}
    )  # signed without the import's salt
    assert client.post(upload, {"token": forged}).status_code == 400
    assert not Actual.objects.exists()


def test_apply_checks_again_who_may_edit(client, account, owner, outsider, revenue):
    client.force_login(owner)
    upload = reverse("controlling:import_upload")
    token = client.post(upload, {"file": SimpleUploadedFile("erp.csv", two_rows(account))}).context[
        "token"
    ]
    client.force_login(outsider)
    response = client.post(upload, {"token": token})
    assert response.status_code == 200
    assert [error.row_number for error in response.context["errors"]] == [2, 3]
    assert not Actual.objects.exists()


# --- who may do what -------------------------------------------------------------------------


@pytest.fixture
def owners_import(account, owner, revenue):
    return apply(two_rows(account), owner)


def request_url(client, name, method, actual_import, content):
    args = [actual_import.pk] if name in ("import_detail", "import_rollback") else []
    url = reverse(f"controlling:{name}", args=args)
    if method == "get":
        return client.get(url)
    if name == "import_upload":
        return client.post(url, {"file": SimpleUploadedFile("erp.csv", content)})
    return client.post(url)


EXPECTED = {
    # persona: answer per URLS entry
    "owner": [200, 200, 200, 200, 302],
    "administrator": [200, 200, 200, 200, 302],
    "leadership": [200, 403, 403, 200, 403],
    "outsider": [200, 200, 200, 404, 404],
    "team_member": [200, 200, 200, 404, 404],
    "anonymous": [access.LOGIN] * len(URLS),
}


@pytest.mark.parametrize("persona", access.PERSONAS)
def test_every_url_for_every_persona(client, login_as, persona, owners_import, account):
    login_as(persona)
    answers = [
        access.answer(request_url(client, name, method, owners_import, two_rows(account, "1", "2")))
        for name, method in URLS
    ]
    assert answers == EXPECTED[persona]


def test_leadership_cannot_apply(client, leadership, account, owner, revenue):
    client.force_login(owner)
    upload = reverse("controlling:import_upload")
    token = client.post(upload, {"file": SimpleUploadedFile("erp.csv", two_rows(account))}).context[
        "token"
    ]
    client.force_login(leadership)
    assert client.post(upload, {"token": token}).status_code == 403
    assert not Actual.objects.exists()


def test_a_manager_lists_only_their_own_imports_and_leadership_all(
    client, owners_import, outsider, leadership, other_account
):
    apply(two_rows(other_account), outsider)
    client.force_login(outsider)
    mine = client.get(reverse("controlling:import_list")).context["page"].object_list
    assert [item.user for item in mine] == [outsider]
    client.force_login(leadership)
    every = client.get(reverse("controlling:import_list")).context["page"].object_list
    assert [item.user for item in every] == [outsider, owners_import.user]  # newest first


def test_the_import_list_costs_a_fixed_number_of_queries(
    client, administrator, account, owner, revenue, django_assert_max_num_queries
):
    for n in range(30):
        apply(two_rows(account, str(n), str(n)), owner)
    client.force_login(administrator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("controlling:import_list"))
    assert len(response.context["page"].object_list) == 25


def test_a_rolled_back_import_cannot_be_rolled_back_again(client, owners_import, owner):
    client.force_login(owner)
    rollback = reverse("controlling:import_rollback", args=[owners_import.pk])
    client.post(rollback)
    response = client.post(rollback, follow=True)
    assert b"already been rolled back" in response.content
    assert ActualImportChange.objects.count() == 2


def test_customer_numbers_match_trimmed_and_regardless_of_case(account, owner, revenue):
    account.customer_number = "K-10002"
    account.save()
    content = csv_bytes(
        [
            "customer_number|kpi|month|value",
            " k-10002 |revenue|2027-04|100",
            "K-10002|revenue|2027-05|200",
        ]
    )
    result = check(content, owner)
    assert result.errors == []
    apply(content, owner)
    assert values(account) == {APR: D("100.00"), MAY: D("200.00")}
