"""The strategic frame check: is a plan inside the bounds leadership has set?

Leadership and administrators keep the rules (`FrameRule`) in the admin. A plan may be
submitted with violations, so leadership sees them, but it cannot be approved until every
violation is resolved (see `goals.services.workflow.plan_approve`).

The completeness check (`plan_gaps`) lists the parts a plan lacks: an empty status quo, no
SWOT item, no goal, a quantitative goal without monthly targets, no measure. Gaps are shown
when submitting and to the reviewer; a `COMPLETE_PART` rule of the frame makes a part
mandatory, and its gaps then become violations that block approval.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from ..models import (
    AccountPlan,
    FrameRule,
    FrameRuleKind,
    Goal,
    GoalKind,
    Measure,
    PlanPart,
    SwotItem,
)

# The fields of a plan's status quo; it counts as empty when none of them is filled in.
STATUS_QUO_FIELDS = (
    "prior_year_revenue",
    "contribution_margin",
    "share_of_wallet",
    "product_groups_served",
    "sites_served",
    "relationship_summary",
    "narrative",
)


@dataclass(frozen=True)
class Violation:
    rule: FrameRule
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MissingPart:
    """A part the plan lacks (`part` is a `PlanPart` value), with a message naming it."""

    part: str
    message: str

    def __str__(self) -> str:
        return self.message


def plan_gaps(*, plan: AccountPlan) -> list[MissingPart]:
    """What the plan lacks, in the order of the planning steps; empty when it is complete."""
    return plan_gaps_for(plans=[plan])[plan.pk]


def plan_gaps_for(*, plans: Sequence[AccountPlan]) -> dict[int, list[MissingPart]]:
    """The gaps of several plans at once, keyed by plan id: three queries however many plans
    (SWOT items, goals with their count of monthly targets, measures); the status quo is read
    from the plans themselves."""
    result: dict[int, list[MissingPart]] = {plan.pk: [] for plan in plans}
    if not plans:
        return result
    plan_ids = [plan.pk for plan in plans]
    with_swot = set(
        SwotItem.objects.filter(plan_id__in=plan_ids).values_list("plan_id", flat=True).distinct()
    )
    goals_by_plan: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    goal_rows = (
        Goal.objects.filter(plan_id__in=plan_ids)
        .order_by("order", "pk")
        .annotate(target_count=Count("targets"))
        .values_list("plan_id", "title", "kind", "target_count")
    )
    for plan_id, title, kind, target_count in goal_rows:
        goals_by_plan[plan_id].append((title, kind, target_count))
    with_measures = set(
        Measure.objects.filter(plan_id__in=plan_ids).values_list("plan_id", flat=True).distinct()
    )
    for plan in plans:
        gaps = result[plan.pk]
        if all(getattr(plan, name) in (None, "") for name in STATUS_QUO_FIELDS):
            gaps.append(MissingPart(PlanPart.STATUS_QUO, _("The status quo is empty.")))
        if plan.pk not in with_swot:
            gaps.append(
                MissingPart(
                    PlanPart.SWOT,
                    _("No SWOT item: no strength, weakness, opportunity or threat is recorded."),
                )
            )
        goals = goals_by_plan[plan.pk]
        if not goals:
            gaps.append(MissingPart(PlanPart.GOALS, _("The plan has no goal.")))
        for title, kind, target_count in goals:
            if kind == GoalKind.QUANTITATIVE and not target_count:
                gaps.append(
                    MissingPart(
                        PlanPart.TARGETS,
                        _("Goal “%(goal)s” has no monthly targets.") % {"goal": title},
                    )
                )
        if plan.pk not in with_measures:
            gaps.append(MissingPart(PlanPart.MEASURES, _("The plan has no measure.")))
    return result


def frame_violations(*, plan: AccountPlan) -> list[Violation]:
    """Every way the plan leaves the strategic frame, in rule order; empty when it is inside.

    At most four queries whatever the number of goals and measures (the plan's account
    should be loaded with the plan, as the access gate does).
    """
    return frame_violations_for(plans=[plan])[plan.pk]


def frame_violations_for(
    *,
    plans: Sequence[AccountPlan],
    gaps: dict[int, list[MissingPart]] | None = None,
) -> dict[int, list[Violation]]:
    """The violations of several plans at once, keyed by plan id.

    One query for the active rules, then one per rule kind that occurs (goals for bounds and
    mandatory goals together, measure costs summed per plan, the three of `plan_gaps_for`
    for mandatory parts unless the caller passes the `gaps` it has already read), however
    many plans, goals and measures there are. Each plan's account must be loaded
    (select_related("account")).
    """
    result: dict[int, list[Violation]] = {plan.pk: [] for plan in plans}
    if not plans:
        return result
    rules = list(FrameRule.objects.filter(active=True).select_related("kpi"))
    if not rules:
        return result
    plan_ids = [plan.pk for plan in plans]

    goal_kpis = {
        rule.kpi_id
        for rule in rules
        if rule.kind in (FrameRuleKind.TARGET_BOUNDS, FrameRuleKind.MANDATORY_GOAL)
    }
    goals_by_plan: dict[int, list[Goal]] = defaultdict(list)
    if goal_kpis:
        goals = Goal.objects.filter(plan_id__in=plan_ids, kpi_id__in=goal_kpis).only(
            "pk", "plan_id", "title", "kind", "kpi_id", "baseline", "annual_target"
        )
        for goal in goals.order_by("order", "pk"):
            goals_by_plan[goal.plan_id].append(goal)

    costs: dict[int, Decimal] = {}
    if any(rule.kind == FrameRuleKind.COST_CAP for rule in rules):
        costs = dict(
            Measure.objects.filter(plan_id__in=plan_ids)
            .values("plan_id")
            .annotate(total=Sum("planned_cost"))
            .values_list("plan_id", "total")
        )

    if gaps is None and any(rule.kind == FrameRuleKind.COMPLETE_PART for rule in rules):
        gaps = plan_gaps_for(plans=plans)

    for plan in plans:
        tier = plan.account.tier
        for rule in rules:
            if rule.tier and rule.tier != tier:
                continue
            if rule.kind == FrameRuleKind.TARGET_BOUNDS:
                matching = [g for g in goals_by_plan[plan.pk] if g.kpi_id == rule.kpi_id]
                result[plan.pk].extend(_bounds_violations(rule, matching))
            elif rule.kind == FrameRuleKind.COST_CAP:
                total = costs.get(plan.pk) or Decimal(0)
                if rule.cost_cap is not None and total > rule.cost_cap:
                    message = _(
                        "Planned measure costs of %(total)s %(currency)s exceed the cap of "
                        "%(cap)s %(currency)s."
                    ) % {
                        "total": _money(total),
                        "cap": _money(rule.cost_cap),
                        "currency": plan.account.currency,
                    }
                    result[plan.pk].append(Violation(rule, message))
            elif rule.kind == FrameRuleKind.MANDATORY_GOAL and not any(
                g.kpi_id == rule.kpi_id for g in goals_by_plan[plan.pk]
            ):
                result[plan.pk].append(Violation(rule, _mandatory_message(rule)))
            elif rule.kind == FrameRuleKind.COMPLETE_PART and gaps is not None:
                result[plan.pk].extend(
                    Violation(
                        rule,
                        _("Mandatory in the strategic frame: %(missing)s")
                        % {"missing": gap.message},
                    )
                    for gap in gaps.get(plan.pk, [])
                    if gap.part == rule.plan_part
                )
    return result


def change_percent(baseline: Decimal, target: Decimal) -> Decimal:
    """How far the target moves from the baseline, in percent of the baseline's size.

    For a positive baseline this is (target / baseline - 1) x 100; dividing by the absolute
    value keeps the sign meaningful for a negative baseline (a Net Promoter Score of -10).
    """
    return (target - baseline) / abs(baseline) * 100


def _bounds_violations(rule: FrameRule, goals: Iterable[Goal]) -> list[Violation]:
    violations = []
    assert rule.kpi is not None  # bounds name a KPI (framerule_bounds_complete)
    kpi = rule.kpi.name
    for goal in goals:
        if goal.annual_target is None:
            continue
        if not goal.baseline:
            message = _(
                "Goal “%(goal)s” needs a baseline other than 0 to be checked against the frame "
                "for %(kpi)s."
            ) % {"goal": goal.title, "kpi": kpi}
            violations.append(Violation(rule, message))
            continue
        change = change_percent(goal.baseline, goal.annual_target)
        if rule.min_change_percent is not None and change < rule.min_change_percent:
            message = _(
                "Goal “%(goal)s”: target change %(change)s is below the minimum of "
                "%(bound)s for %(kpi)s."
            )
            bound = rule.min_change_percent
        elif rule.max_change_percent is not None and change > rule.max_change_percent:
            message = _(
                "Goal “%(goal)s”: target change %(change)s is above the maximum of "
                "%(bound)s for %(kpi)s."
            )
            bound = rule.max_change_percent
        else:
            continue
        change_text, bound_text = _percents(change, bound)
        violations.append(
            Violation(
                rule,
                message
                % {"goal": goal.title, "change": change_text, "bound": bound_text, "kpi": kpi},
            )
        )
    return violations


def _percents(change: Decimal, bound: Decimal) -> tuple[str, str]:
    """Both percentages with a sign and one decimal, or two where one would show them equal."""
    for places in (1, 2):
        change_text = f"{change:+.{places}f} %"
        bound_text = f"{bound:+.{places}f} %"
        if change_text != bound_text:
            break
    return change_text, bound_text


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _mandatory_message(rule: FrameRule) -> str:
    assert rule.kpi is not None  # framerule_mandatory_goal_has_kpi
    if rule.tier:
        return _("A goal for %(kpi)s is mandatory for accounts of the tier “%(tier)s”.") % {
            "kpi": rule.kpi.name,
            "tier": rule.get_tier_display(),
        }
    return _("A goal for %(kpi)s is mandatory for every account.") % {"kpi": rule.kpi.name}
