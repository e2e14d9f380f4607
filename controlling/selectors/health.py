"""The account health score: one figure 0-100 from five components, each 0-100.

- **Goal attainment**: the weighted mean (by goal weight) of `GoalState.attainment_percent`
  of the goals of the account's plan for the fiscal year, each clamped to 0-100 (a goal
  above plan cannot make up for another below it). Goals without an attainment yet are
  left out; none at all: no data.
- **Plan completeness**: the share of the five planning steps filled in the plan for the
  fiscal year: 1 status quo (the narrative "Where are we?" or any of prior-year revenue,
  contribution margin, share of wallet), 2 at least one SWOT item, 3 at least one goal, 4 at
  least one measure that is not cancelled, 5 controlling frame (the plan is approved, or it
  has an expense limit and the strategic frame check finds nothing). Without a plan for the
  year the component is 0: a missing plan is exactly what it measures.
- **Stakeholder coverage**: the share of the five buying-centre roles (decision maker,
  influencer, buyer, user, gatekeeper) held by at least one stakeholder; 0 without any.
- **Contact freshness**: the share of the account's stakeholders whose contact is not
  overdue (`Stakeholder.contact_overdue`: never contacted counts as overdue, as on the
  account page); no data without stakeholders.
- **Customer satisfaction**: the latest actual of the KPI `customer_satisfaction` up to the
  fiscal year's last month, on its 1-5 scale mapped to 0-100 ((rating - 1) / 4 x 100); no
  data without one.

The total is the mean of the components that have data, weighted by `HealthWeights`;
components without data drop out and the weights of the others are renormalised (they are
divided by their own sum). With no component left (or only zero-weighted ones) there is no
total. Values carry one decimal; the total is rounded half up to a whole number.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import BuyingCentreRole, KeyAccount, Stakeholder
from controlling.models import Actual, HealthWeights
from goals.models import AccountPlan, Goal, Measure, MeasureStatus, PlanStatus, SwotItem
from goals.services.frame import frame_violations_for
from kam.fiscal import fiscal_year_bounds

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SATISFACTION_KPI = "customer_satisfaction"
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")

COMPONENTS = [
    ("goal_attainment", _("Goal attainment")),
    ("plan_completeness", _("Plan completeness")),
    ("stakeholder_coverage", _("Stakeholder coverage")),
    ("contact_freshness", _("Contact freshness")),
    ("customer_satisfaction", _("Customer satisfaction")),
]
PLAN_STEPS = [
    ("status_quo", _("Status quo")),
    ("swot", _("Opportunities and risks")),
    ("goals", _("Goals")),
    ("measures", _("Action plan")),
    ("frame", _("Controlling frame")),
]


def _share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * HUNDRED).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Component:
    """One component as a page explains it."""

    code: str
    label: "StrOrPromise"
    value: Decimal | None  # 0-100, None: no data
    weight: Decimal  # as configured
    share: Decimal | None  # percent of the total this component carries after renormalising


@dataclass
class AccountHealth:
    total: int | None = None
    goal_attainment: Decimal | None = None
    plan_completeness: Decimal | None = None
    stakeholder_coverage: Decimal | None = None
    contact_freshness: Decimal | None = None
    customer_satisfaction: Decimal | None = None
    # What the components were computed from, so a page can say why.
    goals_measured: int = 0
    goals_total: int = 0
    plan: AccountPlan | None = None
    # code, label, done
    plan_steps: list[tuple[str, "StrOrPromise", bool]] = field(default_factory=list)
    roles_covered: list[str] = field(default_factory=list)
    roles_missing: list[str] = field(default_factory=list)
    stakeholders: int = 0
    stakeholders_fresh: int = 0
    satisfaction_rating: Decimal | None = None
    satisfaction_month: datetime.date | None = None
    components: list[Component] = field(default_factory=list)


def account_health(
    *, account_ids, fiscal_year: int, today: datetime.date | None = None
) -> dict[int, AccountHealth]:
    """Account id -> its health in the fiscal year, for every id given.

    The caller has checked visibility. Eight queries at most, whatever the number of
    accounts, goals or stakeholders (the frame check adds up to four, only when a plan needs
    it)."""
    account_ids = list(account_ids)
    today = today or timezone.localdate()
    result = {pk: AccountHealth() for pk in account_ids}
    if not account_ids:
        return result
    _goal_attainment(result, account_ids, fiscal_year)
    _plan_completeness(result, account_ids, fiscal_year)
    _stakeholders(result, account_ids, today)
    _satisfaction(result, account_ids, fiscal_year)
    weights = HealthWeights.load()
    for health in result.values():
        _total(health, weights)
    return result


def _goal_attainment(result: dict[int, AccountHealth], account_ids, fiscal_year: int) -> None:
    goals = Goal.objects.filter(
        plan__account_id__in=account_ids, plan__fiscal_year=fiscal_year
    ).values_list("plan__account_id", "weight", "state__attainment_percent")
    weighted: dict[int, Decimal] = {}
    weights: dict[int, int] = {}
    for account_id, weight, attainment in goals:
        health = result[account_id]
        health.goals_total += 1
        if attainment is None:
            continue
        health.goals_measured += 1
        capped = min(max(attainment, Decimal(0)), HUNDRED)
        weighted[account_id] = weighted.get(account_id, Decimal(0)) + capped * weight
        weights[account_id] = weights.get(account_id, 0) + weight
    for account_id, total in weighted.items():
        result[account_id].goal_attainment = (total / weights[account_id]).quantize(
            TENTH, rounding=ROUND_HALF_UP
        )


def _plan_completeness(result: dict[int, AccountHealth], account_ids, fiscal_year: int) -> None:
    plans = list(
        AccountPlan.objects.filter(account_id__in=account_ids, fiscal_year=fiscal_year)
        .select_related("account")
        .annotate(
            has_swot=Exists(SwotItem.objects.filter(plan=OuterRef("pk"))),
            has_goals=Exists(Goal.objects.filter(plan=OuterRef("pk"))),
            has_measures=Exists(
                Measure.objects.filter(plan=OuterRef("pk")).exclude(status=MeasureStatus.CANCELLED)
            ),
        )
    )
    # An approved plan passed the frame check when it was approved; only the others with an
    # expense limit need it now.
    to_check = [p for p in plans if p.status != PlanStatus.APPROVED and p.budget is not None]
    violations = frame_violations_for(plans=to_check)
    for plan in plans:
        status_quo = bool(plan.narrative.strip()) or any(
            value is not None
            for value in (plan.prior_year_revenue, plan.contribution_margin, plan.share_of_wallet)
        )
        frame = plan.status == PlanStatus.APPROVED or (
            plan.budget is not None and not violations[plan.pk]
        )
        done = [status_quo, plan.has_swot, plan.has_goals, plan.has_measures, frame]
        health = result[plan.account_id]
        health.plan = plan
        health.plan_steps = [
            (code, label, flag) for (code, label), flag in zip(PLAN_STEPS, done, strict=True)
        ]
        health.plan_completeness = _share(sum(done), len(done))
    for health in result.values():
        if health.plan is None:
            health.plan_completeness = Decimal(0)
            health.plan_steps = [(code, label, False) for code, label in PLAN_STEPS]


def _stakeholders(result: dict[int, AccountHealth], account_ids, today: datetime.date) -> None:
    stakeholders = (
        Stakeholder.objects.filter(account_id__in=account_ids)
        .with_last_contact()
        .only("id", "account_id", "buying_role", "contact_interval_days")
        .order_by()
    )
    roles: dict[int, set[str]] = {pk: set() for pk in account_ids}
    for stakeholder in stakeholders:
        health = result[stakeholder.account_id]
        health.stakeholders += 1
        if not stakeholder.contact_overdue(stakeholder.last_contact, today):
            health.stakeholders_fresh += 1
        roles[stakeholder.account_id].add(stakeholder.buying_role)
    all_roles = BuyingCentreRole.values
    for account_id, health in result.items():
        covered = roles[account_id]
        health.roles_covered = [role for role in all_roles if role in covered]
        health.roles_missing = [role for role in all_roles if role not in covered]
        health.stakeholder_coverage = _share(len(health.roles_covered), len(all_roles))
        health.contact_freshness = _share(health.stakeholders_fresh, health.stakeholders)


def _satisfaction(result: dict[int, AccountHealth], account_ids, fiscal_year: int) -> None:
    _, last_month = fiscal_year_bounds(fiscal_year)
    latest = Actual.objects.filter(
        account=OuterRef("pk"), kpi__code=SATISFACTION_KPI, month__lte=last_month
    ).order_by("-month")
    rows = (
        KeyAccount.objects.filter(pk__in=account_ids)
        .annotate(
            rating=Subquery(latest.values("value")[:1]),
            rating_month=Subquery(latest.values("month")[:1]),
        )
        .filter(Q(rating__isnull=False))
        .values_list("pk", "rating", "rating_month")
    )
    for account_id, rating, month in rows:
        health = result[account_id]
        health.satisfaction_rating = Decimal(rating)
        health.satisfaction_month = month
        scaled = (Decimal(rating) - 1) / 4 * HUNDRED
        health.customer_satisfaction = min(max(scaled, Decimal(0)), HUNDRED).quantize(
            TENTH, rounding=ROUND_HALF_UP
        )


def _total(health: AccountHealth, weights: HealthWeights) -> None:
    present = [
        (code, getattr(health, code), Decimal(getattr(weights, code)))
        for code, _label in COMPONENTS
        if getattr(health, code) is not None
    ]
    weight_sum = sum((weight for _code, _value, weight in present), Decimal(0))
    if weight_sum > 0:
        total = sum((value * weight for _code, value, weight in present), Decimal(0)) / weight_sum
        health.total = int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    health.components = [
        Component(
            code=code,
            label=label,
            value=getattr(health, code),
            weight=Decimal(getattr(weights, code)),
            share=_share(getattr(weights, code), weight_sum)
            if getattr(health, code) is not None and weight_sum > 0
            else None,
        )
        for code, label in COMPONENTS
    ]


def role_labels(roles: list[str]) -> list[str]:
    labels = dict(BuyingCentreRole.choices)
    return [str(labels[role]) for role in roles]
