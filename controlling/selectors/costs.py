"""Action-plan costs plan vs actual per account plan, the binding budget of the strategic
frame, and the contribution margin the measures gained; the dashboard's costs table."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Lower, NullIf

from accounts.models import (
    KeyAccount,
    Tier,
)
from controlling.models import (
    AccountFigures,
    GoalResult,
)
from controlling.selectors.attainment import CONTRIBUTION_MARGIN, REVENUE, TENTH, year_figures
from goals.models import (
    AccountPlan,
    FrameRule,
    FrameRuleKind,
    Goal,
    GoalKind,
    Measure,
    Rollup,
)


@dataclass
class KpiYearToDate:
    plan: Decimal | None = None
    actual: Decimal | None = None


@dataclass
class CostLine:
    """One account's plan of the fiscal year: measure costs against the budget, revenue year to
    date, and the return on the measures."""

    account: KeyAccount
    plan: AccountPlan
    planned_cost: Decimal = Decimal(0)
    actual_cost: Decimal = Decimal(0)
    budget: Decimal | None = None
    revenue: KpiYearToDate = field(default_factory=KpiYearToDate)
    margin_goal: Goal | None = None
    margin_gained: Decimal | None = None

    @property
    def used_percent(self) -> Decimal | None:
        """Actual cost in percent of the budget."""
        if not self.budget:
            return None
        return (self.actual_cost / self.budget * 100).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def planned_over(self) -> bool:
        return self.budget is not None and self.planned_cost > self.budget

    @property
    def actual_over(self) -> bool:
        return self.budget is not None and self.actual_cost > self.budget

    @property
    def return_ratio(self) -> Decimal | None:
        """Contribution margin gained per unit of actual measure cost."""
        if self.margin_gained is None or not self.actual_cost:
            return None
        return (self.margin_gained / self.actual_cost).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def net_return(self) -> Decimal | None:
        if self.margin_gained is None:
            return None
        return self.margin_gained - self.actual_cost


def margin_gained(goal: Goal, months_reported: int) -> Decimal | None:
    """Contribution margin gained: the goal's actual year to date minus its baseline.

    For a summed KPI (contribution margin is a flow) the yearly baseline is taken pro rata for
    the months with an actual, so a year still running compares like with like: 9 months of
    margin against 9/12 of last year's. For an average or last-value roll-up the year-to-date
    figure already compares with the whole baseline. None without a baseline or an actual."""
    state = getattr(goal, "state", None)
    if goal.baseline is None or state is None or state.ytd_actual is None:
        return None
    baseline = goal.baseline
    assert goal.kpi is not None  # a quantitative goal's (goal_quantitative_has_kpi_and_target)
    if goal.kpi.rollup == Rollup.SUM:
        baseline = baseline * months_reported / 12
    return (state.ytd_actual - baseline).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cost_caps() -> dict[str, Decimal]:
    """Tier -> the lowest active cost cap of the strategic frame for it ("" for every tier).
    One query."""
    caps: dict[str, Decimal] = {}
    for tier, cap in FrameRule.objects.filter(
        kind=FrameRuleKind.COST_CAP, active=True, cost_cap__isnull=False
    ).values_list("tier", "cost_cap"):
        assert cap is not None  # filtered above
        caps[tier] = min(cap, caps.get(tier, cap))
    return caps


def binding_budget(
    expense_limit: Decimal | None, tier: str, caps: dict[str, Decimal]
) -> Decimal | None:
    """The plan's expense limit and the frame's cost caps for its tier: the lowest binds (as on
    the plan controlling page)."""
    limits = [x for x in (expense_limit, caps.get(""), caps.get(tier)) if x is not None]
    return min(limits) if limits else None


@dataclass
class CostTotals:
    planned_cost: Decimal = Decimal(0)
    actual_cost: Decimal = Decimal(0)
    budget: Decimal = Decimal(0)
    plans_with_budget: int = 0
    over_budget: int = 0
    margin_gained: Decimal = Decimal(0)
    plans_with_margin: int = 0
    # Costs of the plans whose margin gain is known, so the ratio compares like with like.
    cost_with_margin: Decimal = Decimal(0)

    @property
    def return_ratio(self) -> Decimal | None:
        if not self.cost_with_margin or not self.plans_with_margin:
            return None
        return (self.margin_gained / self.cost_with_margin).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def cost_lines(*, accounts, fiscal_year: int) -> list[CostLine]:
    """Every plan of the fiscal year of the accounts (ids or a queryset), with its costs and
    return, by account name. Five queries however many plans (see `cost_lines_for`)."""
    plans = list(
        AccountPlan.objects.filter(account__in=accounts, fiscal_year=fiscal_year)
        .select_related("account")
        .order_by("account__name", "pk")
    )
    return cost_lines_for(plans)


def cost_lines_for(
    plans: list[AccountPlan], caps: dict[str, Decimal] | None = None
) -> list[CostLine]:
    """The cost lines of these plans (their accounts loaded), in their order. Four queries
    however many plans: measure sums, the revenue and contribution margin goals with their
    states, months reported per margin goal, and the cost caps unless given (`cost_caps`)."""
    plan_ids = [p.pk for p in plans]
    costs = {
        row["plan_id"]: row
        for row in Measure.objects.filter(plan_id__in=plan_ids)
        .values("plan_id")
        .annotate(planned=Sum("planned_cost"), actual=Sum("actual_cost"))
        .order_by()
    }
    goals = list(
        Goal.objects.filter(
            plan_id__in=plan_ids,
            kind=GoalKind.QUANTITATIVE,
            kpi__code__in=[REVENUE, CONTRIBUTION_MARGIN],
        )
        .select_related("kpi", "state")
        .order_by("plan_id", "order", "pk")
    )
    reported = dict(
        GoalResult.objects.filter(
            goal__in=[
                g.pk for g in goals if g.kpi is not None and g.kpi.code == CONTRIBUTION_MARGIN
            ],
            actual__isnull=False,
        )
        .values("goal_id")
        .annotate(n=Count("pk"))
        .values_list("goal_id", "n")
        .order_by()
    )
    first: dict[tuple[int, str], Goal] = {}
    for goal in goals:
        # A plan with two goals on one KPI: the first in the plan's order stands for it.
        assert goal.kpi is not None  # kpi__code__in above
        first.setdefault((goal.plan_id, goal.kpi.code), goal)
    caps = cost_caps() if caps is None else caps
    lines = []
    for plan in plans:
        account = plan.account
        row: Mapping[str, Any] = costs.get(plan.pk, {})
        line = CostLine(
            account=account,
            plan=plan,
            planned_cost=row.get("planned") or Decimal(0),
            actual_cost=row.get("actual") or Decimal(0),
            budget=binding_budget(plan.budget, account.tier, caps),
        )
        revenue = first.get((plan.pk, REVENUE))
        if revenue is not None and getattr(revenue, "state", None) is not None:
            line.revenue = KpiYearToDate(revenue.state.ytd_plan, revenue.state.ytd_actual)
        margin = first.get((plan.pk, CONTRIBUTION_MARGIN))
        if margin is not None:
            line.margin_goal = margin
            line.margin_gained = margin_gained(margin, reported.get(margin.pk, 0))
        lines.append(line)
    return lines


def with_binding(
    figures: QuerySet[AccountFigures], caps: dict[str, Decimal] | None = None
) -> QuerySet[AccountFigures]:
    """The figures with `binding`, the budget that binds their plan (`binding_budget`): the
    plan's expense limit or the frame's cap for the account's tier, whichever is lower. The
    caps (`cost_caps`) are read now unless given, so a changed frame shows at once."""
    money = DecimalField(max_digits=20, decimal_places=2)
    caps = cost_caps() if caps is None else caps
    tier_caps = [
        When(account__tier=tier, then=Value(tier_cap))
        for tier in Tier.values
        if (tier_cap := binding_budget(None, tier, caps)) is not None
    ]
    cap = Case(*tier_caps, default=Value(None), output_field=money)
    return figures.annotate(cap=cap).annotate(
        binding=Case(
            When(budget__isnull=True, then=F("cap")),
            When(Q(cap__isnull=True) | Q(budget__lte=F("cap")), then=F("budget")),
            default=F("cap"),
            output_field=money,
        )
    )


def cost_aggregates() -> dict:
    """Aggregates over `with_binding` figures giving `CostTotals`."""
    return {
        "planned": Sum("planned_cost"),
        "actual": Sum("actual_cost"),
        "budget": Sum("binding"),
        "budgets": Count("binding"),
        "over": Count("pk", filter=Q(actual_cost__gt=F("binding"))),
        "margin": Sum("margin_gained"),
        "margins": Count("margin_gained"),
        "margin_cost": Sum("actual_cost", filter=Q(margin_gained__isnull=False)),
    }


def costs_of(row: dict) -> CostTotals:
    return CostTotals(
        planned_cost=rounded_amount(row["planned"]),
        actual_cost=rounded_amount(row["actual"]),
        budget=rounded_amount(row["budget"]),
        plans_with_budget=row["budgets"],
        over_budget=row["over"],
        margin_gained=rounded_amount(row["margin"]),
        plans_with_margin=row["margins"],
        cost_with_margin=rounded_amount(row["margin_cost"]),
    )


# The costs table's orders. A float ranks the return alike on every database.
COST_ORDERS = {
    "name": (Lower("account__name"), "account_id", "pk"),
    "cost": (F("actual_cost").desc(), Lower("account__name"), "account_id", "pk"),
    # Lowest return first: where money went without margin to show for it.
    "return": (F("rank").asc(nulls_last=True), Lower("account__name"), "account_id", "pk"),
}


class PlanPages:
    """The plans of the fiscal year of the accounts in one of the `COST_ORDERS`, for a
    Paginator: `count` is known (`YearTotals.plans`); a slice is ordered and cut by the
    database over the narrow ids only, then its plans are loaded with their accounts."""

    def __init__(self, *, accounts, fiscal_year: int, sort: str, count: int):
        figures = year_figures(accounts, fiscal_year)
        if sort == "return":
            figures = figures.annotate(
                rank=Cast("margin_gained", FloatField())
                / Cast(NullIf("actual_cost", Value(Decimal(0))), FloatField())
            )
        self.ids = figures.order_by(*COST_ORDERS[sort]).values_list("plan_id", flat=True)
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: slice) -> list[AccountPlan]:
        ids = list(self.ids[key])
        plans = AccountPlan.objects.select_related("account").in_bulk(ids)
        return [plans[pk] for pk in ids]


def cost_totals(lines: Iterable[CostLine]) -> CostTotals:
    totals = CostTotals()
    for line in lines:
        totals.planned_cost += line.planned_cost
        totals.actual_cost += line.actual_cost
        if line.budget is not None:
            totals.budget += line.budget
            totals.plans_with_budget += 1
            totals.over_budget += line.actual_over
        if line.margin_gained is not None:
            totals.margin_gained += line.margin_gained
            totals.plans_with_margin += 1
            totals.cost_with_margin += line.actual_cost
    return totals


def rounded_amount(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
