"""The approval workflow, the audit history and the approval queue.

Every workflow URL is listed in URLS below with the status the plan needs and the expected
answer per persona; `test_every_workflow_url_is_covered` fails when a URL of the workflow
views is added without being listed.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountStatus
from goals import urls as goal_urls
from goals.models import AccountPlan, PlanStatus, PlanTransition
from goals.services.workflow import plan_approve, plan_reopen, plan_return, plan_submit
from tests import access, factories

COMMENT_REQUIRED = (
    "Please write a comment: tell the account team what to change before resubmitting."
)


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


def set_status(plan, status) -> AccountPlan:
    AccountPlan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    return plan


def status_of(plan) -> str:
    return AccountPlan.objects.get(pk=plan.pk).status


def snapshot() -> list:
    return [
        list(AccountPlan.objects.order_by("pk").values("pk", "status", "revision")),
        list(PlanTransition.objects.order_by("pk").values()),
    ]


def growth_rule():
    return factories.FrameRuleFactory(min_change_percent=Decimal("3"))


# --- the services: who may move a plan where --------------------------------------------------


@pytest.mark.parametrize("persona", access.EDITORS)
@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.RETURNED])
def test_account_team_and_administrator_submit(plan, user_of, persona, status):
    user = user_of(persona)
    set_status(plan, status)
    assert plan_submit(plan=plan, user=user) == []
    assert status_of(plan) == PlanStatus.SUBMITTED
    transition = PlanTransition.objects.get()
    assert (transition.from_status, transition.to_status) == (status, PlanStatus.SUBMITTED)
    assert (transition.actor, transition.revision, transition.comment) == (user, 1, "")


@pytest.mark.parametrize("persona", ["leadership", "outsider"])
def test_leadership_and_outsiders_cannot_submit(plan, user_of, persona):
    with pytest.raises(PermissionDenied):
        plan_submit(plan=plan, user=user_of(persona))
    assert status_of(plan) == PlanStatus.DRAFT
    assert not PlanTransition.objects.exists()


def test_plan_of_archived_account_cannot_be_submitted(plan, owner):
    plan.account.status = AccountStatus.ARCHIVED
    plan.account.save()
    with pytest.raises(PermissionDenied):
        plan_submit(plan=plan, user=owner)


def test_submitting_with_violations_is_allowed_and_returns_them(plan, owner):
    growth_rule()
    factories.GoalFactory(
        plan=plan, title="Grow revenue", baseline=Decimal(100), annual_target=Decimal(101)
    )
    violations = plan_submit(plan=plan, user=owner)
    assert [v.message for v in violations] == [
        "Goal “Grow revenue”: target change +1.0 % is below the minimum of +3.0 % for Revenue."
    ]
    assert status_of(plan) == PlanStatus.SUBMITTED


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
def test_only_draft_or_returned_plans_can_be_submitted(plan, owner, status):
    set_status(plan, status)
    with pytest.raises(ValidationError) as error:
        plan_submit(plan=plan, user=owner)
    assert error.value.messages == ["Only a draft or returned plan can be submitted."]
    assert status_of(plan) == status


@pytest.mark.parametrize("persona", ["leadership", "administrator"])
def test_leadership_and_administrator_approve(plan, user_of, persona):
    set_status(plan, PlanStatus.SUBMITTED)
    user = user_of(persona)
    plan_approve(plan=plan, user=user)
    assert status_of(plan) == PlanStatus.APPROVED
    transition = PlanTransition.objects.get()
    assert (transition.from_status, transition.to_status, transition.actor) == (
        PlanStatus.SUBMITTED,
        PlanStatus.APPROVED,
        user,
    )


@pytest.mark.parametrize("persona", ["owner", "team_member", "outsider"])
def test_managers_cannot_approve_or_return(plan, user_of, persona):
    set_status(plan, PlanStatus.SUBMITTED)
    user = user_of(persona)
    with pytest.raises(PermissionDenied):
        plan_approve(plan=plan, user=user)
    with pytest.raises(PermissionDenied):
        plan_return(plan=plan, user=user, comment="Please rework")
    assert status_of(plan) == PlanStatus.SUBMITTED
    assert not PlanTransition.objects.exists()


def test_approval_is_refused_naming_every_violation(plan, leadership):
    growth_rule()
    factories.FrameRuleFactory(
        kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=Decimal("1000")
    )
    factories.GoalFactory(
        plan=plan, title="Grow revenue", baseline=Decimal(100), annual_target=Decimal(102)
    )
    factories.MeasureFactory(plan=plan, planned_cost=Decimal("1500"))
    set_status(plan, PlanStatus.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        plan_approve(plan=plan, user=leadership)
    assert error.value.messages == [
        "The plan violates the strategic frame and cannot be approved.",
        "Planned measure costs of 1,500.00 EUR exceed the cap of 1,000.00 EUR.",
        "Goal “Grow revenue”: target change +2.0 % is below the minimum of +3.0 % for Revenue.",
    ]
    assert status_of(plan) == PlanStatus.SUBMITTED
    assert not PlanTransition.objects.exists()


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.APPROVED])
def test_only_submitted_plans_can_be_approved_or_returned(plan, leadership, status):
    set_status(plan, status)
    with pytest.raises(ValidationError):
        plan_approve(plan=plan, user=leadership)
    with pytest.raises(ValidationError):
        plan_return(plan=plan, user=leadership, comment="Rework")
    assert status_of(plan) == status


def test_the_conditional_update_prevents_a_double_approve(plan, leadership, administrator):
    set_status(plan, PlanStatus.SUBMITTED)
    first = AccountPlan.objects.get(pk=plan.pk)
    second = AccountPlan.objects.get(pk=plan.pk)  # read before the first approval landed
    plan_approve(plan=first, user=leadership)
    with pytest.raises(ValidationError) as error:
        plan_approve(plan=second, user=administrator)
    assert error.value.messages == ["The plan was changed in the meantime; please reload the page."]
    assert PlanTransition.objects.get().actor == leadership


def test_a_stale_return_after_approval_does_not_apply(plan, leadership):
    set_status(plan, PlanStatus.SUBMITTED)
    stale = AccountPlan.objects.get(pk=plan.pk)
    plan_approve(plan=plan, user=leadership)
    with pytest.raises(ValidationError):
        plan_return(plan=stale, user=leadership, comment="Too late")
    assert status_of(plan) == PlanStatus.APPROVED
    assert PlanTransition.objects.count() == 1


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_return_needs_a_comment(plan, leadership, comment):
    set_status(plan, PlanStatus.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        plan_return(plan=plan, user=leadership, comment=comment)
    assert error.value.message_dict == {"comment": [COMMENT_REQUIRED]}
    assert status_of(plan) == PlanStatus.SUBMITTED


def test_return_records_the_comment(plan, leadership):
    set_status(plan, PlanStatus.SUBMITTED)
    plan_return(plan=plan, user=leadership, comment="  Raise the revenue target.  ")
    assert status_of(plan) == PlanStatus.RETURNED
    transition = PlanTransition.objects.get()
    assert (transition.to_status, transition.comment) == (
        PlanStatus.RETURNED,
        "Raise the revenue target.",
    )


@pytest.mark.parametrize("persona", access.EDITORS)
def test_reopen_opens_a_new_revision_and_keeps_history(plan, user_of, leadership, persona):
    user = user_of(persona)
    plan_submit(plan=plan, user=user)
    plan_approve(plan=plan, user=leadership)
    history_before = plan.history.count()
    plan_reopen(plan=plan, user=user)
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == (PlanStatus.DRAFT, 2)
    assert [(t.from_status, t.to_status, t.revision) for t in plan.transitions.order_by("pk")] == [
        (PlanStatus.DRAFT, PlanStatus.SUBMITTED, 1),
        (PlanStatus.SUBMITTED, PlanStatus.APPROVED, 1),
        (PlanStatus.APPROVED, PlanStatus.DRAFT, 2),
    ]
    assert plan.history.count() == history_before + 1
    latest = plan.history.first()
    assert (latest.status, latest.revision, latest.history_user) == (PlanStatus.DRAFT, 2, user)


def test_leadership_cannot_reopen(plan, leadership):
    set_status(plan, PlanStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        plan_reopen(plan=plan, user=leadership)
    assert status_of(plan) == PlanStatus.APPROVED


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED])
def test_only_approved_plans_can_be_reopened(plan, owner, status):
    set_status(plan, status)
    with pytest.raises(ValidationError):
        plan_reopen(plan=plan, user=owner)
    assert AccountPlan.objects.get(pk=plan.pk).revision == 1


def test_a_double_reopen_opens_only_one_revision(plan, owner):
    set_status(plan, PlanStatus.APPROVED)
    stale = AccountPlan.objects.get(pk=plan.pk)
    plan_reopen(plan=plan, user=owner)
    with pytest.raises(ValidationError):
        plan_reopen(plan=stale, user=owner)
    assert AccountPlan.objects.get(pk=plan.pk).revision == 2


# --- the views --------------------------------------------------------------------------------


def test_submit_with_violations_shows_them(client, plan, owner):
    growth_rule()
    factories.GoalFactory(
        plan=plan, title="Grow revenue", baseline=Decimal(100), annual_target=Decimal(101)
    )
    client.force_login(owner)
    response = client.post(reverse("goals:plan_submit", args=[plan.pk]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("goals:frame_check", args=[plan.pk])
    assert "Plan submitted with 1 violation of the strategic frame" in html
    assert "target change +1.0 % is below the minimum of +3.0 % for Revenue." in html
    assert status_of(plan) == PlanStatus.SUBMITTED


def test_approve_with_violations_names_them_on_the_page(client, plan, leadership):
    factories.FrameRuleFactory(
        kind="mandatory_goal", kpi=factories.revenue_kpi(), min_change_percent=None
    )
    set_status(plan, PlanStatus.SUBMITTED)
    client.force_login(leadership)
    response = client.post(reverse("goals:plan_approve", args=[plan.pk]), follow=True)
    html = response.content.decode()
    assert "The plan violates the strategic frame and cannot be approved." in html
    assert "A goal for Revenue is mandatory for every account." in html
    assert status_of(plan) == PlanStatus.SUBMITTED


def test_frame_check_page_without_violations(client, plan, owner):
    client.force_login(owner)
    html = client.get(reverse("goals:frame_check", args=[plan.pk])).content.decode()
    assert "The plan is inside the strategic frame." in html


def test_frame_check_page_shows_the_rule_reason(client, plan, owner):
    rule = factories.FrameRuleFactory(
        kind="mandatory_goal", kpi=factories.revenue_kpi(), min_change_percent=None
    )
    rule.note = "Board decision of March"
    rule.save()
    client.force_login(owner)
    html = client.get(reverse("goals:frame_check", args=[plan.pk])).content.decode()
    assert "A goal for Revenue is mandatory for every account." in html
    assert "Board decision of March" in html


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_without_comment_shows_a_form_error(client, plan, leadership, comment):
    set_status(plan, PlanStatus.SUBMITTED)
    client.force_login(leadership)
    response = client.post(reverse("goals:plan_return", args=[plan.pk]), {"comment": comment})
    assert response.status_code == 200
    assert response.context["form"].errors == {"comment": [COMMENT_REQUIRED]}
    assert COMMENT_REQUIRED in response.content.decode()
    assert status_of(plan) == PlanStatus.SUBMITTED


def test_returned_plan_shows_the_latest_return_comment(client, plan, owner, leadership):
    set_status(plan, PlanStatus.SUBMITTED)
    plan_return(plan=plan, user=leadership, comment="First remark")
    plan_submit(plan=plan, user=owner)
    plan_return(plan=plan, user=leadership, comment="Raise the revenue target.")
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "Raise the revenue target." in html
    assert "First remark" not in html
    assert f"Returned by {leadership}" in html


def test_a_second_approve_click_gives_a_message_not_an_error(client, plan, leadership):
    set_status(plan, PlanStatus.SUBMITTED)
    client.force_login(leadership)
    url = reverse("goals:plan_approve", args=[plan.pk])
    assert client.post(url).status_code == 302
    response = client.post(url, follow=True)
    assert "Only a submitted plan can be approved." in response.content.decode()
    assert PlanTransition.objects.count() == 1


def test_reopen_view_names_the_new_revision(client, plan, owner):
    set_status(plan, PlanStatus.APPROVED)
    client.force_login(owner)
    response = client.post(reverse("goals:plan_reopen", args=[plan.pk]), follow=True)
    html = response.content.decode()
    assert "Revision 2 opened as a draft." in html
    assert AccountPlan.objects.get(pk=plan.pk).revision == 2


@pytest.mark.parametrize(
    ("persona", "status", "buttons"),
    [
        ("owner", PlanStatus.DRAFT, {"submit"}),
        ("team_member", PlanStatus.RETURNED, {"submit"}),
        ("owner", PlanStatus.SUBMITTED, set()),
        ("owner", PlanStatus.APPROVED, {"reopen"}),
        ("leadership", PlanStatus.DRAFT, set()),
        ("leadership", PlanStatus.SUBMITTED, {"approve", "return"}),
        ("leadership", PlanStatus.APPROVED, set()),
        ("administrator", PlanStatus.SUBMITTED, {"approve", "return"}),
        ("administrator", PlanStatus.APPROVED, {"reopen"}),
    ],
)
def test_the_plan_header_offers_the_buttons_that_fit(
    client, plan, login_as, persona, status, buttons
):
    set_status(plan, status)
    login_as(persona)
    html = client.get(plan.get_absolute_url()).content.decode()
    offered = {
        b for b in ("submit", "approve", "return", "reopen") if f'data-workflow="{b}"' in html
    }
    assert offered == buttons


def test_no_workflow_buttons_on_archived_accounts(client, plan, owner):
    plan.account.status = AccountStatus.ARCHIVED
    plan.account.save()
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert 'data-workflow="submit"' not in html


def test_the_workflow_tag_costs_at_most_one_query(
    client, plan, owner, leadership, django_assert_max_num_queries
):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as draft:
        client.get(plan.get_absolute_url())
    set_status(plan, PlanStatus.SUBMITTED)
    for number in range(5):
        plan_return(plan=plan, user=leadership, comment=f"Remark {number}")
        plan_submit(plan=plan, user=owner)
    plan_return(plan=plan, user=leadership, comment="Last remark")
    with django_assert_max_num_queries(len(draft.captured_queries) + 1):
        html = client.get(plan.get_absolute_url()).content.decode()
    assert "Last remark" in html


@pytest.mark.parametrize("name", ["plan_submit", "plan_approve", "plan_return", "plan_reopen"])
def test_workflow_actions_are_post_only(client, plan, administrator, name):
    client.force_login(administrator)
    assert client.get(reverse(f"goals:{name}", args=[plan.pk])).status_code == 405


# --- the audit history ------------------------------------------------------------------------


def test_history_shows_a_field_change_with_user_and_old_and_new_value(client, plan, owner):
    client.force_login(owner)
    url = reverse("goals:status_quo_edit", args=[plan.pk])
    assert client.post(url, {"narrative": "Single-product supplier."}).status_code == 302
    assert client.post(url, {"narrative": "Two product groups now."}).status_code == 302
    response = client.get(reverse("goals:history", args=[plan.pk]))
    newest = response.context["page"].object_list[0]
    assert (newest.user, newest.action, newest.object_label) == (owner, "changed", "Plan")
    assert [(c.label, c.old, c.new) for c in newest.changes] == [
        ("Where are we?", "Single-product supplier.", "Two product groups now.")
    ]
    html = response.content.decode()
    assert "Two product groups now." in html
    assert str(owner) in html


def test_history_lists_transitions_and_changes_of_the_plans_parts(plan, owner, leadership, client):
    goal = factories.GoalFactory(plan=plan, title="Grow revenue")
    goal.annual_target = Decimal("1300000.00")
    goal.owner = leadership
    goal.save()
    target = factories.MonthlyTargetFactory(goal=goal, value=Decimal("100"))
    target.value = Decimal("150")
    target.save()
    measure = factories.MeasureFactory(plan=plan, title="Application day")
    measure.delete()
    item = factories.SwotItemFactory(plan=plan, text="New competitor", impact=2)
    item.impact = 4
    item.save()
    other_plan = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    factories.GoalFactory(plan=other_plan, title="Goal of another plan").delete()
    plan_submit(plan=plan, user=owner)
    plan_return(plan=plan, user=leadership, comment="Rework the targets")
    client.force_login(owner)
    entries = client.get(reverse("goals:history", args=[plan.pk])).context["page"].object_list
    lines = {
        (e.action, e.object_label, tuple((c.label, c.old, c.new) for c in e.changes))
        for e in entries
    }
    assert ("transition", "Plan", ()) in lines
    assert (
        "changed",
        "Goal “Grow revenue”",
        (("annual target", "1,200,000.00", "1,300,000.00"), ("owner", str(owner), str(leadership))),
    ) in lines
    assert (
        "changed",
        "Target for Jan 2027 of goal “Grow revenue”",
        (("target", "100.00", "150.00"),),
    ) in lines
    assert ("deleted", "Measure “Application day”", ()) in lines
    assert ("changed", "SWOT item “New competitor”", (("impact", "2", "4"),)) in lines
    assert not any("another plan" in label for _, label, _ in lines)
    # The workflow's own history records are shown as transitions, not as status diffs.
    assert [e.transition.comment for e in entries if e.transition] == ["Rework the targets", ""]
    assert not any(c.label == "status" for e in entries for c in e.changes)


def test_history_is_newest_first_and_paginated(client, plan, owner):
    for number in range(55):
        plan.narrative = f"Version {number}"
        plan.save()
    client.force_login(owner)
    url = reverse("goals:history", args=[plan.pk])
    first = client.get(url).context["page"]
    assert len(first.object_list) == 50
    assert first.object_list[0].changes[0].new == "Version 54"
    second = client.get(url, {"page": 2}).context["page"]
    assert [e.action for e in second.object_list][-1] == "created"
    assert len(second.object_list) == 6


def test_a_fresh_plans_history_shows_its_creation(client, plan, owner):
    client.force_login(owner)
    html = client.get(reverse("goals:history", args=[plan.pk])).content.decode()
    assert 'data-history="created"' in html


def test_history_query_count_does_not_grow_with_rows(
    client, plan, owner, leadership, django_assert_max_num_queries
):
    def add_changes(count):
        for number in range(count):
            goal = factories.GoalFactory(plan=plan, owner=owner)
            goal.owner = leadership
            goal.save()
            target = factories.MonthlyTargetFactory(goal=goal)
            target.value += 1
            target.save()
            factories.MeasureFactory(plan=plan).delete()
            plan.narrative = f"Version {number}"
            plan.save()

    add_changes(1)
    client.force_login(owner)
    url = reverse("goals:history", args=[plan.pk])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_changes(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).context["page"]
    assert len(page.object_list) == 50


# --- the approval queue -----------------------------------------------------------------------


@pytest.fixture
def queue_world(plan, outsider):
    """The owner's plan submitted, one of the outsider's plans submitted, one draft."""
    set_status(plan, PlanStatus.SUBMITTED)
    other_account = factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    other = factories.AccountPlanFactory(
        account=other_account, fiscal_year=2027, status=PlanStatus.SUBMITTED
    )
    draft = factories.AccountPlanFactory(account=other_account, fiscal_year=2028)
    return plan, other, draft


def queued(client, user) -> set[int]:
    client.force_login(user)
    response = client.get(reverse("goals:approvals"))
    assert response.status_code == 200
    return {row.plan.pk for row in response.context["queue"]}


@pytest.mark.parametrize("persona", ["leadership", "administrator"])
def test_leadership_sees_every_submitted_plan(client, queue_world, user_of, persona):
    plan, other, _draft = queue_world
    assert queued(client, user_of(persona)) == {plan.pk, other.pk}


@pytest.mark.parametrize("persona", ["owner", "team_member"])
def test_a_manager_sees_only_submitted_plans_of_their_accounts(
    client, queue_world, user_of, persona
):
    plan, _other, _draft = queue_world
    assert queued(client, user_of(persona)) == {plan.pk}


def test_approval_queue_shows_the_violation_count(client, queue_world, leadership):
    plan, other, _draft = queue_world
    growth_rule()
    factories.GoalFactory(plan=plan, baseline=Decimal(100), annual_target=Decimal(100))
    factories.GoalFactory(plan=other, baseline=Decimal(100), annual_target=Decimal(110))
    client.force_login(leadership)
    response = client.get(reverse("goals:approvals"))
    counts = {row.plan.pk: len(row.violations) for row in response.context["queue"]}
    assert counts == {plan.pk: 1, other.pk: 0}
    html = response.content.decode()
    assert 'data-violations="1"' in html
    assert "1 violation" in html
    assert "inside the frame" in html


def test_approval_queue_empty_state(client, owner):
    client.force_login(owner)
    html = client.get(reverse("goals:approvals")).content.decode()
    assert "No plan is waiting for approval." in html


def test_approval_queue_query_count_does_not_grow_with_plans(
    client, leadership, django_assert_max_num_queries
):
    growth_rule()
    factories.FrameRuleFactory(
        kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=Decimal("1000")
    )

    def submitted_plans(count):
        for _ in range(count):
            plan = factories.AccountPlanFactory(fiscal_year=2027, status=PlanStatus.SUBMITTED)
            factories.GoalFactory(plan=plan, baseline=Decimal(100), annual_target=Decimal(101))
            factories.MeasureFactory(plan=plan, planned_cost=Decimal("2000"))

    submitted_plans(2)
    client.force_login(leadership)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("goals:approvals"))
    submitted_plans(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("goals:approvals"))
    assert [len(row.violations) for row in response.context["queue"]] == [2] * 17


def test_the_navbar_links_the_approval_queue(client, owner):
    client.force_login(owner)
    html = client.get(reverse("accounts:list")).content.decode()
    assert reverse("goals:approvals") in html


# --- who may call which URL -------------------------------------------------------------------


@dataclass
class World:
    plan: AccountPlan


@pytest.fixture
def world(plan, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    return World(plan=plan)


# (url name, plan status needed, method, POST data, expected answer per persona).
OK_GET = dict.fromkeys(("owner", "team_member", "administrator", "leadership"), 200)
TEAM = {"owner": 302, "team_member": 302, "administrator": 302, "leadership": 403}
DECIDERS = {"owner": 403, "team_member": 403, "administrator": 302, "leadership": 302}
URLS = [
    ("approvals", None, "get", None, {**OK_GET, "outsider": 200}),
    ("frame_check", PlanStatus.DRAFT, "get", None, OK_GET),
    ("history", PlanStatus.DRAFT, "get", None, OK_GET),
    ("plan_submit", PlanStatus.DRAFT, "post", {}, TEAM),
    ("plan_approve", PlanStatus.SUBMITTED, "post", {}, DECIDERS),
    ("plan_return", PlanStatus.SUBMITTED, "post", {"comment": "Please rework"}, DECIDERS),
    ("plan_reopen", PlanStatus.APPROVED, "post", {}, TEAM),
]
IDS = [f"{name}-{method}" for name, _, method, *_ in URLS]


def test_every_workflow_url_is_covered():
    workflow_names = {
        p.name for p in goal_urls.urlpatterns if p.callback.__module__ == "goals.views.workflow"
    }
    assert workflow_names == {name for name, *_ in URLS}


def call(client, world, name, status, method, data):
    if status is not None:
        set_status(world.plan, status)
    args = [] if status is None else [world.plan.pk]
    url = reverse(f"goals:{name}", args=args)
    return client.post(url, data) if method == "post" else client.get(url)


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize(("name", "status", "method", "data", "expected"), URLS, ids=IDS)
def test_every_url_answers_each_persona(
    client, world, login_as, persona, name, status, method, data, expected
):
    login_as(persona)
    # An outsider does not see the plan at all; an anonymous visitor logs in first.
    answer = {"anonymous": access.LOGIN, **expected}.get(persona, 404)
    response = call(client, world, name, status, method, data)
    assert access.answer(response) == answer
    if answer == 302:
        assert PlanTransition.objects.count() == 1
    else:
        assert not PlanTransition.objects.exists()
        if status is not None:
            assert status_of(world.plan) == status
