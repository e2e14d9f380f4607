"""Actuals the app computes from its own data, for KPIs whose source is "computed".

computed_actuals_refresh() writes one month's computed actuals for many accounts with a
fixed number of queries (reads per KPI family, then bulk inserts, updates and deletes with
their history rows). The rules are documented in docs/architecture.md ("Computed actuals").
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts.models import KeyAccount, Stakeholder
from controlling.models import Actual, ActualSource
from controlling.services.upsert import ActualKey, actuals_write
from goals.models import AccountPlan, KPIDefinition, Measure, Source
from goals.selectors.selling import dimension_metrics
from kam.fiscal import fiscal_year_for

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
BATCH = 1000

CONTACT_COVERAGE = "contact_coverage"
ACTION_PLAN_COST = "action_plan_cost"
# Selling-dimension KPIs: attribute names of goals.selectors.selling.DimensionMetrics.
SELLING = ("product_groups_sold", "sites_served", "solution_revenue_share")
COMPUTED_CODES = (CONTACT_COVERAGE, ACTION_PLAN_COST, *SELLING)


@dataclass(frozen=True)
class RefreshResult:
    created: int
    updated: int
    deleted: int


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def computed_actuals_refresh(
    *,
    account_ids: Iterable[int] | None,
    month: datetime.date,
    today: datetime.date | None = None,
    reason: str | None = None,
) -> RefreshResult:
    """Write the computed actuals of these accounts (None: all) for one month.

    A value that cannot be computed (an account without stakeholders has no contact
    coverage) removes an earlier computed actual instead, so a refresh always leaves what
    the data says now. The selling-dimension KPIs are a snapshot of the whitespace matrix,
    which has no history: they are written only for the current month (by `today`), and
    past months keep the snapshot they had when that month was current. `reason` names the
    run for the audit.
    """
    month = month.replace(day=1)
    today = today or timezone.localdate()
    kpis = {
        kpi.code: kpi
        for kpi in KPIDefinition.objects.filter(code__in=COMPUTED_CODES, source=Source.COMPUTED)
    }
    if not kpis:
        return RefreshResult(0, 0, 0)
    if account_ids is None:
        ids = list(KeyAccount.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = list(dict.fromkeys(account_ids))
    if not ids:
        return RefreshResult(0, 0, 0)

    values: dict[tuple[int, int], Decimal] = {}  # (account id, KPI id) -> value
    refreshed: set[int] = set()  # KPIs whose values this refresh is the authority on
    if CONTACT_COVERAGE in kpis:
        kpi = kpis[CONTACT_COVERAGE]
        refreshed.add(kpi.pk)
        as_of = min(month_end(month), today)
        for account_id, value in contact_coverage(account_ids=ids, as_of=as_of).items():
            values[account_id, kpi.pk] = value
    if ACTION_PLAN_COST in kpis:
        kpi = kpis[ACTION_PLAN_COST]
        refreshed.add(kpi.pk)
        for account_id, value in action_plan_cost(account_ids=ids, month=month).items():
            values[account_id, kpi.pk] = value
    selling = [kpis[code] for code in SELLING if code in kpis]
    if selling and month == today.replace(day=1):
        refreshed.update(kpi.pk for kpi in selling)
        for account_id, metrics in dimension_metrics(account_ids=ids).items():
            for kpi in selling:
                value = getattr(metrics, kpi.code)
                if value is not None:
                    values[account_id, kpi.pk] = Decimal(value).quantize(CENT)
    if not refreshed:
        return RefreshResult(0, 0, 0)
    return _write(ids=ids, kpi_ids=refreshed, month=month, values=values, reason=reason)


def contact_coverage(*, account_ids: list[int], as_of: datetime.date) -> dict[int, Decimal]:
    """Per account with stakeholders: the percentage of them whose last interaction up to
    `as_of` lies within their desired contact interval before `as_of`."""
    stakeholders = (
        Stakeholder.objects.filter(account_id__in=account_ids)
        .annotate(last=Max("interactions__date", filter=Q(interactions__date__lte=as_of)))
        .values_list("account_id", "contact_interval_days", "last")
        .order_by()
    )
    totals: dict[int, list[int]] = {}
    for account_id, interval, last in stakeholders:
        total = totals.setdefault(account_id, [0, 0])
        total[0] += 1
        if last is not None and (as_of - last).days <= interval:
            total[1] += 1
    return {
        account_id: (Decimal(covered) * HUNDRED / count).quantize(CENT, rounding=ROUND_HALF_UP)
        for account_id, (count, covered) in totals.items()
    }


def action_plan_cost(*, account_ids: list[int], month: datetime.date) -> dict[int, Decimal]:
    """Per account with a plan for the month's fiscal year: the actual cost of its plans'
    measures due in that month (0 when none is due). A measure's cost is booked in the month
    of its due date, as measures record one actual cost, not a cost per month."""
    planned = set(
        AccountPlan.objects.filter(
            account_id__in=account_ids, fiscal_year=fiscal_year_for(month)
        ).values_list("account_id", flat=True)
    )
    costs = dict(
        Measure.objects.filter(
            plan__account_id__in=planned,
            due_date__gte=month,
            due_date__lte=month_end(month),
        )
        .values("plan__account_id")
        .annotate(cost=Sum("actual_cost"))
        .values_list("plan__account_id", "cost")
        .order_by()
    )
    return {account_id: costs.get(account_id) or Decimal(0) for account_id in planned}


def _write(
    *,
    ids: list[int],
    kpi_ids: set[int],
    month: datetime.date,
    values: dict[tuple[int, int], Decimal],
    reason: str | None,
) -> RefreshResult:
    """Upsert `values` as computed actuals and delete computed actuals of the refreshed KPIs
    that have no value any more; unchanged rows are left alone, so a repeat writes nothing."""
    with transaction.atomic():
        existing = {
            (actual.account_id, actual.kpi_id, month): actual
            for actual in Actual.objects.select_for_update().filter(
                account_id__in=ids, kpi_id__in=kpi_ids, month=month
            )
        }
        wanted: dict[ActualKey, Decimal | None] = {
            (account_id, kpi_id, month): value for (account_id, kpi_id), value in values.items()
        }
        for key, actual in existing.items():
            if key not in wanted and actual.source == ActualSource.COMPUTED:
                wanted[key] = None  # no value any more
        created, changed, stale = actuals_write(
            values=wanted,
            existing=existing,
            source=ActualSource.COMPUTED,
            user=None,
            now=timezone.now(),
            batch_size=BATCH,
            reason=reason,
        )
    return RefreshResult(len(created), len(changed), len(stale))
