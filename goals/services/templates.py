"""Starting a plan from goal templates or from last year's plan.

A new baseline is what last year really brought: the previous fiscal year's actual for the
same KPI, rolled up by the KPI's rule; where no actual was reported, last year's annual
target for that KPI stands in. Actuals live in the controlling app, which goals must not
import: they are read through the callable named by the setting KAM_ACTUALS_PROVIDER.
"""

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import KeyAccount
from kam.fiscal import plan_months
from kam.models import User

from ..models import (
    AccountPlan,
    Goal,
    GoalKind,
    GoalShape,
    GoalTemplateSet,
    Measure,
    MeasureStatus,
    MonthlyTarget,
    SwotItem,
)
from ..signals import figures_changed, measures_changed
from .goals import monthly_values
from .plans import plan_create

CENT = Decimal("0.01")
EVEN = [1] * 12

STATUS_QUO_FIELDS = [
    "prior_year_revenue",
    "contribution_margin",
    "share_of_wallet",
    "product_groups_served",
    "sites_served",
    "relationship_summary",
    "narrative",
    "budget",
]
# What a goal shares with the template it came from, and with its copy in next year's plan.
GOAL_FIELDS = [field.name for field in GoalShape._meta.fields]


def default_target(baseline: Decimal, growth_percent: Decimal | None) -> Decimal:
    """Baseline × (1 + growth %/100), rounded half up to the cent; no growth keeps the baseline."""
    growth = growth_percent or Decimal(0)
    return (baseline * (1 + growth / 100)).quantize(CENT, ROUND_HALF_UP)


def previous_actuals(*, account: KeyAccount, fiscal_year: int) -> dict[int, Decimal]:
    """KPI id -> the account's actual of fiscal_year, rolled up by the KPI (sum, average or
    last value) and rounded to the cent; only KPIs with actuals. Read through
    KAM_ACTUALS_PROVIDER, so goals does not import the controlling app."""
    provider = import_string(settings.KAM_ACTUALS_PROVIDER)
    totals = provider(account=account, fiscal_year=fiscal_year)
    return {kpi_id: total.quantize(CENT, ROUND_HALF_UP) for kpi_id, total in totals.items()}


def previous_baselines(*, account: KeyAccount, fiscal_year: int) -> dict[int, Decimal]:
    """KPI id -> the baseline for a plan of fiscal_year: last year's actual where there is one.

    Last year's actual (fiscal_year - 1, see previous_actuals) is preferred; for a KPI without
    any actual, the annual target of the account's plan of fiscal_year - 1 stands in (with
    several goals on one KPI, the first in goal order counts).
    """
    baselines: dict[int, Decimal] = {}
    goals = Goal.objects.filter(
        plan__account=account,
        plan__fiscal_year=fiscal_year - 1,
        kind=GoalKind.QUANTITATIVE,
        annual_target__isnull=False,
    ).order_by("order", "pk")
    for kpi_id, target in goals.values_list("kpi_id", "annual_target"):
        assert target is not None  # filtered above
        baselines.setdefault(kpi_id, target)
    baselines.update(previous_actuals(account=account, fiscal_year=fiscal_year - 1))
    return baselines


def _save_targets(goal: Goal, months: list[datetime.date], values: list[Decimal]) -> None:
    for month, value in zip(months, values, strict=True):
        MonthlyTarget(goal=goal, month=month, value=value).save()


@transaction.atomic
def plan_create_from_templates(
    *,
    account: KeyAccount,
    fiscal_year: int,
    template_set: GoalTemplateSet,
    user: User,
    baselines: Mapping[int, Decimal | None] | None = None,
) -> AccountPlan:
    """Start a draft plan with one goal per template of the set.

    Each goal copies the template's classification, weight, kind, KPI, target rating and
    criteria; its owner is the account's owner. A quantitative goal's baseline is, in this
    order: the baseline the user entered for the template (`baselines`, template id ->
    value), else last year's actual for the same KPI, else last year's annual target for it
    (`previous_baselines`). Its annual target is baseline × (1 + the
    template's growth %), and its 12 monthly targets follow the template's seasonal profile
    (evenly without one) and sum exactly to the annual target.

    A quantitative template without any baseline is refused, naming the template, rather
    than creating a goal with a made-up target: the form asks for the baseline of every
    quantitative template, prefilled from last year where known. Everything or nothing is
    written.
    """
    if template_set.tier != account.tier or not template_set.active:
        raise ValidationError(
            _("The template set “%(set)s” is not available for accounts of this tier.")
            % {"set": template_set.name},
            code="template_set_tier",
        )
    plan = plan_create(account=account, fiscal_year=fiscal_year, user=user)
    entered = baselines or {}
    known = previous_baselines(account=account, fiscal_year=fiscal_year)
    months = plan_months(fiscal_year)
    templates = template_set.templates.select_related("kpi", "seasonal_profile")
    for template in templates:
        goal = Goal(
            plan=plan,
            owner=account.owner,
            template=template,
            **{field: getattr(template, field) for field in GOAL_FIELDS},
        )
        if template.kind == GoalKind.QUANTITATIVE:
            assert template.kpi_id is not None  # goaltemplate_quantitative_has_kpi
            baseline = entered.get(template.pk)
            if baseline is None:
                baseline = known.get(template.kpi_id)
            if baseline is None:
                raise ValidationError(
                    _(
                        "Enter a baseline for “%(title)s”: last year has no actual and no "
                        "target for this KPI."
                    )
                    % {"title": template.title},
                    code="baseline_missing",
                )
            goal.baseline = baseline
            goal.annual_target = default_target(baseline, template.growth_percent)
        goal.full_clean(exclude=["template"])
        goal.save()
        if goal.is_quantitative:
            assert template.kpi is not None  # goaltemplate_quantitative_has_kpi
            weights = template.seasonal_profile.weights if template.seasonal_profile else EVEN
            _save_targets(
                goal, months, monthly_values(template.kpi.rollup, goal.annual_target, weights)
            )
    figures_changed.send(AccountPlan, account_ids=[account.pk], reason="plan from templates")
    return plan


def _next_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def plan_copy(*, plan: AccountPlan, user: User) -> AccountPlan:
    """Start next fiscal year's plan of the same account as a copy of `plan`.

    Copied: the status quo (including the expense limit), the SWOT items, every goal and the
    open measures. A quantitative goal's new baseline is the source year's actual for its KPI
    (rolled up by the KPI, see previous_actuals) or, without any actual, the source goal's
    annual target; its new annual target starts equal to that baseline for the manager to
    raise.
    The new monthly targets keep the source months' shape: for a sum KPI they are the new
    annual target spread in proportion to the source months (evenly without any), for other
    KPIs each month carries the annual target. Measures that are done or cancelled stay
    behind; the others start again as planned, with no progress and no actual cost, their
    dates one year later and linked to the copies of their goals. Everything or nothing is
    written; a plan for the next year that already exists is refused.
    """
    year = plan.fiscal_year + 1
    if plan.account.plans.filter(fiscal_year=year).exists():
        raise ValidationError(
            _("This account already has a plan for fiscal year %(year)s.") % {"year": year},
            code="plan_exists",
        )
    new = plan_create(account=plan.account, fiscal_year=year, user=user)
    for field in STATUS_QUO_FIELDS:
        setattr(new, field, getattr(plan, field))
    new.save()
    for item in plan.swot_items.all():
        SwotItem(
            plan=new,
            kind=item.kind,
            text=item.text,
            impact=item.impact,
            probability=item.probability,
        ).save()

    actuals = previous_actuals(account=plan.account, fiscal_year=plan.fiscal_year)
    old_months = plan_months(plan.fiscal_year)
    new_months = plan_months(year)
    copies: dict[int, Goal] = {}
    goals = plan.goals.select_related("kpi").prefetch_related("targets", "stakeholders")
    for source in goals:
        goal = Goal(
            plan=new,
            owner=source.owner,
            template_id=source.template_id,
            **{field: getattr(source, field) for field in GOAL_FIELDS},
        )
        if source.is_quantitative:
            assert source.kpi_id is not None  # goal_quantitative_has_kpi_and_target
            goal.baseline = actuals.get(source.kpi_id, source.annual_target)
            goal.annual_target = goal.baseline
        goal.save()
        goal.stakeholders.set(source.stakeholders.all())
        copies[source.pk] = goal
        if goal.is_quantitative:
            assert goal.kpi is not None  # the source goal's, goal_quantitative_has_kpi_and_target
            by_month = {t.month: t.value for t in source.targets.all()}
            shape = [by_month.get(month, Decimal(0)) for month in old_months]
            _save_targets(
                goal, new_months, monthly_values(goal.kpi.rollup, goal.annual_target, shape)
            )

    open_measures = plan.measures.exclude(
        status__in=[MeasureStatus.DONE, MeasureStatus.CANCELLED]
    ).prefetch_related("goals")
    measure_ids: list[int] = []
    linked: set[int] = set()
    for source_measure in open_measures:
        measure = Measure(
            plan=new,
            title=source_measure.title,
            description=source_measure.description,
            instrument=source_measure.instrument,
            owner_id=source_measure.owner_id,
            start_date=_next_year(source_measure.start_date),
            due_date=_next_year(source_measure.due_date),
            planned_cost=source_measure.planned_cost,
            is_countermeasure=source_measure.is_countermeasure,
        )
        measure.save()
        measure_goals = [copies[g.pk] for g in source_measure.goals.all() if g.pk in copies]
        measure.goals.set(measure_goals)
        measure_ids.append(measure.pk)
        linked.update(goal.pk for goal in measure_goals)
    if measure_ids:
        measures_changed.send(Measure, measure_ids=measure_ids, goal_ids=sorted(linked))
    figures_changed.send(AccountPlan, account_ids=[plan.account_id], reason="plan copied")
    return new
