"""Writes of the controlling app: actuals entered by hand and imported from the ERP."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import KeyAccount
from goals.models import KPIDefinition
from goals.services.goals import month_label, plan_months
from kam.fiscal import fiscal_year_for
from kam.models import User

from .importing import ParseResult, RowError
from .models import Actual, ActualImport, ActualImportChange, ActualSource, ImportStatus
from .runs import recompute_request

CENT = Decimal("0.01")
# Actual.value: 14 digits, 2 of them decimals.
MAX_ACTUAL = Decimal("999999999999.99")


def cell_key(kpi_id: int, month: datetime.date) -> str:
    """The name of a grid cell in forms and error dicts, e.g. "12:2027-04-01"."""
    return f"{kpi_id}:{month.isoformat()}"


def actuals_save(
    *,
    account: KeyAccount,
    values: dict[tuple[int, datetime.date], Decimal | None],
    user: User | None,
    fiscal_year: int | None = None,
) -> None:
    """Save hand-entered actuals of one account: all cells or, on any error, none.

    values maps (KPI id, first day of a month) to an amount; None deletes that month's actual
    (an emptied cell). Every month must lie in one fiscal year (that of the first month
    given, or `fiscal_year` when the caller knows the plan), so a grid of one plan cannot
    write into another year. A value that is not a
    number, has more than two decimals or is too large is refused with an error naming the
    KPI and the month ("Revenue, Apr 2027: enter a number."), keyed by cell_key; so are KPIs
    the app computes itself. Saved actuals are marked as entered by `user`.
    """
    if not values:
        return
    kpis = KPIDefinition.objects.in_bulk({kpi_id for kpi_id, _month in values})
    if fiscal_year is None:
        fiscal_year = fiscal_year_for(min(month for _kpi, month in values))
    months = set(plan_months(fiscal_year))
    errors: dict[str, list[str]] = {}
    for (kpi_id, month), value in sorted(values.items(), key=lambda item: (item[0][1], item[0][0])):
        kpi = kpis.get(kpi_id)
        key = cell_key(kpi_id, month)
        if kpi is None:
            errors.setdefault(NON_FIELD_ERRORS, []).append(_("Unknown KPI."))
            continue
        label = {"kpi": kpi.name, "month": month_label(month)}
        message = None
        if month not in months:
            message = _("%(kpi)s, %(month)s: not a month of this plan's fiscal year.")
        elif kpi.is_computed:
            message = _("%(kpi)s, %(month)s: computed by the app; not entered by hand.")
        elif value is None:
            pass
        elif not isinstance(value, Decimal) or not value.is_finite():
            message = _("%(kpi)s, %(month)s: enter a number.")
        elif value != value.quantize(CENT):
            message = _("%(kpi)s, %(month)s: use at most 2 decimal places.")
        elif abs(value) > MAX_ACTUAL:
            message = _("%(kpi)s, %(month)s: the number is too large.")
        if message:
            errors.setdefault(key, []).append(message % label)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        existing = {
            (actual.kpi_id, actual.month): actual
            for actual in Actual.objects.select_for_update().filter(
                account=account,
                kpi_id__in={kpi_id for kpi_id, _month in values},
                month__in={month for _kpi, month in values},
            )
        }
        now = timezone.now()
        created, changed, deleted = [], [], False
        for (kpi_id, month), value in values.items():
            actual = existing.get((kpi_id, month))
            if value is None:
                if actual is not None:
                    actual.delete()  # one by one, so each deletion is in the history
                    deleted = True
                continue
            if actual is None:
                created.append(
                    Actual(
                        account=account,
                        kpi_id=kpi_id,
                        month=month,
                        value=value,
                        source=ActualSource.ENTERED,
                        entered_by=user,
                    )
                )
            elif actual.value != value or actual.source != ActualSource.ENTERED:
                actual.value = value
                actual.source = ActualSource.ENTERED
                actual.entered_by = user
                actual.updated_at = now  # bulk_update skips auto_now
                changed.append(actual)
        # In bulk, with their history rows, so a grid of many KPIs costs a fixed number of
        # queries.
        if created:
            bulk_create_with_history(created, Actual, default_user=user)
        if changed:
            bulk_update_with_history(
                changed,
                Actual,
                ["value", "source", "entered_by", "updated_at"],
                default_user=user,
            )
        if created or changed or deleted:
            recompute_request(account_ids=[account.pk], reason="actuals entered")


@dataclass(frozen=True)
class ImportRow:
    """A checked row of an import, with the ids it resolved to."""

    row_number: int
    account_id: int
    kpi_id: int
    month: datetime.date
    value: Decimal


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
        account.customer_number: account.pk
        for account in KeyAccount.objects.editable_by(user).filter(
            customer_number__in={row.customer_number for row in parsed.rows}
        )
    }
    kpis = {
        kpi.code: kpi
        for kpi in KPIDefinition.objects.filter(code__in={row.kpi_code for row in parsed.rows})
    }
    rows: list[ImportRow] = []
    seen: dict[tuple[int, int, datetime.date], int] = {}
    for row in parsed.rows:
        account_id = accounts.get(row.customer_number)
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
        if row.value != row.value.quantize(CENT) or abs(row.value) > MAX_ACTUAL:
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
        now = timezone.now()
        created = [
            Actual(
                account_id=row.account_id,
                kpi_id=row.kpi_id,
                month=row.month,
                value=row.value,
                source=ActualSource.IMPORTED,
                entered_by=user,
            )
            for row in plan.created
        ]
        changes = [
            ActualImportChange(
                actual_import=actual_import,
                account_id=row.account_id,
                kpi_id=row.kpi_id,
                month=row.month,
                old_value=None,
                new_value=row.value,
            )
            for row in plan.created
        ]
        changed = []
        for row, actual in plan.updated:
            changes.append(
                ActualImportChange(
                    actual_import=actual_import,
                    account_id=row.account_id,
                    kpi_id=row.kpi_id,
                    month=row.month,
                    old_value=actual.value,
                    new_value=row.value,
                )
            )
            actual.value = row.value
            actual.source = ActualSource.IMPORTED
            actual.entered_by = user
            actual.updated_at = now  # bulk_update skips auto_now
            changed.append(actual)
        if created:
            bulk_create_with_history(created, Actual, default_user=user)
        if changed:
            bulk_update_with_history(
                changed, Actual, ["value", "source", "entered_by", "updated_at"], default_user=user
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
        restored = []
        for change in changes:
            actual = existing[(change.account_id, change.kpi_id, change.month)]
            if change.old_value is None:
                actual.delete()  # one by one, so each deletion is in the history
            else:
                actual.value = change.old_value
                actual.entered_by = user
                actual.updated_at = now
                restored.append(actual)
        if restored:
            bulk_update_with_history(
                restored, Actual, ["value", "entered_by", "updated_at"], default_user=user
            )
        actual_import.status = ImportStatus.ROLLED_BACK
        actual_import.rolled_back_at = now
        actual_import.rolled_back_by = user
        actual_import.save(update_fields=["status", "rolled_back_at", "rolled_back_by"])
        recompute_request(
            account_ids={change.account_id for change in changes},
            reason=f"import {actual_import.pk} rolled back",
        )
