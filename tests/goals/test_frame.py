"""The strategic frame check: every rule kind, tier scoping, and constant query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import FrameRuleKind, KPIDefinition
from goals.services.frame import change_percent, frame_violations, frame_violations_for
from tests import factories


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def price_kpi(db):
    """The starter catalogue's price realisation KPI (a percentage; averaged)."""
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="price_realisation",
        defaults={"name_en": "Price realisation", "unit": "percent", "rollup": "average"},
    )
    return kpi


def messages(plan) -> list[str]:
    return [violation.message for violation in frame_violations(plan=plan)]


def revenue_goal(plan, target, baseline="1000000.00", title="Grow revenue"):
    return factories.GoalFactory(
        plan=plan,
        title=title,
        baseline=None if baseline is None else Decimal(baseline),
        annual_target=Decimal(target),
    )


# --- target bounds ----------------------------------------------------------------------------


def test_a_plan_without_rules_is_inside_the_frame(plan):
    revenue_goal(plan, "900000.00")
    assert frame_violations(plan=plan) == []


def test_growth_below_the_minimum_is_named(plan):
    revenue_goal(plan, "1020000.00")
    factories.FrameRuleFactory(min_change_percent=Decimal("3.00"))
    assert messages(plan) == [
        "Goal “Grow revenue”: target change +2.0 % is below the minimum of +3.0 % for Revenue."
    ]


def test_growth_exactly_at_the_minimum_is_allowed(plan):
    revenue_goal(plan, "1030000.00")
    factories.FrameRuleFactory(min_change_percent=Decimal("3.00"))
    assert messages(plan) == []


def test_growth_just_below_the_minimum_shows_two_decimals(plan):
    revenue_goal(plan, "1029600.00")
    factories.FrameRuleFactory(min_change_percent=Decimal("3.00"))
    assert messages(plan) == [
        "Goal “Grow revenue”: target change +2.96 % is below the minimum of +3.00 % for Revenue."
    ]


def test_growth_above_the_maximum_is_named(plan):
    revenue_goal(plan, "1250000.00")
    factories.FrameRuleFactory(min_change_percent=None, max_change_percent=Decimal("20"))
    assert messages(plan) == [
        "Goal “Grow revenue”: target change +25.0 % is above the maximum of +20.0 % for Revenue."
    ]


def test_growth_exactly_at_the_maximum_is_allowed(plan):
    revenue_goal(plan, "1200000.00")
    factories.FrameRuleFactory(min_change_percent=Decimal("3"), max_change_percent=Decimal("20"))
    assert messages(plan) == []


def test_price_reduction_beyond_the_allowed_one_is_named(plan, price_kpi):
    factories.FrameRuleFactory(kpi=price_kpi, min_change_percent=Decimal("-2"))
    factories.GoalFactory(
        plan=plan,
        title="Hold prices",
        kpi=price_kpi,
        baseline=Decimal("100.00"),
        annual_target=Decimal("97.00"),
    )
    assert messages(plan) == [
        "Goal “Hold prices”: target change -3.0 % is below the minimum of -2.0 % "
        "for Price realisation."
    ]


def test_price_reduction_within_the_allowed_one_passes(plan, price_kpi):
    factories.FrameRuleFactory(kpi=price_kpi, min_change_percent=Decimal("-2"))
    factories.GoalFactory(
        plan=plan, kpi=price_kpi, baseline=Decimal("100.00"), annual_target=Decimal("98.00")
    )
    assert messages(plan) == []


@pytest.mark.parametrize("baseline", [None, "0.00"])
def test_a_bounded_goal_without_baseline_is_a_violation(plan, baseline):
    revenue_goal(plan, "1200000.00", baseline=baseline, title="New business")
    factories.FrameRuleFactory(min_change_percent=Decimal("3"))
    assert messages(plan) == [
        "Goal “New business” needs a baseline other than 0 to be checked against the frame "
        "for Revenue."
    ]


def test_bounds_apply_only_to_goals_of_their_kpi(plan, price_kpi):
    revenue_goal(plan, "1000000.00")  # no growth, but the rule is about prices
    factories.QualitativeGoalFactory(plan=plan)
    factories.FrameRuleFactory(kpi=price_kpi, min_change_percent=Decimal("-2"))
    assert messages(plan) == []


def test_every_goal_out_of_bounds_is_listed(plan):
    revenue_goal(plan, "1000000.00", title="Hold revenue")
    revenue_goal(plan, "1500000.00", title="Double down")
    revenue_goal(plan, "1100000.00", title="Grow")
    factories.FrameRuleFactory(min_change_percent=Decimal("3"), max_change_percent=Decimal("20"))
    assert messages(plan) == [
        "Goal “Hold revenue”: target change +0.0 % is below the minimum of +3.0 % for Revenue.",
        "Goal “Double down”: target change +50.0 % is above the maximum of +20.0 % for Revenue.",
    ]


def test_change_of_a_negative_baseline_keeps_its_direction():
    assert change_percent(Decimal("-10"), Decimal("-5")) == Decimal("50")
    assert change_percent(Decimal("200"), Decimal("150")) == Decimal("-25")


# --- cost cap ---------------------------------------------------------------------------------


def cost_cap(amount):
    return factories.FrameRuleFactory(
        kind=FrameRuleKind.COST_CAP, kpi=None, min_change_percent=None, cost_cap=Decimal(amount)
    )


def test_planned_costs_above_the_cap_are_named_with_both_amounts(plan):
    cost_cap("50000")
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("35000"))
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("25000.50"))
    assert messages(plan) == [
        "Planned measure costs of 60,000.50 EUR exceed the cap of 50,000.00 EUR."
    ]


def test_planned_costs_exactly_at_the_cap_are_allowed(plan):
    cost_cap("50000")
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("50000"))
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("0"))
    assert messages(plan) == []


def test_a_plan_without_measures_is_under_the_cap(plan):
    cost_cap("0")
    assert messages(plan) == []


def test_measures_of_other_plans_do_not_count(plan):
    cost_cap("1000")
    other = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    factories.MeasureFactory(plan=other, planned_cost=Decimal("5000"))
    assert messages(plan) == []
    assert messages(other) == [
        "Planned measure costs of 5,000.00 EUR exceed the cap of 1,000.00 EUR."
    ]


# --- mandatory goals --------------------------------------------------------------------------


def mandatory(kpi=None, tier=""):
    return factories.FrameRuleFactory(
        kind=FrameRuleKind.MANDATORY_GOAL,
        kpi=kpi or factories.revenue_kpi(),
        min_change_percent=None,
        tier=tier,
    )


def test_a_missing_mandatory_goal_is_named_with_its_tier(plan):
    mandatory(tier="key")
    assert messages(plan) == [
        "A goal for Revenue is mandatory for accounts of the tier “Key account”."
    ]


def test_a_missing_mandatory_goal_for_every_tier(plan):
    mandatory()
    factories.QualitativeGoalFactory(plan=plan)
    assert messages(plan) == ["A goal for Revenue is mandatory for every account."]


def test_a_goal_for_the_kpi_fulfils_the_mandatory_rule(plan):
    mandatory()
    revenue_goal(plan, "1100000.00")
    assert messages(plan) == []


# --- scoping ----------------------------------------------------------------------------------


def test_rules_of_another_tier_do_not_apply(plan):
    assert plan.account.tier == "key"
    mandatory(tier="strategic")
    factories.FrameRuleFactory(tier="development", min_change_percent=Decimal("3"))
    revenue_goal(plan, "1000000.00")
    assert messages(plan) == []
    plan.account.tier = "strategic"
    assert messages(plan) == []  # has a revenue goal
    plan.goals.all().delete()
    assert messages(plan) == [
        "A goal for Revenue is mandatory for accounts of the tier “Strategic account”."
    ]


def test_inactive_rules_are_ignored(plan):
    mandatory().__class__.objects.update(active=False)
    cost_cap("0").__class__.objects.update(active=False)
    factories.FrameRuleFactory(min_change_percent=Decimal("3"), active=False)
    revenue_goal(plan, "1000000.00")
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("100"))
    assert messages(plan) == []


def test_violations_keep_their_rule(plan):
    rule = mandatory()
    rule.note = "Board decision 2026"
    rule.save()
    (violation,) = frame_violations(plan=plan)
    assert violation.rule == rule
    assert str(violation) == violation.message


# --- query counts -----------------------------------------------------------------------------


def all_kinds_of_rules():
    factories.FrameRuleFactory(min_change_percent=Decimal("3"))
    cost_cap("1000")
    mandatory()


def test_query_count_does_not_grow_with_goals_and_measures(plan, django_assert_max_num_queries):
    all_kinds_of_rules()
    revenue_goal(plan, "1000000.00")
    factories.MeasureFactory(plan=plan)
    with CaptureQueriesContext(connection) as small:
        assert len(frame_violations(plan=plan)) == 2
    for index in range(20):
        revenue_goal(plan, "1000000.00", title=f"Goal {index}")
        factories.MeasureFactory(plan=plan)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(frame_violations(plan=plan)) == 22
    assert len(small.captured_queries) <= 3


def test_batch_check_query_count_does_not_grow_with_plans(account, django_assert_max_num_queries):
    all_kinds_of_rules()
    plans = [factories.AccountPlanFactory(account=account, fiscal_year=2030 + n) for n in range(2)]
    with CaptureQueriesContext(connection) as small:
        frame_violations_for(plans=plans)
    for n in range(10):
        plan = factories.AccountPlanFactory(account=account, fiscal_year=2040 + n)
        revenue_goal(plan, "1000000.00")
        factories.MeasureFactory(plan=plan, planned_cost=Decimal("2000"))
        plans.append(plan)
    with django_assert_max_num_queries(len(small.captured_queries)):
        result = frame_violations_for(plans=plans)
    assert [len(result[p.pk]) for p in plans] == [1, 1] + [2] * 10
