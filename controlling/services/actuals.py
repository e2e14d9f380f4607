"""Actuals entered by hand: the plan's grid of KPI x month, saved with history."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import KeyAccount
from controlling.models import Actual, ActualSource
from controlling.selectors.actuals import cell_key
from controlling.services.runs import recompute_request
from controlling.services.upsert import actuals_write
from goals.models import KPIDefinition
from kam.concurrency import cells_merge, cells_refuse, history_last
from kam.fiscal import fiscal_year_for, month_label, plan_months
from kam.models import User

CENT = Decimal("0.01")


# Actual.value: 14 digits, 2 of them decimals.
MAX_ACTUAL = Decimal("999999999999.99")


def _merged(
    account: KeyAccount,
    kpis: Mapping[int, KPIDefinition],
    existing: Mapping[tuple[int, int, datetime.date], Actual],
    values: Mapping[tuple[int, datetime.date], Decimal | str | None],
    seen: Mapping[tuple[int, datetime.date], Decimal | None],
) -> dict[tuple[int, datetime.date], Decimal | str | None]:
    stored = {(kpi_id, month): actual.value for (_a, kpi_id, month), actual in existing.items()}
    write, conflicts = cells_merge(seen=seen, posted=values, stored=stored)
    if conflicts:
        conflicts.sort(key=lambda cell: (cell[1], cell[0]))
        last = history_last(
            Actual.history.filter(  # type: ignore[attr-defined]
                account_id=account.pk,
                kpi_id__in={kpi_id for kpi_id, _month in conflicts},
                month__in={month for _kpi, month in conflicts},
            )
        )
        raise cells_refuse(
            conflicts=conflicts,
            label=lambda cell: (
                _("%(kpi)s, %(month)s") % {"kpi": kpis[cell[0]].name, "month": month_label(cell[1])}
            ),
            last=last,
            stored=stored,
        )
    return write


def actuals_save(
    *,
    account: KeyAccount,
    values: Mapping[tuple[int, datetime.date], Decimal | str | None],
    user: User | None,
    fiscal_year: int | None = None,
    seen: Mapping[tuple[int, datetime.date], Decimal | None] | None = None,
) -> None:
    """Save hand-entered actuals of one account: all cells or, on any error, none.

    values maps (KPI id, first day of a month) to an amount; None deletes that month's actual
    (an emptied cell). Every month must lie in one fiscal year (that of the first month
    given, or `fiscal_year` when the caller knows the plan), so a grid of one plan cannot
    write into another year. A value that is not a
    number, has more than two decimals or is too large is refused with an error naming the
    KPI and the month ("Revenue, Apr 2027: enter a number."), keyed by cell_key; so are KPIs
    the app computes itself. Saved actuals are marked as entered by `user`.

    seen (cell -> the actual the grid showed, None for an empty cell) makes the save
    conditional per cell (kam.concurrency.cells_merge): a cell left as shown keeps what is
    stored, so two people entering different months both succeed; a cell both changed is
    refused with StaleEdit naming the cells and who changed them, and nothing is saved.
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
        # The size before the decimals: quantize overflows the context on a huge number.
        elif abs(value) > MAX_ACTUAL:
            message = _("%(kpi)s, %(month)s: the number is too large.")
        elif value != value.quantize(CENT):
            message = _("%(kpi)s, %(month)s: use at most 2 decimal places.")
        if message:
            errors.setdefault(key, []).append(message % label)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        existing = {
            (actual.account_id, actual.kpi_id, actual.month): actual
            for actual in Actual.objects.select_for_update().filter(
                account=account,
                kpi_id__in={kpi_id for kpi_id, _month in values},
                month__in={month for _kpi, month in values},
            )
        }
        if seen is not None:
            values = _merged(account, kpis, existing, values, seen)
        created, changed, deleted = actuals_write(
            values={
                (account.pk, kpi_id, month): value
                for (kpi_id, month), value in values.items()
                if value is None or isinstance(value, Decimal)  # all are, once checked above
            },
            existing=existing,
            source=ActualSource.ENTERED,
            user=user,
            now=timezone.now(),
        )
        if created or changed or deleted:
            recompute_request(account_ids=[account.pk], reason="actuals entered")
