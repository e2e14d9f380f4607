from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kam.concurrency import edit_check
from kam.models import User

from ..models import AccountPlan, Goal, Measure, MeasureStatus
from ..signals import figures_changed, measures_changed

FOREIGN_GOAL = _("Only goals of this plan can be linked to its measures.")


def _apply_done_rule(measure: Measure) -> None:
    # A finished measure is finished: its progress cannot stay below 100 %.
    if measure.status == MeasureStatus.DONE:
        measure.progress = 100


def _costs_changed(plan: AccountPlan, reason: str) -> None:
    # Costs, budgets and countermeasures are on the leadership dashboard's figures.
    figures_changed.send(Measure, account_ids=[plan.account_id], reason=reason)


def _measure_changed(measure_id: int, linked: Iterable[Goal] = ()) -> None:
    # Controlling closes the deviations a countermeasure answers; goals never imports it.
    measures_changed.send(Measure, measure_ids=[measure_id], goal_ids=[g.pk for g in linked])


def _check_goals(plan: AccountPlan, goals: Iterable[Goal]) -> list[Goal]:
    goals = list(goals)
    if any(goal.plan_id != plan.pk for goal in goals):
        raise ValidationError({"goals": FOREIGN_GOAL}, code="foreign_goal")
    return goals


@transaction.atomic
def measure_create(
    *, plan: AccountPlan, goals: Iterable[Goal] = (), user: User, **fields
) -> Measure:
    """Add a measure to the plan's action plan and link it to goals of the same plan."""
    goals = _check_goals(plan, goals)
    measure = Measure(plan=plan, **fields)
    _apply_done_rule(measure)
    measure.full_clean()
    measure._history_user = user
    measure.save()
    measure.goals.set(goals)
    _measure_changed(measure.pk, linked=goals)
    _costs_changed(plan, "measure added")
    return measure


@transaction.atomic
def measure_update(
    *, measure: Measure, goals: Iterable[Goal], user: User, seen: str | None = None, **fields
) -> Measure:
    """Change a measure; refused with StaleEdit when someone else changed what the form
    showed (`seen`, see kam.concurrency)."""
    edit_check(instance=measure, seen=seen, user=user)
    goals = _check_goals(measure.plan, goals)
    before = set(measure.goals.values_list("pk", flat=True))
    for name, value in fields.items():
        setattr(measure, name, value)
    _apply_done_rule(measure)
    measure.full_clean()
    measure._history_user = user
    measure.save()
    measure.goals.set(goals)
    _measure_changed(measure.pk, linked=[goal for goal in goals if goal.pk not in before])
    _costs_changed(measure.plan, "measure changed")
    return measure


@transaction.atomic
def measure_delete(*, measure: Measure, user: User) -> None:
    measure._history_user = user
    measure_id = measure.pk
    measure.delete()
    _measure_changed(measure_id)
    _costs_changed(measure.plan, "measure deleted")


@transaction.atomic
def measure_progress_update(
    *,
    measure: Measure,
    status: str,
    progress: int,
    actual_cost: Decimal,
    user: User,
    seen: str | None = None,
) -> Measure:
    """Record how far a measure has got; allowed on approved plans too (the caller checks who).
    Refused with StaleEdit when someone else changed what the inline form showed (`seen`).

    Only status, progress and actual cost change; "done" sets the progress to 100 %.
    """
    edit_check(instance=measure, seen=seen, user=user)
    measure.status = status
    measure.progress = progress
    measure.actual_cost = actual_cost
    _apply_done_rule(measure)
    measure.full_clean()
    measure._history_user = user
    measure.save(update_fields=["status", "progress", "actual_cost"])
    _measure_changed(measure.pk)
    _costs_changed(measure.plan, "measure progress")
    return measure


@transaction.atomic
def plan_budget_set(
    *, plan: AccountPlan, budget: Decimal | None, user: User, seen: str | None = None
) -> AccountPlan:
    """Set the plan's expense limit (Aufwandsvorgabe); empty means no limit recorded.
    Refused with StaleEdit when someone else changed it since the form showed it (`seen`)."""
    edit_check(instance=plan, seen=seen, user=user)
    plan.budget = budget
    plan.full_clean()
    plan._history_user = user
    plan.save(update_fields=["budget", "updated_at"])
    _costs_changed(plan, "expense limit")
    return plan
