"""The print view: the whole plan as one clean, standalone document."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import KPIDefinition, MeasureStatus, PlanStatus, PlanTransition
from tests import access, factories

D = Decimal


@pytest.fixture(autouse=True)
def january_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account, owner, leadership):
    plan = factories.AccountPlanFactory(
        account=account,
        fiscal_year=2027,
        status=PlanStatus.APPROVED,
        revision=2,
        prior_year_revenue=D("1250000"),
        narrative="Single-product supplier so far.",
        budget=D("10000"),
    )
    for kind, text in (
        ("strength", "Strong service team"),
        ("weakness", "One product only"),
        ("opportunity", "New plant in Poland"),
        ("threat", "Low-cost competitor"),
    ):
        factories.SwotItemFactory(plan=plan, kind=kind, text=text)
    goal = factories.GoalFactory(
        plan=plan, title="Grow revenue", baseline=D("1000000"), annual_target=D("1200000")
    )
    for month in range(1, 13):
        factories.MonthlyTargetFactory(
            goal=goal, month=datetime.date(2027, month, 1), value=D("100000")
        )
    factories.QualitativeGoalFactory(plan=plan, title="Customer satisfaction", target_rating=4)
    factories.MeasureFactory(
        plan=plan, title="Application day", goals=[goal], planned_cost=D("7500")
    )
    factories.MeasureFactory(
        plan=plan,
        title="Dropped mailing",
        planned_cost=D("9999"),
        status=MeasureStatus.CANCELLED,
    )
    PlanTransition.objects.create(
        plan=plan,
        from_status=PlanStatus.DRAFT,
        to_status=PlanStatus.SUBMITTED,
        revision=2,
        actor=owner,
        comment="Ready for review.",
    )
    PlanTransition.objects.create(
        plan=plan,
        from_status=PlanStatus.SUBMITTED,
        to_status=PlanStatus.APPROVED,
        revision=2,
        actor=leadership,
        comment="Approved as planned.",
    )
    return plan


def print_url(plan) -> str:
    return reverse("goals:print", args=[plan.pk])


def test_print_contains_every_section(client, owner, plan):
    client.force_login(owner)
    response = client.get(print_url(plan))
    html = response.content.decode()
    assert response.status_code == 200
    # header
    for text in ("Nordwerk Antriebe", "FY 2027", "Approved", "Revision", str(owner)):
        assert text in html
    # status quo, SWOT
    for text in ("1,250,000.00", "Single-product supplier so far."):
        assert text in html
    for text in ("Strong service team", "One product only", "New plant in Poland"):
        assert text in html
    assert "Low-cost competitor" in html
    # goals and their 12 months with the year's total
    for text in ("Grow revenue", "1,000,000.00", "1,200,000.00", "Customer satisfaction"):
        assert text in html
    assert "Rating 4 of 5" in html
    months_row = html[html.index('data-goal-months="') :]
    months_row = months_row[: months_row.index("</tr>")]
    assert months_row.count("100,000.00") == 12
    assert "1,200,000.00" in months_row
    assert "Jan 27" in html and "Dec 27" in html
    # measures, budget vs planned cost (the cancelled measure does not count)
    for text in ("Application day", "7,500.00", "Communication policy", "Dropped mailing"):
        assert text in html
    assert "10,000.00" in html
    assert "Left within the limit" in html
    assert "2,500.00" in html
    # approval history
    for text in ("Ready for review.", "Approved as planned.", str(plan.account.owner)):
        assert text in html


def test_print_is_a_standalone_document_without_navigation(client, owner, plan):
    client.force_login(owner)
    html = client.get(print_url(plan)).content.decode()
    assert "navbar" not in html
    assert "<nav" not in html
    assert reverse("accounts:list") not in html
    assert "vendor/bootstrap/bootstrap.min.css" in html
    assert "@page" in html and "A4" in html
    assert "page-break-inside: avoid" in html
    assert 'class="btn btn-primary btn-sm" data-print' in html
    assert "js/behaviours.js" in html  # what makes data-print open the print dialogue
    button_bar = html[: html.index("data-print")]
    assert "d-print-none" in button_bar[button_bar.rindex("<div") :]
    assert "<form" not in html


def test_print_shows_an_overrun_budget(client, owner, plan):
    plan.budget = D("5000")
    plan.save()
    client.force_login(owner)
    html = client.get(print_url(plan)).content.decode()
    assert "Over the limit by" in html
    assert "2,500.00" in html


def test_print_of_an_empty_plan(client, owner, account):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    client.force_login(owner)
    html = client.get(print_url(plan)).content.decode()
    for text in ("No goals yet.", "No measures yet.", "Not submitted yet.", "none set"):
        assert text in html


def test_print_totals_a_non_sum_kpi_by_its_roll_up(client, owner, account):
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="share_of_wallet",
        defaults={"name_en": "Share of wallet", "name_de": "Lieferanteil", "unit": "percent"},
    )
    kpi.rollup = "last"
    kpi.save()
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    goal = factories.GoalFactory(plan=plan, kpi=kpi, baseline=D("30"), annual_target=D("35"))
    for month, value in ((1, "31"), (12, "35.5")):
        factories.MonthlyTargetFactory(
            goal=goal, month=datetime.date(2027, month, 1), value=D(value)
        )
    client.force_login(owner)
    html = client.get(print_url(plan)).content.decode()
    row = html[html.index('data-goal-months="') :]
    row = row[: row.index("</tr>")]
    assert row.endswith('<td class="fw-semibold">35.50</td>')


def test_print_query_count_does_not_grow_with_goals_and_measures(
    client, owner, account, django_assert_max_num_queries
):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    stakeholder = factories.StakeholderFactory(account=account)

    def add(count: int) -> None:
        for _ in range(count):
            goal = factories.GoalFactory(plan=plan)
            goal.stakeholders.set([stakeholder])
            factories.MonthlyTargetFactory(goal=goal, month=datetime.date(2027, 3, 1))
            factories.QualitativeGoalFactory(plan=plan)
            factories.MeasureFactory(plan=plan, goals=[goal])
            factories.SwotItemFactory(plan=plan)
            PlanTransition.objects.create(
                plan=plan, from_status="draft", to_status="submitted", revision=1, actor=owner
            )

    add(3)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(print_url(plan)).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(print_url(plan))
    assert len(response.context["doc"].goals) == 60
    assert len(response.context["doc"].measures) == 30


@pytest.mark.parametrize(
    ("persona", "status"),
    access.account_page_answers(method="get", read=True),
)
def test_who_may_print_the_plan(client, plan, outsider, login_as, persona, status):
    factories.KeyAccountFactory(owner=outsider)
    login_as(persona)
    assert access.answer(client.get(print_url(plan))) == status
