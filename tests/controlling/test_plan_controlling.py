"""The plan controlling page: the run's stored figures per goal and month, the chart, ratings
of qualitative goals, measure costs against the budget and the plan's open deviations."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlling.models import Actual, Deviation, GoalRating, GoalResult, GoalState, GoalStatus
from controlling.services.engine import compute_goals
from goals.models import MonthlyTarget, PlanStatus
from kam.fiscal import fiscal_year_for, plan_months
from tests import access
from tests.factories import (
    AccountPlanFactory,
    FrameRuleFactory,
    GoalFactory,
    MeasureFactory,
    QualitativeGoalFactory,
    revenue_kpi,
)

pytestmark = pytest.mark.django_db

YEAR = 2027


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def month(number: int) -> datetime.date:
    return datetime.date(YEAR, number, 1)


def quantitative_goal(plan, *, target: str = "12000", title: str = "Grow revenue"):
    goal = GoalFactory(plan=plan, title=title)
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=month(m), value=Decimal(target)) for m in range(1, 13)
    )
    return goal


def report(account, number: int, value: str) -> None:
    Actual.objects.update_or_create(
        account=account, kpi=revenue_kpi(), month=month(number), defaults={"value": Decimal(value)}
    )


@pytest.fixture
def plan(account):
    return AccountPlanFactory(account=account, fiscal_year=YEAR)


@pytest.fixture
def computed(plan, account):
    """A revenue goal 10 % short in January and back on plan by February."""
    goal = quantitative_goal(plan)
    report(account, 1, "10800")
    report(account, 2, "13200")
    compute_goals(account_ids=[account.pk])
    return goal


def url(plan) -> str:
    return reverse("controlling:plan_controlling", args=[plan.pk])


def section(html: str, goal) -> str:
    match = re.search(rf'<section class="mb-4" id="goal-{goal.pk}".*?</section>', html, re.S)
    assert match, f"no section for goal {goal.pk}"
    return match.group(0)


def cells(html: str, row: str) -> dict[str, str]:
    """month (YYYY-MM) -> the cell's text, of one row of a goal's table."""
    match = re.search(rf'<tr data-row="{row}">(.*?)</tr>', html, re.S)
    assert match, f"no row {row}"
    found = re.findall(r'data-month="([\d-]+)">(.*?)</td>', match.group(1), re.S)
    return {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in found}


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    access.account_page_answers(method="get", read=True),
)
def test_the_page_is_visible_with_the_plans_account(client, login_as, plan, persona, status):
    login_as(persona)
    assert access.answer(client.get(url(plan))) == status


def test_the_plan_steps_and_the_controlling_frame_link_to_the_page(client, plan, owner):
    client.force_login(owner)
    frame = client.get(reverse("goals:frame", args=[plan.pk])).content.decode()
    assert 'id="plan-controlling-link"' in frame
    assert 'id="frame-controlling-link"' in frame
    assert url(plan) in frame


# --- figures ------------------------------------------------------------------------------------


def test_the_monthly_figures_are_the_stored_results(client, plan, owner, computed):
    client.force_login(owner)
    html = section(client.get(url(plan)).content.decode(), computed)

    plan_row, actual, deviation = (
        cells(html, "plan"),
        cells(html, "actual"),
        cells(html, "deviation"),
    )
    percent, status = cells(html, "deviation-percent"), cells(html, "status")
    assert (plan_row["2027-01"], actual["2027-01"], deviation["2027-01"]) == (
        "12,000.00",
        "10,800.00",
        "-1,200.00",
    )
    assert percent["2027-01"] == "-10.0 %"
    assert status["2027-01"] == "At risk"
    assert (actual["2027-02"], deviation["2027-02"], percent["2027-02"]) == (
        "13,200.00",
        "1,200.00",
        "10.0 %",
    )
    assert status["2027-02"] == "On track"
    assert cells(html, "forecast")["2027-02"] == "144,000.00"
    assert actual["2027-03"] == "–"
    assert len(plan_row) == 12

    for result in GoalResult.objects.filter(goal=computed):
        key = result.month.strftime("%Y-%m")
        assert plan_row[key] == f"{result.plan:,.2f}"
        if result.actual is not None:
            assert actual[key] == f"{result.actual:,.2f}"
            assert deviation[key] == f"{result.deviation:,.2f}"
            assert status[key] == result.get_status_display()
        else:  # the run carries the status forward; a month without actual shows none
            assert status[key] == "–"


def test_the_overview_shows_each_goals_state(client, plan, owner, computed):
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    state = GoalState.objects.get(goal=computed)
    row = re.search(rf'<tr data-goal="{computed.pk}">(.*?)</tr>', html, re.S).group(1)
    assert 'data-status="on_track"' in row
    assert f"{state.ytd_actual:,.2f}" == "24,000.00"
    assert "24,000.00" in row
    assert "144,000.00" in row


def test_numbers_follow_the_locale(client, plan, owner, computed):
    client.force_login(owner)
    html = client.get(url(plan), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert cells(section(html, computed), "deviation")["2027-01"] == "-1.200,00"


def test_statuses_are_shown_as_text_not_colour_alone(client, plan, owner, account):
    goal = quantitative_goal(plan)
    report(account, 1, "6000")
    compute_goals(account_ids=[account.pk])
    client.force_login(owner)
    html = section(client.get(url(plan)).content.decode(), goal)
    assert re.search(r'data-status="off_track"><i [^>]*></i> Off track</span>', html)


def test_a_goal_without_results_says_so_and_the_page_never_computes(client, plan, owner):
    goal = quantitative_goal(plan)
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    assert "data-no-results" in section(html, goal)
    assert not GoalResult.objects.exists()
    assert not GoalState.objects.exists()


def test_a_plan_without_goals_shows_an_empty_state(client, plan, owner):
    client.force_login(owner)
    assert 'id="controlling-empty"' in client.get(url(plan)).content.decode()


# --- chart --------------------------------------------------------------------------------------


def chart_config(html: str) -> dict:
    match = re.search(r'<script id="plan-chart" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no chart config"
    return json.loads(match.group(1))


def test_the_chart_shows_cumulative_plan_and_actual(client, plan, owner, computed):
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    config = chart_config(html)
    planned, actual = (dataset["data"] for dataset in config["data"]["datasets"])
    assert planned[:3] == [12000.0, 24000.0, 36000.0]
    assert planned[-1] == 144000.0
    assert actual[:3] == [10800.0, 24000.0, None]
    assert 'data-chart="plan-chart"' in html
    # The table fallback carries the same figures.
    assert re.search(r'id="plan-chart-table".*?24,000\.00.*?</table>', html, re.S)


def test_the_chart_shows_the_goal_chosen(client, plan, owner, account, computed):
    second = quantitative_goal(plan, target="500", title="Second goal")
    compute_goals(account_ids=[account.pk])
    client.force_login(owner)
    first = chart_config(client.get(url(plan)).content.decode())
    chosen = chart_config(client.get(url(plan), {"goal": second.pk}).content.decode())
    assert first["data"]["datasets"][0]["data"][0] == 12000.0
    assert chosen["data"]["datasets"][0]["data"][0] == 500.0
    html = client.get(url(plan), {"goal": "not-a-goal"}).content.decode()
    assert chart_config(html)["data"]["datasets"][0]["data"][0] == 12000.0


# --- ratings of qualitative goals ---------------------------------------------------------------


@pytest.fixture
def current_plan(account):
    return AccountPlanFactory(account=account, fiscal_year=fiscal_year_for(timezone.localdate()))


@pytest.fixture
def qualitative(current_plan):
    return QualitativeGoalFactory(plan=current_plan, title="Care quality", target_rating=4)


def rate(client, goal, **data):
    prefix = f"goal-{goal.pk}-"
    return client.post(
        reverse("controlling:goal_rate", args=[goal.plan_id, goal.pk]),
        {prefix + key: value for key, value in data.items()},
    )


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def test_the_team_rates_a_qualitative_goal_and_the_run_computes_it(
    client, owner, qualitative, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = rate(client, qualitative, month=this_month().isoformat(), rating=3, note="Late")
    assert response.status_code == 302
    rating = GoalRating.objects.get(goal=qualitative)
    assert (rating.month, rating.rating, rating.note, rating.rated_by) == (
        this_month(),
        3,
        "Late",
        owner,
    )
    result = GoalResult.objects.get(goal=qualitative, month=this_month())
    assert (result.plan, result.actual, result.status) == (4, 3, GoalStatus.AT_RISK)

    html = section(client.get(url(qualitative.plan)).content.decode(), qualitative)
    assert cells(html, "actual")[this_month().strftime("%Y-%m")] == "3"
    assert "Late" in html


def test_rating_again_replaces_the_months_rating(client, owner, qualitative):
    client.force_login(owner)
    rate(client, qualitative, month=this_month().isoformat(), rating=2)
    rate(client, qualitative, month=this_month().isoformat(), rating=5)
    assert list(GoalRating.objects.values_list("rating", flat=True)) == [5]


def test_ratings_are_open_on_approved_plans(client, team_member, qualitative):
    qualitative.plan.status = PlanStatus.APPROVED
    qualitative.plan.save(update_fields=["status"])
    client.force_login(team_member)
    assert (
        f'id="rating-form-{qualitative.pk}"' in client.get(url(qualitative.plan)).content.decode()
    )
    assert rate(client, qualitative, month=this_month().isoformat(), rating=4).status_code == 302


def test_leadership_sees_ratings_without_a_form_and_may_not_post(client, leadership, qualitative):
    client.force_login(leadership)
    assert "rating-form" not in client.get(url(qualitative.plan)).content.decode()
    assert rate(client, qualitative, month=this_month().isoformat(), rating=4).status_code == 403
    assert not GoalRating.objects.exists()


def test_an_outsider_cannot_rate(client, outsider, qualitative):
    client.force_login(outsider)
    assert rate(client, qualitative, month=this_month().isoformat(), rating=4).status_code == 404


def test_a_bad_rating_or_month_is_refused_naming_the_field(client, owner, qualitative):
    client.force_login(owner)
    future = (this_month() + datetime.timedelta(days=40)).replace(day=1)
    response = rate(client, qualitative, month=future.isoformat(), rating=9)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Month: Choose a month of the plan&#x27;s fiscal year up to this month." in html
    assert "Rating: The rating must be from 1 to 5." in html
    assert not GoalRating.objects.exists()


def test_quantitative_goals_are_not_rated(client, owner, current_plan):
    goal = GoalFactory(plan=current_plan)
    client.force_login(owner)
    assert rate(client, goal, month=this_month().isoformat(), rating=4).status_code == 404


def test_the_rating_months_run_up_to_this_month(current_plan):
    from controlling.selectors.plan import rating_months

    months = rating_months(current_plan, timezone.localdate())
    assert months == [m for m in plan_months(current_plan.fiscal_year) if m <= this_month()]
    assert months[-1] == this_month()


# --- costs and budget ---------------------------------------------------------------------------


def costs(html: str) -> str:
    return re.search(r'<section class="mb-4" id="costs".*?</section>', html, re.S).group(0)


def test_without_limit_or_cap_it_says_no_budget_set(client, plan, owner):
    MeasureFactory(plan=plan, planned_cost=Decimal("5000"), actual_cost=Decimal("1250.50"))
    client.force_login(owner)
    html = costs(client.get(url(plan)).content.decode())
    assert 'id="no-budget"' in html
    assert "5,000.00" in html
    assert "1,250.50" in html


def test_the_frame_cost_cap_is_the_budget_and_warns_when_exceeded(client, plan, owner):
    FrameRuleFactory(kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=Decimal(8000))
    FrameRuleFactory(
        kind="cost_cap",
        kpi=None,
        min_change_percent=None,
        cost_cap=Decimal(100),
        tier="no-such-tier",
    )
    MeasureFactory(plan=plan, planned_cost=Decimal("6000"))
    MeasureFactory(plan=plan, planned_cost=Decimal("3000"))
    client.force_login(owner)
    html = costs(client.get(url(plan)).content.decode())
    assert 'data-cost="cap">8,000.00' in html
    assert 'data-cost="remaining">-1,000.00' in html
    assert 'data-warning="over-budget"' in html


def test_a_lower_expense_limit_of_the_plan_binds(client, plan, owner):
    FrameRuleFactory(kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=Decimal(8000))
    plan.budget = Decimal(5000)
    plan.save(update_fields=["budget"])
    MeasureFactory(plan=plan, planned_cost=Decimal("4000"))
    client.force_login(owner)
    html = costs(client.get(url(plan)).content.decode())
    assert 'data-cost="remaining">1,000.00' in html
    assert "over-budget" not in html


# --- deviations ---------------------------------------------------------------------------------


def test_the_plans_open_deviations_are_listed_with_links(client, plan, owner, computed):
    other_plan = AccountPlanFactory(account=plan.account, fiscal_year=YEAR + 1)
    now = timezone.now()
    open_ = Deviation.objects.create(
        goal=computed, from_status="on_track", to_status="off_track", opened_for=now
    )
    Deviation.objects.create(
        goal=computed,
        from_status="on_track",
        to_status="at_risk",
        opened_for=now - datetime.timedelta(days=1),
        closed_at=now,
        opened_at=now - datetime.timedelta(days=1),
    )
    Deviation.objects.create(
        goal=GoalFactory(plan=other_plan),
        from_status="on_track",
        to_status="off_track",
        opened_for=now,
    )
    client.force_login(owner)
    response = client.get(url(plan))
    assert [d.pk for d in response.context["data"].deviations] == [open_.pk]
    assert open_.get_absolute_url() in response.content.decode()


# --- queries ------------------------------------------------------------------------------------


def test_the_page_costs_the_same_queries_for_two_and_twenty_goals(
    client, owner, account, django_assert_max_num_queries
):
    def build(fiscal_year: int, goals: int):
        plan = AccountPlanFactory(account=account, fiscal_year=fiscal_year)
        for number in range(goals):
            quantitative_goal(plan, title=f"Goal {number}")
            QualitativeGoalFactory(plan=plan)
            MeasureFactory(plan=plan)
        return plan

    small, large = build(YEAR, 2), build(YEAR + 1, 20)
    for number in range(1, 4):
        report(account, number, "11000")
    compute_goals(account_ids=[account.pk])
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(small)).status_code == 200
    with django_assert_max_num_queries(len(few)):
        assert client.get(url(large)).status_code == 200


# --- every URL for every persona ----------------------------------------------------------------

URLS = [("plan_controlling", "get"), ("goal_rate", "post")]
EXPECTED = {
    "owner": [200, 302],
    "team_member": [200, 302],
    "administrator": [200, 302],
    "leadership": [200, 403],
    "outsider": [404, 404],
    "anonymous": [access.LOGIN, access.LOGIN],
}


def request_url(client, name: str, method: str, goal):
    if name == "plan_controlling":
        return client.get(url(goal.plan))
    return rate(client, goal, month=this_month().isoformat(), rating=4)


@pytest.mark.parametrize("persona", access.PERSONAS)
def test_every_url_for_every_persona(client, login_as, persona, qualitative):
    login_as(persona)
    answers = [access.answer(request_url(client, name, m, qualitative)) for name, m in URLS]
    assert answers == EXPECTED[persona]
