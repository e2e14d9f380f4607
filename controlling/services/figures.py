"""The dashboard's figures per account (`AccountFigures`, `SellingFigures`), kept by the
controlling run: every chunk refreshes the figures of its accounts after computing their
goals and deviations, so the leadership dashboard adds up one row per account and fiscal
year instead of reading every goal state, target, actual and measure of the portfolio.

Each figure is computed by the same rule as the page computes it for the accounts it shows
(`dashboards.Attainment`, `dashboards.cost_lines_for`, `dashboards.cumulative_series`'s like
with like, `goals.selectors.selling.path_stage_for`); tests hold the two equal. Changes that
move these figures (actuals, targets, goals, approvals, measures, selling positions) mark the
account for the next run (controlling.services.runs.recompute_request), as they do for goal states.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from controlling.models import (
    SERIES_CODES,
    AccountFigures,
    Actual,
    Deviation,
    SellingFigures,
    series_field,
)
from controlling.selectors.attainment import attainment_aggregates
from controlling.selectors.costs import cost_lines_for
from goals.models import (
    OPEN_STAGES,
    SOLD_STAGES,
    AccountPlan,
    Goal,
    GoalKind,
    MonthlyTarget,
    OfferingKind,
    SellingPosition,
    SellingStage,
)
from goals.selectors.selling import SERVICE_KINDS, path_stage_for
from kam.fiscal import fiscal_year_for

# Everything a refresh rewrites: all but the key.
FIGURE_FIELDS = [
    f.name
    for f in AccountFigures._meta.concrete_fields
    if f.name not in ("id", "account", "fiscal_year")
]


def cents(amount: Decimal) -> int:
    """Amounts have two decimal places, so this is exact."""
    return int(amount * 100)


def month_index(month) -> int:
    """1 for the fiscal year's first month, 12 for its last."""
    return (month.month - settings.KAM_FISCAL_YEAR_START_MONTH) % 12 + 1


@transaction.atomic
def figures_refresh(*, account_ids: Iterable[int]) -> int:
    """Recompute the figures of these accounts, every fiscal year, from what the controlling
    run stored and the plans hold. A fixed number of queries for any number of accounts;
    returns the number of account-year rows written."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    now = timezone.now()
    plans = list(
        AccountPlan.objects.filter(account_id__in=ids)
        .select_related("account")
        .order_by("account_id", "fiscal_year")
    )
    rows: dict[tuple[int, int], AccountFigures] = {}
    for plan in plans:
        rows[(plan.account_id, plan.fiscal_year)] = AccountFigures(
            account_id=plan.account_id,
            fiscal_year=plan.fiscal_year,
            plan=plan,
            budget=plan.budget,
            computed_at=now,
        )

    def row(account_id: int, fiscal_year: int) -> AccountFigures:
        key = (account_id, fiscal_year)
        if key not in rows:
            rows[key] = AccountFigures(
                account_id=account_id, fiscal_year=fiscal_year, computed_at=now
            )
        return rows[key]

    by_plan = {plan.pk: rows[(plan.account_id, plan.fiscal_year)] for plan in plans}
    aggregates = attainment_aggregates()
    for plan_id, weighted, weights in (
        Goal.objects.filter(plan_id__in=by_plan)
        .values("plan_id")
        .annotate(weighted=aggregates["weighted"], weights=aggregates["weights"])
        .values_list("plan_id", "weighted", "weights")
        .order_by()
    ):
        by_plan[plan_id].attainment_weighted = weighted or Decimal(0)
        by_plan[plan_id].attainment_weights = weights or 0

    for line in cost_lines_for(plans):
        figures = by_plan[line.plan.pk]
        figures.planned_cost = line.planned_cost
        figures.actual_cost = line.actual_cost
        figures.margin_gained = line.margin_gained

    for plan_id, open_, uncountered in (
        Deviation.objects.filter(goal__plan_id__in=by_plan, closed_at__isnull=True)
        .values("goal__plan_id")
        .annotate(n=Count("pk"), without=Count("pk", filter=Q(countermeasure__isnull=True)))
        .values_list("goal__plan_id", "n", "without")
        .order_by()
    ):
        by_plan[plan_id].open_deviations = open_
        by_plan[plan_id].uncountered_deviations = uncountered

    _series(rows, by_plan, row, ids)

    # Years without a plan or revenue any more go first: a plan moved to another year
    # would otherwise be on two rows for a moment.
    years: dict[int, list[int]] = defaultdict(list)
    for account_id, fiscal_year in rows:
        years[fiscal_year].append(account_id)
    kept = Q(pk__in=[])
    for fiscal_year, accounts in years.items():
        kept |= Q(fiscal_year=fiscal_year, account_id__in=accounts)
    AccountFigures.objects.filter(account_id__in=ids).exclude(kept).delete()
    # Upserts in one order, not delete and insert: two runs refreshing the same account (an
    # accounts run beside the nightly one) then wait for each other instead of colliding.
    AccountFigures.objects.bulk_create(
        [rows[key] for key in sorted(rows)],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["account", "fiscal_year"],
        update_fields=FIGURE_FIELDS,
    )
    _selling_refresh(ids, now)
    return len(rows)


def _series(rows, by_plan, row, ids: list[int]) -> None:
    """Revenue (also the portfolio's bubble size) and the monthly plan and actual of the
    series KPIs, like with like: a plan month counts when the account reported on the KPI in
    the year, an actual month when the year's plan has a goal on the KPI."""
    goals = Goal.objects.filter(
        plan_id__in=by_plan, kind=GoalKind.QUANTITATIVE, kpi__code__in=SERIES_CODES
    )
    for plan_id, code in goals.values_list("plan_id", "kpi__code").distinct().order_by():
        setattr(by_plan[plan_id], f"{code}_goal", True)

    actuals: dict[tuple[int, int, str], dict[int, Decimal]] = defaultdict(dict)
    for account_id, code, month, total in (
        Actual.objects.filter(account_id__in=ids, kpi__code__in=SERIES_CODES)
        .values("account_id", "kpi__code", "month")
        .annotate(total=Sum("value"))
        .values_list("account_id", "kpi__code", "month", "total")
        .order_by()
    ):
        actuals[(account_id, fiscal_year_for(month), code)][month_index(month)] = total
    for (account_id, fiscal_year, code), months in actuals.items():
        figures = row(account_id, fiscal_year)
        setattr(figures, f"{code}_reported", True)
        if code == "revenue":
            figures.revenue = sum(months.values(), Decimal(0))
        if getattr(figures, f"{code}_goal"):
            for index, total in months.items():
                setattr(figures, series_field(code, "actual", index), cents(total))

    plans: dict[tuple[int, str], dict[int, Decimal]] = defaultdict(dict)
    for plan_id, code, month, total in (
        MonthlyTarget.objects.filter(goal__in=goals)
        .values("goal__plan_id", "goal__kpi__code", "month")
        .annotate(total=Sum("value"))
        .values_list("goal__plan_id", "goal__kpi__code", "month", "total")
        .order_by()
    ):
        plans[(plan_id, code)][month_index(month)] = total
    for (plan_id, code), months in plans.items():
        figures = by_plan[plan_id]
        if getattr(figures, f"{code}_reported"):
            for index, total in months.items():
                setattr(figures, series_field(code, "plan", index), cents(total))


def _selling_refresh(ids: list[int], now) -> None:
    """Path stage (the funnel) and open potential (whitespace) of the accounts with selling
    positions; an account without any is at the first stage with no potential, and has no
    row."""
    sold = Q(stage__in=SOLD_STAGES)
    open_ = Q(stage__in=OPEN_STAGES)
    weighted = ExpressionWrapper(
        F("potential_revenue") * F("probability") / 100,
        output_field=DecimalField(max_digits=22, decimal_places=4),
    )
    figures = [
        SellingFigures(
            account_id=row["account_id"],
            path_stage=path_stage_for(
                joint_developments=row["joint"],
                solutions_sold=row["solutions"],
                sites_served=row["sites"],
                products_sold=row["products"],
            ),
            open_potential=row["potential"] or Decimal(0),
            weighted_potential=row["weighted"] or Decimal(0),
            open_positions=row["positions"],
            computed_at=now,
        )
        for row in SellingPosition.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(
            joint=Count("pk", filter=Q(stage=SellingStage.JOINT_DEVELOPMENT)),
            solutions=Count(
                "pk",
                filter=sold & (Q(offering__kind__in=SERVICE_KINDS) | Q(stage=SellingStage.BUNDLED)),
            ),
            sites=Count("site", filter=sold & Q(site__isnull=False), distinct=True),
            products=Count(
                "offering", filter=sold & Q(offering__kind=OfferingKind.PRODUCT), distinct=True
            ),
            potential=Sum("potential_revenue", filter=open_),
            weighted=Sum(weighted, filter=open_),
            positions=Count("pk", filter=open_),
        )
        .order_by()
    ]
    SellingFigures.objects.bulk_create(
        sorted(figures, key=lambda f: f.account_id),
        batch_size=500,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=[f.name for f in SellingFigures._meta.concrete_fields if not f.primary_key],
    )
    SellingFigures.objects.filter(account_id__in=ids).exclude(
        account_id__in=[f.account_id for f in figures]
    ).delete()
