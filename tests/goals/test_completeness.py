"""The completeness check of a plan: what it lacks is listed when submitting and to the
reviewer, and a mandatory part of the strategic frame blocks approval."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import AccountPlan, FrameRule, FrameRuleKind, PlanPart, PlanStatus
from goals.services.frame import frame_violations, plan_gaps
from goals.services.workflow import plan_approve, plan_submit
from tests import factories

EMPTY_STATUS_QUO = "The status quo is empty."
NO_SWOT = "No SWOT item: no strength, weakness, opportunity or threat is recorded."
NO_GOAL = "The plan has no goal."
NO_MEASURE = "The plan has no measure."


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


def complete(plan: AccountPlan) -> AccountPlan:
    """Fill every part of the plan: status quo, a SWOT item, a goal with targets, a measure."""
    plan.narrative = "Long-standing supplier, growing in two plants."
    plan.save()
    factories.SwotItemFactory(plan=plan)
    factories.MonthlyTargetFactory(goal=factories.GoalFactory(plan=plan, title="Grow revenue"))
    factories.MeasureFactory(plan=plan)
    return plan


def part_rule(part: str) -> FrameRule:
    return factories.FrameRuleFactory(
        kind=FrameRuleKind.COMPLETE_PART, kpi=None, min_change_percent=None, plan_part=part
    )


def submitted(plan: AccountPlan) -> AccountPlan:
    AccountPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUBMITTED)
    plan.refresh_from_db()
    return plan


def gap_parts(plan) -> list[str]:
    return [gap.part for gap in plan_gaps(plan=plan)]


# --- the check --------------------------------------------------------------------------------


def test_a_complete_plan_has_no_gaps(plan):
    assert plan_gaps(plan=complete(plan)) == []


def test_an_empty_plan_lists_every_missing_part(plan):
    assert [gap.message for gap in plan_gaps(plan=plan)] == [
        EMPTY_STATUS_QUO,
        NO_SWOT,
        NO_GOAL,
        NO_MEASURE,
    ]


@pytest.mark.parametrize(
    "field, value",
    [
        ("narrative", "Where we are"),
        ("prior_year_revenue", Decimal("1000")),
        ("share_of_wallet", Decimal("0")),
        ("sites_served", "Hamburg"),
    ],
)
def test_any_status_quo_field_fills_the_status_quo(plan, field, value):
    setattr(plan, field, value)
    plan.save()
    assert PlanPart.STATUS_QUO not in gap_parts(plan)


def test_a_swot_item_fills_the_swot(plan):
    factories.SwotItemFactory(plan=plan, kind="threat")
    assert PlanPart.SWOT not in gap_parts(plan)


def test_a_measure_fills_the_action_plan(plan):
    factories.MeasureFactory(plan=plan)
    assert PlanPart.MEASURES not in gap_parts(plan)


def test_a_quantitative_goal_without_monthly_targets_is_named(plan):
    complete(plan)
    factories.GoalFactory(plan=plan, title="Win the Leipzig plant")
    assert [gap.message for gap in plan_gaps(plan=plan)] == [
        "Goal “Win the Leipzig plant” has no monthly targets."
    ]


def test_a_qualitative_goal_needs_no_monthly_targets(plan):
    complete(plan)
    factories.QualitativeGoalFactory(plan=plan)
    assert plan_gaps(plan=plan) == []


# --- the frame: mandatory parts ---------------------------------------------------------------


def test_gaps_are_no_violations_without_a_rule(plan):
    assert plan_gaps(plan=plan)
    assert frame_violations(plan=plan) == []


@pytest.mark.parametrize(
    "part, message",
    [
        (PlanPart.STATUS_QUO, EMPTY_STATUS_QUO),
        (PlanPart.SWOT, NO_SWOT),
        (PlanPart.GOALS, NO_GOAL),
        (PlanPart.MEASURES, NO_MEASURE),
    ],
)
def test_a_mandatory_part_that_is_missing_violates_the_frame(plan, part, message):
    part_rule(part)
    assert [v.message for v in frame_violations(plan=plan)] == [
        f"Mandatory in the strategic frame: {message}"
    ]


def test_mandatory_targets_name_each_goal_without_them(plan):
    complete(plan)
    factories.GoalFactory(plan=plan, title="Win the Leipzig plant")
    part_rule(PlanPart.TARGETS)
    assert [v.message for v in frame_violations(plan=plan)] == [
        "Mandatory in the strategic frame: Goal “Win the Leipzig plant” has no monthly targets."
    ]


def test_a_mandatory_part_that_is_there_is_no_violation(plan):
    for part in PlanPart.values:
        part_rule(part)
    assert frame_violations(plan=complete(plan)) == []


def test_a_mandatory_part_of_another_tier_does_not_apply(plan):
    rule = part_rule(PlanPart.SWOT)
    rule.tier = "key" if plan.account.tier != "key" else "strategic"
    rule.save()
    assert frame_violations(plan=plan) == []


def test_a_complete_part_rule_needs_the_part(db):
    with pytest.raises(ValidationError):
        FrameRule(kind=FrameRuleKind.COMPLETE_PART).full_clean()


# --- the workflow -----------------------------------------------------------------------------


def test_a_plan_with_missing_parts_can_be_submitted(plan, owner):
    plan_submit(plan=plan, user=owner)
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_approval_is_refused_while_a_mandatory_part_is_missing(plan, owner, leadership):
    part_rule(PlanPart.STATUS_QUO)
    plan_submit(plan=plan, user=owner)
    with pytest.raises(ValidationError) as error:
        plan_approve(plan=plan, user=leadership)
    assert error.value.messages == [
        "The plan violates the strategic frame and cannot be approved.",
        f"Mandatory in the strategic frame: {EMPTY_STATUS_QUO}",
    ]
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_approval_ignores_missing_parts_the_frame_does_not_require(plan, owner, leadership):
    part_rule(PlanPart.STATUS_QUO)
    plan.narrative = "Where we are"
    plan.save()
    plan_submit(plan=plan, user=owner)
    plan_approve(plan=plan, user=leadership)
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED


# --- the pages --------------------------------------------------------------------------------


def test_the_plan_page_lists_missing_parts_before_submitting(client, plan, owner):
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert 'id="plan-missing"' in html
    for message in (EMPTY_STATUS_QUO, NO_SWOT, NO_GOAL, NO_MEASURE):
        assert message in html


def test_the_frame_check_page_lists_missing_parts(client, plan, owner):
    client.force_login(owner)
    html = client.get(reverse("goals:frame_check", args=[plan.pk])).content.decode()
    assert 'id="missing"' in html
    assert EMPTY_STATUS_QUO in html


def test_the_frame_check_page_of_a_complete_plan_says_so(client, plan, owner):
    client.force_login(owner)
    html = client.get(reverse("goals:frame_check", args=[complete(plan).pk])).content.decode()
    assert 'id="complete"' in html
    assert 'id="plan-missing"' not in html


def test_submitting_with_missing_parts_shows_them(client, plan, owner):
    client.force_login(owner)
    response = client.post(reverse("goals:plan_submit", args=[plan.pk]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("goals:frame_check", args=[plan.pk])
    assert "Submitted with missing parts, leadership sees them:" in html
    assert NO_SWOT in html
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_submitting_a_complete_plan_goes_back_to_the_plan(client, plan, owner):
    client.force_login(owner)
    response = client.post(reverse("goals:plan_submit", args=[complete(plan).pk]), follow=True)
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    assert "missing parts" not in response.content.decode()


def test_leadership_sees_the_missing_parts_on_the_submitted_plan(client, plan, leadership):
    client.force_login(leadership)
    html = client.get(submitted(plan).get_absolute_url()).content.decode()
    assert 'id="plan-missing"' in html
    assert NO_MEASURE in html


def test_approving_with_a_mandatory_part_missing_names_it(client, plan, leadership):
    part_rule(PlanPart.MEASURES)
    client.force_login(leadership)
    response = client.post(reverse("goals:plan_approve", args=[submitted(plan).pk]), follow=True)
    html = response.content.decode()
    assert "The plan violates the strategic frame and cannot be approved." in html
    assert f"Mandatory in the strategic frame: {NO_MEASURE}" in html
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_the_approval_queue_lists_the_missing_parts(client, plan, leadership):
    other = factories.AccountPlanFactory(fiscal_year=2027, status=PlanStatus.SUBMITTED)
    complete(other)
    submitted(plan)
    client.force_login(leadership)
    response = client.get(reverse("goals:approvals"))
    missing = {row.plan.pk: [g.part for g in row.missing] for row in response.context["queue"]}
    assert missing == {plan.pk: ["status_quo", "swot", "goals", "measures"], other.pk: []}
    html = response.content.decode()
    assert 'data-missing-count="4"' in html
    assert NO_GOAL in html


def test_approval_queue_with_mandatory_parts_keeps_its_query_count(
    client, leadership, django_assert_max_num_queries
):
    for part in PlanPart.values:
        part_rule(part)
    factories.FrameRuleFactory(min_change_percent=Decimal("3"))

    def submitted_plans(count):
        for _ in range(count):
            plan = factories.AccountPlanFactory(fiscal_year=2027, status=PlanStatus.SUBMITTED)
            factories.GoalFactory(plan=plan, baseline=Decimal(100), annual_target=Decimal(101))
            factories.SwotItemFactory(plan=plan)

    submitted_plans(2)
    client.force_login(leadership)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("goals:approvals"))
    submitted_plans(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("goals:approvals"))
    # bounds, empty status quo, goal without targets, no measure
    assert [len(row.violations) for row in response.context["queue"]] == [4] * 17
    assert [len(row.missing) for row in response.context["queue"]] == [3] * 17
