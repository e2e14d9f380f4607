"""Page reads for the approval workflow: the audit history and the approval queue."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Max, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import KeyAccount
from kam.audit import HISTORY_ACTIONS, FieldChange, record_changes, resolve_changes, short
from kam.models import User

from ..models import AccountPlan, Goal, Measure, MonthlyTarget, PlanStatus, PlanTransition, SwotItem
from ..services.frame import MissingPart, Violation, frame_violations_for, plan_gaps_for
from ..services.workflow import WORKFLOW_CHANGE_REASON

HISTORY_PAGE_SIZE = 50


@dataclass
class HistoryEntry:
    """One line of the audit history: a status change or a change of one object."""

    at: datetime.datetime
    user: User | None
    # "transition", or the django-simple-history type: "created", "changed", "deleted".
    action: str
    object_label: str
    changes: list[FieldChange] = field(default_factory=list)
    transition: PlanTransition | None = None
    # Raw (field, old, new) before foreign keys are turned into names for the page.
    raw_changes: list[tuple[models.Field, object, object]] = field(default_factory=list)


def plan_history(*, plan: AccountPlan) -> list[HistoryEntry]:
    """Every status change and field change of the plan and its parts, newest first.

    Seven queries however long the history is: the transitions, and the historical records
    of the plan, its SWOT items, goals, monthly targets and measures, each fetched in order
    and paired with the previous record of the same object in Python. Field values are raw
    here; `history_page_resolve` names the foreign keys of the page's entries.
    """
    entries = [
        HistoryEntry(
            at=transition.at,
            user=transition.actor,
            action="transition",
            object_label=_("Plan"),
            transition=transition,
        )
        for transition in plan.transitions.select_related("actor")
    ]
    goal_history = Goal.history.filter(plan_id=plan.pk)
    goal_titles: dict[int, str] = {}
    sources = [
        (AccountPlan.history.filter(id=plan.pk), _plan_label),
        (SwotItem.history.filter(plan_id=plan.pk), _swot_label),
        (goal_history, _goal_label),
        (
            MonthlyTarget.history.filter(goal_id__in=goal_history.values("id")),
            lambda record: _target_label(record, goal_titles),
        ),
        (Measure.history.filter(plan_id=plan.pk), _measure_label),
    ]
    for records, label in sources:
        previous_of: dict[int, models.Model] = {}
        ordered = records.select_related("history_user").order_by("history_date", "history_id")
        for record in ordered:
            previous = previous_of.get(record.id)
            previous_of[record.id] = record
            if isinstance(record, Goal.history.model):
                goal_titles[record.id] = record.title
            entry = _record_entry(record, previous, label)
            if entry is not None:
                entries.append(entry)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _record_entry(record, previous, label) -> HistoryEntry | None:
    if record.history_change_reason == WORKFLOW_CHANGE_REASON:
        return None  # the transition row says it better
    action = HISTORY_ACTIONS[record.history_type]
    raw_changes = []
    if action == "changed" and previous is not None:
        raw_changes = record_changes(record, previous)
        if not raw_changes:
            return None
    return HistoryEntry(
        at=record.history_date,
        user=record.history_user,
        action=action,
        object_label=label(record),
        raw_changes=raw_changes,
    )


def history_page_resolve(entries: Iterable[HistoryEntry]) -> None:
    """Fill in `changes` with readable values, naming foreign keys with one query per model."""
    resolve_changes(entries)


def _plan_label(record) -> str:
    return _("Plan")


def _swot_label(record) -> str:
    return _("SWOT item “%(text)s”") % {"text": short(record.text)}


def _goal_label(record) -> str:
    return _("Goal “%(title)s”") % {"title": record.title}


def _measure_label(record) -> str:
    return _("Measure “%(title)s”") % {"title": record.title}


def _target_label(record, goal_titles: dict[int, str]) -> str:
    return _("Target for %(month)s of goal “%(goal)s”") % {
        "month": date_format(record.month, "M Y"),
        "goal": goal_titles.get(record.goal_id, f"#{record.goal_id}"),
    }


# --- the approval queue -------------------------------------------------------------------


@dataclass
class QueuedPlan:
    plan: AccountPlan
    violations: list[Violation]
    missing: list[MissingPart]


def queued_plans(*, user: User, accounts: QuerySet | None = None) -> QuerySet[AccountPlan]:
    """Submitted plans of every account the user may see (of `accounts` only, when given),
    longest waiting first. Leadership and administrators see all; a manager sees the plans
    of their own accounts."""
    plans = AccountPlan.objects.filter(
        status=PlanStatus.SUBMITTED, account__in=KeyAccount.objects.visible_to(user)
    )
    if accounts is not None:
        plans = plans.filter(account__in=accounts)
    return (
        plans.select_related("account__owner")
        .annotate(
            submitted_at=Max(
                "transitions__at", filter=Q(transitions__to_status=PlanStatus.SUBMITTED)
            )
        )
        .order_by(models.F("submitted_at").asc(nulls_first=True), "account__name", "pk")
    )


def approval_queue(*, user: User, plans: QuerySet | None = None) -> list[QueuedPlan]:
    """The queued plans (`queued_plans`, or a slice of them) with their frame check and the
    parts they lack. Eight queries at most whatever the number of plans: the plans, the gaps
    of all of them at once, then the frame check of all of them at once.
    """
    queued = list(queued_plans(user=user) if plans is None else plans)
    gaps = plan_gaps_for(plans=queued)
    violations = frame_violations_for(plans=queued, gaps=gaps)
    return [
        QueuedPlan(plan=plan, violations=violations[plan.pk], missing=gaps[plan.pk])
        for plan in queued
    ]
