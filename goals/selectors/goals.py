"""Reads for the goals step: the goal list, one goal's month grid and the goal matrices.

Every page reads its goals with one query plus one per prefetched relation, so query counts
do not grow with the number of goals.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.fiscal import month_label, plan_months

from ..models import (
    AccountPlan,
    Goal,
    GoalArea,
    Horizon,
    Perspective,
    RelationshipPerspective,
    Rollup,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def goal_queryset(*, plan: AccountPlan) -> QuerySet[Goal]:
    """The plan's goals with everything their rows show."""
    return plan.goals.select_related("kpi", "owner").prefetch_related("targets", "stakeholders")


@dataclass(frozen=True)
class TargetCell:
    month: datetime.date
    label: str
    value: Decimal | None


@dataclass(frozen=True)
class TargetGrid:
    """A quantitative goal's twelve months, their roll-up and its gap to the annual target."""

    cells: list[TargetCell]
    total: Decimal | None  # the KPI's roll-up of the months that have a value
    difference: Decimal | None  # total - annual target
    is_sum: bool
    complete: bool  # every month has a target

    @property
    def balanced(self) -> bool:
        return self.complete and self.difference == 0

    @property
    def is_planned(self) -> bool:
        return any(cell.value is not None for cell in self.cells)


def target_grid(
    *, goal: Goal, values: dict[datetime.date, Decimal | None] | None = None
) -> TargetGrid:
    """The grid of a quantitative goal, from the saved targets or from the given values.

    Uses goal.targets.all(), so a goal from goal_queryset costs no further query.
    """
    if values is None:
        values = {target.month: target.value for target in goal.targets.all()}
    months = plan_months(goal.plan.fiscal_year)
    cells = [TargetCell(month, month_label(month), values.get(month)) for month in months]
    total = goal.kpi.roll_up(cell.value for cell in cells) if goal.kpi else None
    difference = None
    if total is not None and goal.annual_target is not None:
        difference = total - goal.annual_target
    return TargetGrid(
        cells=cells,
        total=total,
        difference=difference,
        is_sum=bool(goal.kpi and goal.kpi.rollup == Rollup.SUM),
        complete=all(cell.value is not None for cell in cells),
    )


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    grid: TargetGrid | None  # None for a qualitative goal

    @property
    def targets_off(self) -> bool:
        """A sum-KPI goal whose monthly targets do not add up to its annual target."""
        return bool(
            self.grid and self.grid.is_sum and self.grid.is_planned and not self.grid.balanced
        )


@dataclass(frozen=True)
class PerspectiveGroup:
    perspective: str
    label: "StrOrPromise"
    rows: list[GoalRow]

    @property
    def weight(self) -> int:
        return sum(row.goal.weight for row in self.rows)


@dataclass(frozen=True)
class GoalList:
    groups: list[PerspectiveGroup]
    total_weight: int
    count: int


def goal_list(*, plan: AccountPlan) -> GoalList:
    """The plan's goals grouped by scorecard perspective, in the perspectives' order."""
    goals = list(goal_queryset(plan=plan))
    for goal in goals:
        goal.plan = plan  # the grid needs the fiscal year; no query per goal
    rows = [
        GoalRow(goal, target_grid(goal=goal) if goal.is_quantitative else None) for goal in goals
    ]
    groups = [
        PerspectiveGroup(value, label, [row for row in rows if row.goal.perspective == value])
        for value, label in Perspective.choices
    ]
    return GoalList(
        groups=[group for group in groups if group.rows],
        total_weight=sum(goal.weight for goal in goals),
        count=len(goals),
    )


# The relationship-goal matrix after Schütze (1992): what goals of each cell are about.
RELATIONSHIP_HINTS: dict[tuple[str, str], "StrOrPromise"] = {
    (RelationshipPerspective.MUTUAL, Horizon.STRATEGIC): _(
        "Build information, innovation, coordination and synergy potential; lower "
        "transaction costs and risks."
    ),
    (RelationshipPerspective.MUTUAL, Horizon.OPERATIVE): _(
        "Partnership behaviour, efficient use of resources, joint research, lower risk in "
        "single transactions."
    ),
    (RelationshipPerspective.SUPPLIER, Horizon.STRATEGIC): _(
        "Bind the customer, secure repeat sales and lasting contribution margins, create "
        "reference potential."
    ),
    (RelationshipPerspective.SUPPLIER, Horizon.OPERATIVE): _(
        "Capacity utilisation, the customer's tolerance and willingness to pay, relative "
        "revenue and profit."
    ),
    (RelationshipPerspective.CUSTOMER, Horizon.STRATEGIC): _(
        "Secure lasting supply, reduce own manufacturing depth, influence on the supplier."
    ),
    (RelationshipPerspective.CUSTOMER, Horizon.OPERATIVE): _(
        "Preferred treatment (especially in supply shortages), more individual solutions."
    ),
}


@dataclass(frozen=True)
class MatrixCell:
    perspective: str
    horizon: str
    goals: list[Goal]
    hint: "StrOrPromise"


@dataclass(frozen=True)
class MatrixRow:
    perspective: str
    label: "StrOrPromise"
    cells: list[MatrixCell]


@dataclass(frozen=True)
class Tally:
    """Goals of one scorecard perspective or KAM goal area."""

    key: str
    label: "StrOrPromise"
    goals: list[Goal] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.goals)

    @property
    def weight(self) -> int:
        return sum(goal.weight for goal in self.goals)


@dataclass(frozen=True)
class GoalMatrix:
    relationship: list[MatrixRow]
    horizons: list[tuple[str, "StrOrPromise"]]
    perspectives: list[Tally]
    areas: list[Tally]
    unassigned: list[Goal]  # goals outside the relationship matrix
    total_weight: int

    @property
    def empty_cells(self) -> int:
        return sum(1 for row in self.relationship for cell in row.cells if not cell.goals)


def goal_matrix(*, plan: AccountPlan) -> GoalMatrix:
    """The plan's goals in the relationship matrix, the scorecard and the KAM goal areas."""
    goals = list(plan.goals.select_related("owner"))
    relationship = [
        MatrixRow(
            perspective,
            label,
            [
                MatrixCell(
                    perspective,
                    horizon,
                    [
                        g
                        for g in goals
                        if g.relationship_perspective == perspective and g.horizon == horizon
                    ],
                    RELATIONSHIP_HINTS[(perspective, horizon)],
                )
                for horizon in Horizon.values
            ],
        )
        for perspective, label in RelationshipPerspective.choices
    ]
    return GoalMatrix(
        relationship=relationship,
        horizons=list(Horizon.choices),
        perspectives=[
            Tally(value, label, [g for g in goals if g.perspective == value])
            for value, label in Perspective.choices
        ],
        areas=[
            Tally(value, label, [g for g in goals if g.goal_area == value])
            for value, label in GoalArea.choices
        ],
        unassigned=[g for g in goals if not g.relationship_perspective],
        total_weight=sum(goal.weight for goal in goals),
    )
