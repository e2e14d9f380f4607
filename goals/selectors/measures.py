import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from kam.fiscal import fiscal_year_bounds

from ..models import AccountPlan, Goal, Instrument, Measure, MeasureStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DUE_SOON_DAYS = 30


def plan_measures(*, plan: AccountPlan) -> QuerySet[Measure]:
    """The plan's measures with owner and linked goals: two queries however many there are."""
    return plan.measures.select_related("owner").prefetch_related(
        Prefetch("goals", queryset=Goal.objects.only("id", "title", "plan_id"))
    )


# --- the measures table -----------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureTable:
    measures: list[Measure]
    planned_total: Decimal
    actual_total: Decimal
    overdue_count: int
    filtered: bool


def measure_table(
    *, plan: AccountPlan, status: str = "", instrument: str = "", sort: str = "due"
) -> MeasureTable:
    query = plan_measures(plan=plan)
    if status:
        query = query.filter(status=status)
    if instrument:
        query = query.filter(instrument=instrument)
    if sort == "cost":
        query = query.order_by("-planned_cost", "due_date", "pk")
    else:
        query = query.order_by("due_date", "pk")
    measures = list(query)
    return MeasureTable(
        measures=measures,
        planned_total=sum((m.planned_cost for m in measures), Decimal(0)),
        actual_total=sum((m.actual_cost for m in measures), Decimal(0)),
        overdue_count=sum(1 for m in measures if m.is_overdue),
        filtered=bool(status or instrument),
    )


# --- the timeline -----------------------------------------------------------------------------


def fiscal_year_span(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    """The first day of the fiscal year and the first day of the next one (exclusive end)."""
    return fiscal_year_bounds(fiscal_year)[0], fiscal_year_bounds(fiscal_year + 1)[0]


def _percent(value: float) -> str:
    # A string with a dot: inline CSS must not be localised ("49,86%" is not valid CSS).
    return f"{value:.2f}"


@dataclass(frozen=True)
class MonthLabel:
    day: datetime.date
    left: str
    width: str


@dataclass(frozen=True)
class TimelineBar:
    measure: Measure
    overdue: bool
    visible: bool  # False when the measure lies wholly outside the fiscal year
    left: str
    width: str
    left_value: float
    width_value: float
    colour: str


@dataclass(frozen=True)
class Timeline:
    start: datetime.date
    end: datetime.date  # the last day of the fiscal year
    months: list[MonthLabel]
    bars: list[TimelineBar]
    today_left: str | None  # None when today is outside the fiscal year


STATUS_COLOURS: dict[str, str] = {
    MeasureStatus.PLANNED: "bg-secondary",
    MeasureStatus.IN_PROGRESS: "bg-primary",
    MeasureStatus.DONE: "bg-success",
    MeasureStatus.CANCELLED: "bg-light border border-secondary-subtle",
}


def bar_position(
    start: datetime.date,
    due: datetime.date,
    year_start: datetime.date,
    year_end: datetime.date,
) -> tuple[float, float] | None:
    """Left and width in percent of the year for a bar from start to due, both days included,
    clipped to the year [year_start, year_end); None when nothing of it falls in the year."""
    days = (year_end - year_start).days
    first = max(start, year_start)
    after_last = min(due + datetime.timedelta(days=1), year_end)
    if after_last <= first:
        return None
    left = (first - year_start).days / days * 100
    width = (after_last - first).days / days * 100
    return left, width


def measure_timeline(*, plan: AccountPlan, today: datetime.date) -> Timeline:
    year_start, year_end = fiscal_year_span(plan.fiscal_year)
    days = (year_end - year_start).days
    months = []
    month = year_start
    while month < year_end:
        following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        months.append(
            MonthLabel(
                day=month,
                left=_percent((month - year_start).days / days * 100),
                width=_percent((following - month).days / days * 100),
            )
        )
        month = following
    bars = []
    for measure in plan.measures.order_by("start_date", "due_date", "pk"):
        overdue = measure.overdue_on(today)
        position = bar_position(measure.start_date, measure.due_date, year_start, year_end)
        left, width = position or (0.0, 0.0)
        bars.append(
            TimelineBar(
                measure=measure,
                overdue=overdue,
                visible=position is not None,
                left=_percent(left),
                width=_percent(width),
                left_value=left,
                width_value=width,
                colour="bg-danger" if overdue else STATUS_COLOURS[measure.status],
            )
        )
    today_left = None
    if year_start <= today < year_end:
        today_left = _percent((today - year_start).days / days * 100)
    return Timeline(
        start=year_start,
        end=year_end - datetime.timedelta(days=1),
        months=months,
        bars=bars,
        today_left=today_left,
    )


# --- the controlling frame --------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentCosts:
    instrument: str
    label: "StrOrPromise"
    count: int
    planned: Decimal
    actual: Decimal


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: "StrOrPromise"
    count: int


@dataclass(frozen=True)
class FrameSummary:
    budget: Decimal | None
    planned_total: Decimal
    actual_total: Decimal
    planned_percent: Decimal | None  # of the budget; None without a (positive) budget
    actual_percent: Decimal | None
    over_budget: bool  # planned cost exceeds the expense limit
    actual_over_budget: bool
    remaining: Decimal | None  # budget minus planned cost
    by_instrument: list[InstrumentCosts]
    by_status: list[StatusCount]
    measure_count: int
    weighted_progress: Decimal | None
    overdue_count: int
    due_soon: list[Measure] = field(default_factory=list)


def _share(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole * 100).quantize(Decimal("0.1"))


def weighted_progress(measures: list[Measure]) -> Decimal | None:
    """Average progress of the measures that are not cancelled, weighted by planned cost.

    When none of them has a planned cost, every measure weighs the same. None without any
    measure to average.
    """
    counted = [m for m in measures if m.status != MeasureStatus.CANCELLED]
    if not counted:
        return None
    weights = [m.planned_cost for m in counted]
    if not sum(weights):
        weights = [Decimal(1)] * len(counted)
    total = sum(w * m.progress for w, m in zip(weights, counted, strict=True))
    return (total / sum(weights)).quantize(Decimal("0.1"))


def frame_summary(*, plan: AccountPlan, today: datetime.date) -> FrameSummary:
    """Plan costs against the expense limit and the progress of the action plan.

    Costs sum every measure of the plan, cancelled ones included (what was planned or spent
    on them still counts); one query for all measures.
    """
    measures = list(plan.measures.select_related("owner").order_by("due_date", "pk"))
    planned = sum((m.planned_cost for m in measures), Decimal(0))
    actual = sum((m.actual_cost for m in measures), Decimal(0))
    budget = plan.budget
    by_instrument = []
    for value, label in Instrument.choices:
        of_kind = [m for m in measures if m.instrument == value]
        if of_kind:
            by_instrument.append(
                InstrumentCosts(
                    instrument=value,
                    label=label,
                    count=len(of_kind),
                    planned=sum((m.planned_cost for m in of_kind), Decimal(0)),
                    actual=sum((m.actual_cost for m in of_kind), Decimal(0)),
                )
            )
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    return FrameSummary(
        budget=budget,
        planned_total=planned,
        actual_total=actual,
        planned_percent=_share(planned, budget),
        actual_percent=_share(actual, budget),
        over_budget=budget is not None and planned > budget,
        actual_over_budget=budget is not None and actual > budget,
        remaining=None if budget is None else budget - planned,
        by_instrument=by_instrument,
        by_status=[
            StatusCount(value, label, sum(1 for m in measures if m.status == value))
            for value, label in MeasureStatus.choices
        ],
        measure_count=len(measures),
        weighted_progress=weighted_progress(measures),
        overdue_count=sum(1 for m in measures if m.overdue_on(today)),
        due_soon=[m for m in measures if m.is_open and today <= m.due_date <= soon],
    )
