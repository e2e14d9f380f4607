"""Goals and their monthly targets."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Stakeholder
from kam.concurrency import cells_merge, cells_refuse, edit_guard, history_last
from kam.fiscal import month_label, plan_months
from kam.models import User

from ..models import Goal, GoalKind, MonthlyTarget, Rollup, SeasonalProfile
from ..signals import figures_changed, measures_changed

CENT = Decimal("0.01")
# money_field: 14 digits, 2 of them decimals.
MAX_TARGET = Decimal("999999999999.99")


def goal_save(
    *,
    goal: Goal,
    stakeholders: Iterable[Stakeholder] = (),
    seen: str | None = None,
    user: User | None = None,
) -> Goal:
    """Create or update a goal and the stakeholders it is about; refused with StaleEdit
    when someone else changed what the form showed (`seen`, see kam.concurrency).

    A goal that is (or became) qualitative has no KPI and no monthly targets: any targets it
    carried as a quantitative goal are deleted with the change.
    """
    with edit_guard(instance=goal, seen=seen, user=user):
        goal.full_clean()
        goal.save()
        goal.stakeholders.set(stakeholders)
        if goal.kind == GoalKind.QUALITATIVE:
            goal.targets.all().delete()
        figures_changed.send(Goal, account_ids=[goal.plan.account_id], reason="goal saved")
    return goal


def _targets_merged(
    goal: Goal,
    existing: Mapping[datetime.date, MonthlyTarget],
    values: Mapping[datetime.date, Decimal | None],
    seen: Mapping[datetime.date, Decimal | None],
) -> dict[datetime.date, Decimal | None]:
    stored = {month: target.value for month, target in existing.items()}
    write, conflicts = cells_merge(seen=seen, posted=values, stored=stored)
    if conflicts:
        raise cells_refuse(
            conflicts=sorted(conflicts),
            label=month_label,
            last=history_last(
                MonthlyTarget.history.filter(goal_id=goal.pk, month__in=conflicts)  # type: ignore[attr-defined]
            ),
            stored=stored,
        )
    return {month: write.get(month, stored.get(month, value)) for month, value in values.items()}


def goal_delete(*, goal: Goal) -> None:
    """Delete a goal with its monthly targets; measures lose only the link to it."""
    with transaction.atomic():
        measure_ids = list(goal.measures.values_list("pk", flat=True))
        goal.delete()
        if measure_ids:
            measures_changed.send(Goal, measure_ids=measure_ids, goal_ids=[])


def spread_amounts(total: Decimal, weights: Sequence[int | float | Decimal]) -> list[Decimal]:
    """Split total over the months in proportion to weights, to the cent, summing exactly.

    Every month but the last is rounded down to the cent and the last month takes the
    remainder, so the months always add up to the total. Rounding down (rather than half up)
    keeps that remainder from going negative for a non-negative total, even where the last
    month's weight is tiny or zero.
    """
    exact = [Decimal(str(weight)) for weight in weights]
    weight_sum = sum(exact, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("The weights must not all be zero.")
    head = [(total * weight / weight_sum).quantize(CENT, rounding=ROUND_DOWN) for weight in exact]
    head = head[:-1]
    return [*head, total - sum(head, Decimal(0))]


def monthly_values(rollup: str, annual_target: Decimal, weights: list) -> list[Decimal]:
    """The 12 monthly targets for an annual target.

    For a sum KPI (revenue) the months add up exactly to the annual target, shaped by the
    weights (evenly when the weights add up to nothing); the last month takes the rounding
    remainder (spread_amounts). For an
    average or last-value KPI (a share, a score) every month carries the annual target
    itself: that is the value the year must average, or end on.
    """
    if rollup == Rollup.SUM:
        return spread_amounts(annual_target, weights if sum(weights) > 0 else [1] * 12)
    return [annual_target] * 12


def targets_spread(*, goal: Goal, profile: SeasonalProfile | None = None) -> list[MonthlyTarget]:
    """Fill all twelve months of a quantitative goal from its annual target, and save them.

    For a KPI that adds up over the year (roll-up "sum", e.g. revenue) the annual target is
    split evenly or, with a seasonal profile, in proportion to the profile's weights (first
    fiscal month first); amounts are cents and the last month takes the rounding remainder
    (see spread_amounts), so the twelve months always sum exactly to the annual target.

    For a KPI that is averaged or takes the last value (e.g. a share in percent or a
    satisfaction score) the monthly target equals the annual target in every month, whatever
    the profile: the average or last value of the months then is the annual target.
    """
    months = plan_months(goal.plan.fiscal_year)
    total = goal.annual_target
    if goal.kind != GoalKind.QUANTITATIVE or total is None:
        raise ValidationError(
            _("Only a quantitative goal with an annual target has monthly targets.")
        )
    assert goal.kpi is not None  # goal_quantitative_has_kpi_and_target
    amounts = monthly_values(goal.kpi.rollup, total, profile.weights if profile else [1] * 12)
    return targets_save(goal=goal, values=dict(zip(months, amounts, strict=True)))


def targets_save(
    *,
    goal: Goal,
    values: Mapping[datetime.date, Decimal | None],
    seen: Mapping[datetime.date, Decimal | None] | None = None,
    user: User | None = None,
) -> list[MonthlyTarget]:
    """Save the twelve monthly targets of a goal at once: all of them or, on an error, none.

    values holds one amount per month of the plan's fiscal year (first day of the month).
    A missing month, a value that is not a number, a negative amount or more than two
    decimals is refused with an error naming the month; errors are keyed by the month's ISO
    date, so a form with one field per month can show each next to its month.

    seen (month -> the target the grid showed) makes the save conditional per month
    (kam.concurrency.cells_merge): a month the user left as shown keeps what is stored, so
    two people entering different months both succeed; a month both changed is refused with
    StaleEdit naming the months and who changed them, and nothing is saved.
    """
    if goal.kind != GoalKind.QUANTITATIVE:
        raise ValidationError({NON_FIELD_ERRORS: _("A qualitative goal has no monthly targets.")})
    months = plan_months(goal.plan.fiscal_year)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(months))
    if unknown:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("%(month)s is not a month of this plan's fiscal year.")
                % {"month": month_label(unknown[0])}
            }
        )
    for month in months:
        value = values.get(month)
        label = month_label(month)
        message = None
        if value is None:
            message = _("%(month)s: enter a target.")
        elif not isinstance(value, Decimal) or not value.is_finite():
            message = _("%(month)s: enter a number.")
        elif value < 0:
            message = _("%(month)s: a target cannot be negative.")
        # The size before the decimals: quantize overflows the context on a huge number.
        elif value > MAX_TARGET:
            message = _("%(month)s: the target is too large.")
        elif value != value.quantize(CENT):
            message = _("%(month)s: use at most 2 decimal places.")
        if message:
            errors[month.isoformat()] = [message % {"month": label}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = {target.month: target for target in goal.targets.select_for_update()}
        if seen is not None:
            values = _targets_merged(goal, existing, values, seen)
        saved = []
        for month in months:
            target = existing.get(month) or MonthlyTarget(goal=goal, month=month)
            if target.pk is None or target.value != values[month]:
                target.value = values[month]
                target.save()
            saved.append(target)
        # Months outside the fiscal year (left from an earlier fiscal year setting) would
        # distort the totals.
        goal.targets.exclude(month__in=months).delete()
        figures_changed.send(Goal, account_ids=[goal.plan.account_id], reason="targets saved")
    return saved
