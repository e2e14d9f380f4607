"""Actuals imported from ERP exports (CSV or XLSX): the file read into rows, checked against
the database, previewed, applied as one import record and rolled back. Reading the file and
parsing numbers and months is shared with other imports in kam.tabular."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import KeyAccount, customer_number_key
from controlling.access import can_roll_back_import
from controlling.models import Actual, ActualImport, ActualImportChange, ActualSource, ImportStatus
from controlling.services.actuals import CENT, MAX_ACTUAL
from controlling.services.runs import recompute_request
from controlling.services.upsert import (
    ActualKey,
    actuals_write,
    import_reason,
    rollback_reason,
)
from goals.models import KPIDefinition
from kam.models import User
from kam.tabular import (
    NumberError,
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
        value: Decimal | None = None
        if month is None:
            result.errors.append(RowError(number, _("bad month")))
        try:
            value = parse_number(cell(row, "value"))
        except NumberError as error:
            result.errors.append(RowError(number, _("value: %(reason)s") % {"reason": error}))
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


@dataclass(frozen=True)
class ImportRow:
    """A checked row of an import, with the ids it resolved to."""

    row_number: int
    account_id: int
    kpi_id: int
    month: datetime.date
    value: Decimal

    @property
    def key(self) -> ActualKey:
        return self.account_id, self.kpi_id, self.month


@dataclass
class ImportCheck:
    rows: list[ImportRow]
    errors: list[RowError]


def actuals_import_check(*, parsed: ParseResult, user: User) -> ImportCheck:
    """Resolve customer numbers and KPI codes of parsed rows; every bad row gets its reason.

    An account the user may not edit is reported like an unknown one, so the import reveals
    nothing about accounts outside the user's reach.
    """
    errors = list(parsed.errors)
    accounts = {
        customer_number_key(account.customer_number): account.pk
        for account in KeyAccount.objects.editable_by(user).with_customer_numbers(
            row.customer_number for row in parsed.rows
        )
    }
    kpis = {
        kpi.code: kpi
        for kpi in KPIDefinition.objects.filter(code__in={row.kpi_code for row in parsed.rows})
    }
    rows: list[ImportRow] = []
    seen: dict[tuple[int, int, datetime.date], int] = {}
    for row in parsed.rows:
        account_id = accounts.get(customer_number_key(row.customer_number))
        kpi = kpis.get(row.kpi_code)
        row_errors = []
        if account_id is None:
            row_errors.append(
                _("unknown customer number %(number)s") % {"number": row.customer_number}
            )
        if kpi is None:
            row_errors.append(_("unknown KPI code %(code)s") % {"code": row.kpi_code})
        elif kpi.is_computed:
            row_errors.append(
                _("KPI %(code)s is computed by the app and cannot be imported") % {"code": kpi.code}
            )
        # The size first: quantize would overflow on a huge number (a tampered token).
        if abs(row.value) > MAX_ACTUAL or row.value != row.value.quantize(CENT):
            row_errors.append(_("bad number"))
        if not row_errors and account_id is not None and kpi is not None:
            key = (account_id, kpi.pk, row.month)
            if key in seen:
                row_errors.append(
                    _("duplicate row: same customer, KPI and month as row %(row)d")
                    % {"row": seen[key]}
                )
            else:
                seen[key] = row.row_number
        errors.extend(RowError(row.row_number, reason) for reason in row_errors)
        if not row_errors:
            assert account_id is not None and kpi is not None  # each is an error when None
            rows.append(ImportRow(row.row_number, account_id, kpi.pk, row.month, row.value))
    errors.sort(key=lambda error: error.row_number or 0)
    return ImportCheck(rows=rows, errors=errors)


@dataclass
class ImportPlan:
    created: list[ImportRow]
    updated: list[tuple[ImportRow, Actual]]
    unchanged: list[ImportRow]


def actuals_import_preview(*, rows: list[ImportRow], lock: bool = False) -> ImportPlan:
    """Which rows would create, change or leave an actual as it is."""
    actuals = Actual.objects.filter(
        account_id__in={row.account_id for row in rows},
        kpi_id__in={row.kpi_id for row in rows},
        month__in={row.month for row in rows},
    )
    if lock:
        actuals = actuals.select_for_update()
    existing = {(actual.account_id, actual.kpi_id, actual.month): actual for actual in actuals}
    plan = ImportPlan(created=[], updated=[], unchanged=[])
    for row in rows:
        actual = existing.get((row.account_id, row.kpi_id, row.month))
        if actual is None:
            plan.created.append(row)
        elif actual.value != row.value:
            plan.updated.append((row, actual))
        else:
            plan.unchanged.append(row)
    return plan


def actuals_import_apply(*, file_name: str, rows: list[ImportRow], user: User) -> ActualImport:
    """Upsert the checked rows as imported actuals and record the import with each change.

    An actual that already has the imported value is left untouched, so importing the same
    file twice changes nothing the second time.
    """
    with transaction.atomic():
        plan = actuals_import_preview(rows=rows, lock=True)
        actual_import = ActualImport.objects.create(
            user=user,
            file_name=file_name[:255],
            row_count=len(rows),
            created_count=len(plan.created),
            updated_count=len(plan.updated),
            unchanged_count=len(plan.unchanged),
        )
        existing = {(a.account_id, a.kpi_id, a.month): a for _row, a in plan.updated}
        written = plan.created + [row for row, _actual in plan.updated]
        changes = [
            ActualImportChange(
                actual_import=actual_import,
                account_id=row.account_id,
                kpi_id=row.kpi_id,
                month=row.month,
                old_value=getattr(existing.get(row.key), "value", None),
                new_value=row.value,
            )
            for row in written
        ]
        actuals_write(
            values={row.key: row.value for row in written},
            existing=existing,
            source=ActualSource.IMPORTED,
            user=user,
            now=timezone.now(),
            reason=import_reason(import_id=actual_import.pk, file_name=actual_import.file_name),
        )
        ActualImportChange.objects.bulk_create(changes)
        recompute_request(
            account_ids={change.account_id for change in changes},
            reason=f"import {actual_import.pk}: {actual_import.file_name}",
        )
    return actual_import


def actuals_import_rollback(*, actual_import: ActualImport, user: User) -> None:
    """Put every actual the import touched back as it was before: created ones are deleted,
    changed ones get their old value. Refused when the import was rolled back already or an
    actual was changed after the import, so no later work is lost."""
    if not can_roll_back_import(user, actual_import):
        raise PermissionDenied
    with transaction.atomic():
        actual_import = ActualImport.objects.select_for_update().get(pk=actual_import.pk)
        if actual_import.is_rolled_back:
            raise ValidationError(_("This import has already been rolled back."))
        changes = list(actual_import.changes.all())
        existing = {
            (actual.account_id, actual.kpi_id, actual.month): actual
            for actual in Actual.objects.select_for_update().filter(
                account_id__in={change.account_id for change in changes},
                kpi_id__in={change.kpi_id for change in changes},
                month__in={change.month for change in changes},
            )
        }
        conflicts = 0
        for change in changes:
            actual = existing.get((change.account_id, change.kpi_id, change.month))
            if actual is None or actual.value != change.new_value:
                conflicts += 1
        if conflicts:
            raise ValidationError(
                _(
                    "%(count)d actuals were changed after this import; roll back refused so "
                    "that those changes are not lost."
                )
                % {"count": conflicts}
            )
        now = timezone.now()
        actuals_write(
            values={
                (change.account_id, change.kpi_id, change.month): change.old_value
                for change in changes
            },
            existing=existing,
            source=None,  # a restored value keeps its source
            user=user,
            now=now,
            reason=rollback_reason(import_id=actual_import.pk, file_name=actual_import.file_name),
        )
        actual_import.status = ImportStatus.ROLLED_BACK
        actual_import.rolled_back_at = now
        actual_import.rolled_back_by = user
        actual_import.save(update_fields=["status", "rolled_back_at", "rolled_back_by"])
        recompute_request(
            account_ids={change.account_id for change in changes},
            reason=f"import {actual_import.pk} rolled back",
        )
