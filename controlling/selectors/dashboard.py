"""Read models of the leadership dashboard: deviation summary, approval queue, selling funnel
and whitespace, revenue and contribution margin plan vs actual, the year's totals.

Every function costs a fixed number of queries whatever the number of accounts: figures are
grouped in the database and only the accounts of the page being shown are detailed."""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    KeyAccount,
)
from controlling.models import (
    Deviation,
    SellingFigures,
    series_field,
)
from controlling.selectors.attainment import (
    CONTRIBUTION_MARGIN,
    REVENUE,
    TENTH,
    Bands,
    band_aggregates,
    bands_of,
    year_figures,
)
from controlling.selectors.costs import (
    CostTotals,
    cost_aggregates,
    costs_of,
    rounded_amount,
    with_binding,
)
from controlling.selectors.home import severity_order
from goals.models import (
    PathStage,
)
from goals.selectors.workflow import QueuedPlan, approval_queue, queued_plans
from kam.fiscal import month_label, plan_months


def without_jit() -> None:
    """Switch PostgreSQL's JIT compilation off for the rest of the request's transaction.

    The planner compiles a query to machine code when it expects it to be expensive; for the
    aggregates of a large portfolio that compilation took 0.2 to 4 seconds per query in the
    dashboard benchmark (bench/dashboard.py), many times what the query itself takes. With
    ATOMIC_REQUESTS every request is one transaction, so SET LOCAL ends with it."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _deviation_aggregates() -> dict:
    return {
        "open_deviations": Coalesce(Sum("open_deviations"), 0),
        "uncountered_deviations": Coalesce(Sum("uncountered_deviations"), 0),
    }


@dataclass
class DeviationSummary:
    worst: list[Deviation]
    without_countermeasure: list[Deviation]
    open_count: int
    without_count: int


def deviation_summary(
    *, accounts, fiscal_year: int, limit: int = 10, counts: tuple[int, int] | None = None
) -> DeviationSummary:
    """Open deviations of the accounts' goals of the fiscal year: the worst (then oldest), and
    those without a countermeasure, oldest first; counted from the last run's figures unless
    `counts` (open, without countermeasure) come from `year_totals`. Three queries."""
    open_ = Deviation.objects.filter(
        closed_at__isnull=True,
        goal__plan__fiscal_year=fiscal_year,
        goal__plan__account__in=accounts,
    ).select_related("goal__plan__account", "goal__owner")
    if counts is None:
        row = year_figures(accounts, fiscal_year).aggregate(**_deviation_aggregates())
        counts = row["open_deviations"], row["uncountered_deviations"]
    worst = open_.annotate(severity_rank=severity_order()).order_by(
        "-severity_rank", "opened_at", "pk"
    )
    without = open_.filter(countermeasure__isnull=True).order_by("opened_at", "pk")
    return DeviationSummary(
        worst=list(worst[:limit]),
        without_countermeasure=list(without[:limit]),
        open_count=counts[0],
        without_count=counts[1],
    )


@dataclass
class Approvals:
    count: int
    first: list[QueuedPlan]  # the longest waiting, with their frame check


def approvals(*, user, accounts: QuerySet[KeyAccount], limit: int = 10) -> Approvals:
    """The approval queue (goals.selectors.workflow) of the filtered accounts, of every fiscal
    year: plans for next year are submitted during this one. How many plans wait, and the
    frame check of the `limit` waiting longest only."""
    queued = queued_plans(user=user, accounts=accounts)
    return Approvals(count=queued.count(), first=approval_queue(user=user, plans=queued[:limit]))


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    accounts: int  # at this stage
    reached: int  # at this stage or further along the path


@dataclass
class Whitespace:
    open_potential: Decimal
    weighted_potential: Decimal
    positions: int
    top_accounts: list[tuple[KeyAccount, Decimal, Decimal]]  # account, open, weighted


def selling_summary(
    *, accounts, total: int | None = None, top: int = 5
) -> tuple[list[FunnelStep], Whitespace]:
    """From the last run's `SellingFigures` of the accounts (ids, or a queryset with `total`
    saying how many), in two queries however many accounts:

    - the funnel: accounts per stage of the path of the three selling dimensions (the highest
      stage each has reached, as goals.selectors.selling.path_stage_for defines it) and how
      many reached at least each stage; accounts without positions are at the first;
    - the whitespace: open potential (positions at potential identified or offered), also
      weighted by probability, and the `top` accounts with the largest."""
    figures = SellingFigures.objects.filter(account__in=accounts)
    counts: Counter = Counter()
    potential = weighted = Decimal(0)
    positions = 0
    for stage, n, stage_potential, stage_weighted, stage_positions in (
        figures.values("path_stage")
        .annotate(
            n=Count("pk"),
            potential=Sum("open_potential"),
            weighted=Sum("weighted_potential"),
            positions=Sum("open_positions"),
        )
        .values_list("path_stage", "n", "potential", "weighted", "positions")
        .order_by()
    ):
        counts[stage] = n
        potential += stage_potential
        weighted += stage_weighted
        positions += stage_positions
    if total is None:
        total = len(set(accounts))
    counts[PathStage.SINGLE] += total - sum(counts.values())
    steps, reached = [], 0
    for value, label in reversed(PathStage.choices):
        reached += counts[value]
        steps.append(FunnelStep(value, str(label), counts[value], reached))
    ranked = (
        figures.filter(open_potential__gt=0)
        .select_related("account")
        .order_by("-open_potential", "account__name", "account_id")[:top]
    )
    space = Whitespace(
        open_potential=rounded_amount(potential),
        weighted_potential=rounded_amount(weighted),
        positions=positions,
        top_accounts=[
            (
                row.account,
                rounded_amount(row.open_potential),
                rounded_amount(row.weighted_potential),
            )
            for row in ranked
        ],
    )
    return steps[::-1], space


def selling_funnel(*, account_ids, total: int | None = None) -> list[FunnelStep]:
    return selling_summary(accounts=account_ids, total=total, top=0)[0]


def whitespace(*, accounts, top: int = 5) -> Whitespace:
    # total=0: the funnel is not asked for, so the accounts need not be counted.
    return selling_summary(accounts=accounts, total=0, top=top)[1]


@dataclass
class CumulativeSeries:
    """One KPI's months of the fiscal year for a set of accounts: plan and actual per month
    and running totals; the actual line ends at the last month with an actual.

    Like with like: only accounts whose plan has a goal on the KPI and that reported at least
    one actual on it in the year count, for plan and actual alike, so an account that has
    not reported yet does not show as a shortfall."""

    code: str
    label: str
    months: list[datetime.date]
    plan: list[Decimal]
    actual: list[Decimal | None]
    accounts: int  # accounts counted: with a goal on the KPI and an actual
    planned: int  # accounts with a goal on the KPI

    @property
    def month_labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    @property
    def plan_cumulative(self) -> list[Decimal]:
        total, out = Decimal(0), []
        for value in self.plan:
            total += value
            out.append(total)
        return out

    @property
    def actual_cumulative(self) -> list[Decimal | None]:
        last = max((i for i, v in enumerate(self.actual) if v is not None), default=-1)
        total = Decimal(0)
        out: list[Decimal | None] = []
        for index, value in enumerate(self.actual):
            if index > last:
                out.append(None)
                continue
            total += value or 0
            out.append(total)
        return out

    @property
    def ytd(self) -> tuple[Decimal | None, Decimal | None]:
        """Cumulative plan and actual at the last month with an actual."""
        actuals = self.actual_cumulative
        last = max((i for i, v in enumerate(actuals) if v is not None), default=None)
        if last is None:
            return None, None
        return self.plan_cumulative[last], actuals[last]

    @property
    def ytd_percent(self) -> Decimal | None:
        plan, actual = self.ytd
        if not plan or actual is None:
            return None
        return (actual / plan * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


KPI_LABELS = {REVENUE: _("Revenue"), CONTRIBUTION_MARGIN: _("Contribution margin")}


def _series_aggregates() -> dict:
    """Aggregates over `AccountFigures` giving `CumulativeSeries` (see `_series_of`)."""
    sums: dict[str, Aggregate] = {}
    for code in KPI_LABELS:
        goal = Q(**{f"{code}_goal": True})
        sums[f"{code}_planned"] = Count("pk", filter=goal)
        sums[f"{code}_accounts"] = Count("pk", filter=goal & Q(**{f"{code}_reported": True}))
        for index in range(1, 13):
            for kind in ("plan", "actual"):
                name = series_field(code, kind, index)
                sums[name] = Sum(name)
    return sums


def _from_cents(cents) -> Decimal:
    return rounded_amount(Decimal(cents) / 100)


def _series_of(row: dict, fiscal_year: int) -> list[CumulativeSeries]:
    """Revenue and contribution margin of the accounts' plans of the fiscal year, plan against
    actual by month: the last run's figures apply the like-with-like rule and add up two
    goals on one KPI in a plan (as the actuals grid does)."""
    months = plan_months(fiscal_year)
    return [
        CumulativeSeries(
            code=code,
            label=str(label),
            months=months,
            plan=[_from_cents(row[series_field(code, "plan", i)] or 0) for i in range(1, 13)],
            actual=[
                None
                if (cents := row[series_field(code, "actual", i)]) is None
                else _from_cents(cents)
                for i in range(1, 13)
            ],
            accounts=row[f"{code}_accounts"],
            planned=row[f"{code}_planned"],
        )
        for code, label in KPI_LABELS.items()
    ]


@dataclass
class YearTotals:
    """Everything the leadership dashboard adds up over the filtered accounts' plans of a
    fiscal year, from the last run's figures in one query."""

    plans: int
    bands: dict[str, int]  # accounts per attainment band; the rest of `total` have no data
    costs: CostTotals
    open_deviations: int
    uncountered_deviations: int
    series: list[CumulativeSeries]


def year_totals(
    *, accounts, fiscal_year: int, bands: Bands, total: int, caps: dict[str, Decimal] | None = None
) -> YearTotals:
    """`accounts`: ids or a queryset, `total` of them; `caps` as `cost_caps` reads them (read
    here when not given). One query over one row per plan (two without `caps`)."""
    row = with_binding(year_figures(accounts, fiscal_year), caps).aggregate(
        plans=Count("pk"),
        **band_aggregates(bands),
        **cost_aggregates(),
        **_deviation_aggregates(),
        **_series_aggregates(),
    )
    return YearTotals(
        plans=row["plans"],
        bands=bands_of(row, total),
        costs=costs_of(row),
        open_deviations=row["open_deviations"],
        uncountered_deviations=row["uncountered_deviations"],
        series=_series_of(row, fiscal_year),
    )


def currencies(accounts) -> list[str]:
    """The distinct currencies of the accounts: sums across them are only meaningful in one."""
    return sorted(
        KeyAccount.objects.filter(pk__in=accounts.values("pk"))
        .values_list("currency", flat=True)
        .distinct()
        .order_by()
    )
