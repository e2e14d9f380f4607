"""The plan controlling page's read model: the stored results of the controlling run (never
recomputed here), the plan's measure costs against its budget, and its open deviations."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from controlling.models import Deviation, GoalRating, GoalResult, GoalState
from goals.models import AccountPlan, FrameRule, FrameRuleKind, Goal, GoalKind, Rollup, roll_up
from goals.selectors.measures import FrameSummary, frame_summary
from kam.charts import ChartTable, Column, Row, plan_actual_lines
from kam.fiscal import month_label, plan_months


@dataclass(frozen=True)
class MonthFigures:
    month: datetime.date
    result: GoalResult | None  # None: the run stored nothing for this month (no target)
    rating: GoalRating | None = None


@dataclass
class GoalControlling:
    goal: Goal
    state: GoalState | None
    months: list[MonthFigures]
    open_deviations: int = 0

    @property
    def is_quantitative(self) -> bool:
        return self.goal.kind == GoalKind.QUANTITATIVE

    @property
    def has_results(self) -> bool:
        return any(m.result is not None for m in self.months)

    @property
    def decimals(self) -> int:
        return 2 if self.is_quantitative else 0

    @property
    def fmt(self) -> str:
        """floatformat argument: amounts with two decimals grouped by locale, ratings whole."""
        return "2g" if self.is_quantitative else "0"

    @property
    def rollup(self) -> str:
        return self.goal.kpi.rollup if self.goal.kpi is not None else Rollup.LAST

    @property
    def cumulative(self) -> bool:
        return self.rollup == Rollup.SUM


@dataclass(frozen=True)
class Costs:
    """The plan's measure costs against its budget: the plan's expense limit and the
    strategic frame's cost cap for its tier; the lower one binds."""

    summary: FrameSummary
    expense_limit: Decimal | None
    frame_cap: Decimal | None

    @property
    def budget(self) -> Decimal | None:
        limits = [x for x in (self.expense_limit, self.frame_cap) if x is not None]
        return min(limits) if limits else None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.summary.planned_total

    @property
    def planned_over(self) -> bool:
        return self.budget is not None and self.summary.planned_total > self.budget

    @property
    def actual_over(self) -> bool:
        return self.budget is not None and self.summary.actual_total > self.budget

    def _percent(self, amount: Decimal) -> Decimal | None:
        if not self.budget:
            return None
        return min(amount / self.budget * 100, Decimal(100)).quantize(Decimal("0.1"))

    @property
    def planned_percent(self) -> Decimal | None:
        return self._percent(self.summary.planned_total)

    @property
    def actual_percent(self) -> Decimal | None:
        return self._percent(self.summary.actual_total)


@dataclass
class PlanControlling:
    months: list[tuple[datetime.date, str]]
    goals: list[GoalControlling]
    costs: Costs
    deviations: list[Deviation]
    rating_months: list[datetime.date] = field(default_factory=list)

    @property
    def quantitative(self) -> list[GoalControlling]:
        return [g for g in self.goals if g.is_quantitative]

    def goal(self, pk) -> GoalControlling | None:
        return next((g for g in self.goals if str(g.goal.pk) == str(pk)), None)


def frame_cost_cap(plan: AccountPlan) -> Decimal | None:
    """The lowest active cost cap of the strategic frame for the plan's tier (or every tier)."""
    rules = FrameRule.objects.filter(
        Q(tier="") | Q(tier=plan.account.tier),
        kind=FrameRuleKind.COST_CAP,
        active=True,
        cost_cap__isnull=False,
    )
    return rules.aggregate(cap=Min("cost_cap"))["cap"]


def rating_months(plan: AccountPlan, today: datetime.date) -> list[datetime.date]:
    """The months a rating may be entered for: the fiscal year's months up to this one."""
    this_month = today.replace(day=1)
    return [m for m in plan_months(plan.fiscal_year) if m <= this_month]


def plan_controlling(*, plan: AccountPlan, today: datetime.date | None = None) -> PlanControlling:
    """Six queries, whatever the number of goals, months and measures."""
    today = today or timezone.localdate()
    months = plan_months(plan.fiscal_year)
    goals = list(plan.goals.select_related("kpi", "owner", "state").order_by("order", "pk"))
    results: dict[tuple[int, datetime.date], GoalResult] = {
        (r.goal_id, r.month): r for r in GoalResult.objects.filter(goal__plan=plan)
    }
    ratings: dict[tuple[int, datetime.date], GoalRating] = {
        (r.goal_id, r.month): r
        for r in GoalRating.objects.filter(goal__plan=plan).select_related("rated_by")
    }
    deviations = list(
        Deviation.objects.filter(goal__plan=plan, closed_at__isnull=True)
        .select_related("goal")
        .order_by("opened_at", "pk")
    )
    open_by_goal: dict[int, int] = {}
    for deviation in deviations:
        open_by_goal[deviation.goal_id] = open_by_goal.get(deviation.goal_id, 0) + 1
    rows = []
    for goal in goals:
        rows.append(
            GoalControlling(
                goal=goal,
                state=getattr(goal, "state", None),
                months=[
                    MonthFigures(
                        month=m,
                        result=results.get((goal.pk, m)),
                        rating=ratings.get((goal.pk, m)),
                    )
                    for m in months
                ],
                open_deviations=open_by_goal.get(goal.pk, 0),
            )
        )
    costs = Costs(
        summary=frame_summary(plan=plan, today=today),
        expense_limit=plan.budget,
        frame_cap=frame_cost_cap(plan),
    )
    return PlanControlling(
        months=[(m, month_label(m)) for m in months],
        goals=rows,
        costs=costs,
        deviations=deviations,
        rating_months=rating_months(plan, today),
    )


def goal_chart(row: GoalControlling) -> tuple[dict, ChartTable]:
    """Plan against actual over the fiscal year, year to date: cumulative for summed KPIs,
    the running average or the latest value for the others, each by the KPI's roll-up.

    The plan line runs through all twelve months; the actual line ends at the last month
    with an actual, taking the run's stored year-to-date figure."""
    plans, actuals = [], []
    as_of = row.state.as_of if row.state else None
    for index, figures in enumerate(row.months):
        so_far = [m.result.plan if m.result else None for m in row.months[: index + 1]]
        plans.append(roll_up(row.rollup, so_far))
        result = figures.result
        reported = as_of is not None and figures.month <= as_of
        actuals.append(result.ytd_actual if reported and result is not None else None)
    labels = [month_label(m.month) for m in row.months]
    if row.cumulative:
        plan_label, actual_label = _("Plan, cumulative"), _("Actual, cumulative")
    else:
        plan_label, actual_label = _("Plan, year to date"), _("Actual, year to date")
    config = plan_actual_lines(
        labels,
        plans,
        actuals,
        plan_label=plan_label,
        actual_label=actual_label,
        begin_at_zero=row.cumulative,
        decimals=row.decimals,
    )
    table = ChartTable(
        columns=[
            Column(_("Month")),
            Column(str(plan_label), decimals=row.decimals),
            Column(str(actual_label), decimals=row.decimals),
        ],
        rows=[
            Row(cells=[label, plan, actual])
            for label, plan, actual in zip(labels, plans, actuals, strict=True)
        ],
    )
    return config, table
