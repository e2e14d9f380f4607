"""Reads for comparing two plans of an account, printing a plan and starting one from templates."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Count, Prefetch, Sum

from kam.fiscal import plan_months

from ..models import (
    AccountPlan,
    Goal,
    GoalKind,
    GoalTemplateSet,
    Instrument,
    Measure,
    MeasureStatus,
    MonthlyTarget,
)
from .plans import SwotQuadrant, swot_grid

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def template_sets_for(*, account) -> list[GoalTemplateSet]:
    """The active template sets of the account's tier, each with its templates (2 queries)."""
    return list(
        GoalTemplateSet.objects.filter(tier=account.tier, active=True).prefetch_related(
            "templates__kpi", "templates__seasonal_profile"
        )
    )


def _goals_with_targets(plans):
    return (
        Goal.objects.filter(plan__in=plans)
        .select_related("kpi", "owner")
        .prefetch_related(Prefetch("targets", queryset=MonthlyTarget.objects.order_by("month")))
        .order_by("order", "pk")
    )


def _month_values(goal: Goal, months: list[datetime.date]) -> list[Decimal | None]:
    by_month = {target.month: target.value for target in goal.targets.all()}
    return [by_month.get(month) for month in months]


# A change of amounts (Decimal) or of ratings (int).
_Figure = TypeVar("_Figure", Decimal, int)


def _change(a: _Figure | None, b: _Figure | None) -> _Figure | None:
    return None if a is None or b is None else b - a


# --- compare ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPair:
    month_a: datetime.date
    value_a: Decimal | None
    month_b: datetime.date
    value_b: Decimal | None

    @property
    def change(self) -> Decimal | None:
        return _change(self.value_a, self.value_b)


@dataclass
class GoalPair:
    a: Goal
    b: Goal
    months: list[MonthPair] = field(default_factory=list)

    @property
    def is_quantitative(self) -> bool:
        return self.a.is_quantitative

    @property
    def baseline_change(self) -> Decimal | None:
        return _change(self.a.baseline, self.b.baseline)

    @property
    def target_change(self) -> Decimal | int | None:
        if not self.is_quantitative:
            return _change(self.a.target_rating, self.b.target_rating)
        return _change(self.a.annual_target, self.b.annual_target)

    @property
    def target_change_percent(self) -> Decimal | None:
        """The change of the annual target in percent of plan A's; None when A's is zero."""
        if not self.is_quantitative or not self.a.annual_target or self.target_change is None:
            return None
        return self.target_change / abs(self.a.annual_target) * 100


@dataclass(frozen=True)
class InstrumentRow:
    instrument: str
    label: "StrOrPromise"
    count_a: int
    cost_a: Decimal
    count_b: int
    cost_b: Decimal


@dataclass
class PlanComparison:
    a: AccountPlan
    b: AccountPlan
    pairs: list[GoalPair]
    only_a: list[Goal]
    only_b: list[Goal]
    instruments: list[InstrumentRow]

    @property
    def measure_totals(self) -> InstrumentRow:
        rows = self.instruments
        return InstrumentRow(
            "",
            "",
            sum(r.count_a for r in rows),
            sum((r.cost_a for r in rows), Decimal(0)),
            sum(r.count_b for r in rows),
            sum((r.cost_b for r in rows), Decimal(0)),
        )


def _match_keys(goals: list[Goal]) -> dict[tuple, Goal]:
    """Quantitative goals match by KPI, qualitative ones by title (case and spaces ignored);
    the n-th goal on a KPI or title in one plan matches the n-th in the other."""
    keyed: dict[tuple, Goal] = {}
    seen: dict[tuple, int] = defaultdict(int)
    for goal in goals:
        base: tuple[str, int | str | None]
        if goal.kind == GoalKind.QUANTITATIVE:
            base = ("kpi", goal.kpi_id)
        else:
            base = ("title", " ".join(goal.title.split()).casefold())
        keyed[(*base, seen[base])] = goal
        seen[base] += 1
    return keyed


def compare_plans(*, a: AccountPlan, b: AccountPlan) -> PlanComparison:
    """Two plans side by side: matched goals with their changes and monthly targets, the goals
    found in only one plan, and measures counted and costed by instrument. Three queries."""
    goals_a: list[Goal] = []
    goals_b: list[Goal] = []
    for goal in _goals_with_targets([a, b]):
        (goals_a if goal.plan_id == a.pk else goals_b).append(goal)
    if a.pk == b.pk:
        goals_b = goals_a
    keyed_a, keyed_b = _match_keys(goals_a), _match_keys(goals_b)
    months_a, months_b = plan_months(a.fiscal_year), plan_months(b.fiscal_year)
    pairs = []
    for key, goal_a in keyed_a.items():
        goal_b = keyed_b.get(key)
        if goal_b is None:
            continue
        pair = GoalPair(goal_a, goal_b)
        if goal_a.is_quantitative:
            values_a, values_b = _month_values(goal_a, months_a), _month_values(goal_b, months_b)
            pair.months = [
                MonthPair(*month_values)
                for month_values in zip(months_a, values_a, months_b, values_b, strict=True)
            ]
        pairs.append(pair)

    totals: defaultdict[tuple[int, str], tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for row in (
        Measure.objects.filter(plan__in=[a, b])
        .values("plan_id", "instrument")
        .annotate(count=Count("pk"), cost=Sum("planned_cost"))
        .order_by()
    ):
        totals[(row["plan_id"], row["instrument"])] = (row["count"], row["cost"])
    instruments = [
        InstrumentRow(value, label, *totals[(a.pk, value)], *totals[(b.pk, value)])
        for value, label in Instrument.choices
        if (a.pk, value) in totals or (b.pk, value) in totals
    ]
    return PlanComparison(
        a=a,
        b=b,
        pairs=pairs,
        only_a=[g for k, g in keyed_a.items() if k not in keyed_b],
        only_b=[g for k, g in keyed_b.items() if k not in keyed_a],
        instruments=instruments,
    )


# --- print ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintGoal:
    goal: Goal
    values: list[Decimal | None]
    total: Decimal | None


@dataclass
class PlanPrint:
    plan: AccountPlan
    months: list[datetime.date]
    swot: list[SwotQuadrant]
    goals: list[PrintGoal]
    measures: list[Measure]
    planned_cost: Decimal
    transitions: list

    @property
    def quantitative(self) -> list[PrintGoal]:
        return [row for row in self.goals if row.goal.is_quantitative]

    @property
    def budget_left(self) -> Decimal | None:
        if self.plan.budget is None:
            return None
        return self.plan.budget - self.planned_cost

    @property
    def budget_gap(self) -> Decimal | None:
        """How far the planned cost is from the limit, either way (the label says which)."""
        left = self.budget_left
        return None if left is None else abs(left)


def plan_print(*, plan: AccountPlan) -> PlanPrint:
    """Everything on a plan for the print view, in a fixed number of queries.

    A goal's year total rolls its months up by its KPI (a sum for revenue, an average for a
    share). The planned cost leaves cancelled measures out.
    """
    months = plan_months(plan.fiscal_year)
    goals = _goals_with_targets([plan]).prefetch_related("stakeholders")
    rows = []
    for goal in goals:
        values = _month_values(goal, months) if goal.is_quantitative else []
        total = goal.kpi.roll_up(values) if goal.is_quantitative else None
        rows.append(PrintGoal(goal, values, total))
    measures = list(
        plan.measures.select_related("owner").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("order", "pk"))
        )
    )
    planned_cost = sum(
        (m.planned_cost for m in measures if m.status != MeasureStatus.CANCELLED), Decimal(0)
    )
    return PlanPrint(
        plan=plan,
        months=months,
        swot=swot_grid(plan=plan),
        goals=rows,
        measures=measures,
        planned_cost=planned_cost,
        transitions=list(plan.transitions.select_related("actor").order_by("at", "pk")),
    )
