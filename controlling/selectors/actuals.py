"""Reads of the controlling app: the actuals grid of a plan and actuals rolled up per year."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from accounts.models import KeyAccount
from controlling.models import (
    DEFAULT_AT_RISK_PERCENT,
    DEFAULT_OFF_TRACK_PERCENT,
    Actual,
    GoalStatus,
    Threshold,
)
from goals.models import AccountPlan, Direction, GoalKind, KPIDefinition, roll_up
from kam.fiscal import fiscal_year_bounds, month_label, plan_months


def cell_key(kpi_id: int, month: datetime.date) -> str:
    """The name of a grid cell in forms and error dicts, e.g. "12:2027-04-01"."""
    return f"{kpi_id}:{month.isoformat()}"


def actual_totals(*, account: KeyAccount, fiscal_year: int) -> dict[int, Decimal]:
    """KPI id -> the KPI's roll-up (sum, average or last value) of the account's actuals over
    the fiscal year's twelve months; only KPIs with at least one actual. One query.

    goals reads this through the setting KAM_ACTUALS_PROVIDER (baselines of next year's
    plan), so goals never imports controlling. A year still running rolls up the months
    reported so far.
    """
    start, end = fiscal_year_bounds(fiscal_year)
    rows = (
        Actual.objects.filter(account=account, month__gte=start, month__lte=end)
        .order_by("kpi_id", "month")
        .values_list("kpi_id", "kpi__rollup", "value")
    )
    values: dict[int, list[Decimal]] = defaultdict(list)
    rollups: dict[int, str] = {}
    for kpi_id, rollup, value in rows:
        values[kpi_id].append(value)
        rollups[kpi_id] = rollup
    # Every KPI here has a value, so its roll-up is never None.
    return {
        kpi_id: total
        for kpi_id, months in values.items()
        if (total := roll_up(rollups[kpi_id], months)) is not None
    }


@dataclass(frozen=True)
class ActualCell:
    key: str  # the input's name, see controlling.services.actuals.cell_key
    month: datetime.date
    actual: Decimal | None
    target: Decimal | None  # the sum of the monthly targets of the plan's goals on this KPI
    entered: str | None = None  # the text posted, shown again while errors are shown
    # The month's actual against its target in the threshold bands (`cell_status`); "" when
    # either is missing.
    status: str = ""


def cell_status(
    *,
    direction: str,
    actual: Decimal | None,
    target: Decimal | None,
    at_risk: Decimal,
    off_track: Decimal,
) -> str:
    """A month's actual against its target, by the rule of goal statuses (the engine's): the
    shortfall in the KPI's direction, in percent of the target (of the actual when lower is
    better), up to `at_risk` percent is on track, up to `off_track` at risk, beyond off
    track. "" without an actual or a target."""
    if actual is None or target is None:
        return ""
    lower = direction == Direction.LOWER
    gap = actual - target if lower else target - actual
    base = abs(actual if lower else target)
    if gap <= 0:
        return GoalStatus.ON_TRACK
    if base == 0:
        return GoalStatus.OFF_TRACK
    percent = gap * 100 / base
    if percent <= at_risk:
        return GoalStatus.ON_TRACK
    if percent <= off_track:
        return GoalStatus.AT_RISK
    return GoalStatus.OFF_TRACK


@dataclass(frozen=True)
class ActualRow:
    kpi: KPIDefinition
    cells: list[ActualCell]

    @property
    def actual_total(self) -> Decimal | None:
        return self.kpi.roll_up(cell.actual for cell in self.cells)

    @property
    def target_total(self) -> Decimal | None:
        return self.kpi.roll_up(cell.target for cell in self.cells)


@dataclass(frozen=True)
class ActualGrid:
    months: list[tuple[datetime.date, str]]  # (first day, label)
    rows: list[ActualRow]

    @property
    def keys(self) -> set[str]:
        return {cell.key for row in self.rows for cell in row.cells}

    @property
    def has_inputs(self) -> bool:
        return any(not row.kpi.is_computed for row in self.rows)


def _bands(kpis: dict[int, KPIDefinition]) -> dict[int, tuple[Decimal, Decimal]]:
    """(at risk from, off track from) percent per KPI: its own threshold, else the global
    one, else the defaults, as the engine resolves them. One query (none without KPIs)."""
    if not kpis:
        return {}
    thresholds = {
        t.kpi_id: (t.at_risk_percent, t.off_track_percent)
        for t in Threshold.objects.filter(Q(kpi_id__in=kpis) | Q(kpi__isnull=True))
    }
    fallback = thresholds.get(None, (DEFAULT_AT_RISK_PERCENT, DEFAULT_OFF_TRACK_PERCENT))
    return {kpi_id: thresholds.get(kpi_id, fallback) for kpi_id in kpis}


def actuals_grid(*, plan: AccountPlan, entered: dict[str, str] | None = None) -> ActualGrid:
    """One row per distinct KPI of the plan's quantitative goals (in KPI order), one column
    per month of the plan's fiscal year, each cell coloured by `cell_status`. Four queries,
    whatever the number of goals and KPIs.

    entered (cell key -> posted text) is shown in the inputs instead of the saved actual.
    """
    entered = entered or {}
    months = plan_months(plan.fiscal_year)
    goals = (
        plan.goals.filter(kind=GoalKind.QUANTITATIVE, kpi__isnull=False)
        .select_related("kpi")
        .prefetch_related("targets")
    )
    kpis: dict[int, KPIDefinition] = {}
    targets: dict[tuple[int, datetime.date], Decimal] = {}
    for goal in goals:
        kpi = goal.kpi
        assert kpi is not None  # kpi__isnull=False above
        kpis.setdefault(kpi.pk, kpi)
        for target in goal.targets.all():
            key = (kpi.pk, target.month)
            targets[key] = targets.get(key, Decimal(0)) + target.value
    actuals = (
        {
            (kpi_id, month): value
            for kpi_id, month, value in Actual.objects.filter(
                account_id=plan.account_id, kpi_id__in=kpis, month__in=months
            ).values_list("kpi_id", "month", "value")
        }
        if kpis
        else {}
    )
    bands = _bands(kpis)
    ordered = sorted(kpis.values(), key=lambda kpi: (kpi.order, kpi.code))
    rows = [
        ActualRow(
            kpi=kpi,
            cells=[
                ActualCell(
                    key=cell_key(kpi.pk, month),
                    month=month,
                    actual=actuals.get((kpi.pk, month)),
                    target=targets.get((kpi.pk, month)),
                    entered=entered.get(cell_key(kpi.pk, month)),
                    status=cell_status(
                        direction=kpi.direction,
                        actual=actuals.get((kpi.pk, month)),
                        target=targets.get((kpi.pk, month)),
                        at_risk=bands[kpi.pk][0],
                        off_track=bands[kpi.pk][1],
                    ),
                )
                for month in months
            ],
        )
        for kpi in ordered
    ]
    return ActualGrid(months=[(month, month_label(month)) for month in months], rows=rows)
