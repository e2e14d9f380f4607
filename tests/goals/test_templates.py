"""New plan from goal templates, copy of last year's plan, and two plans compared.

Every URL of goals.views.templates is listed in URLS below; `test_every_templates_url_is_covered`
fails when one is added without being listed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountStatus
from goals import urls as goal_urls
from goals.models import (
    AccountPlan,
    Goal,
    GoalKind,
    KPIDefinition,
    Measure,
    MeasureStatus,
    MonthlyTarget,
    PlanStatus,
    SwotItem,
)
from goals.selectors.templates import compare_plans
from goals.services.goals import monthly_values
from goals.services.templates import default_target, plan_copy, plan_create_from_templates
from tests import access, factories

D = Decimal


def months(fiscal_year: int, start_month: int = 1) -> list[datetime.date]:
    first = datetime.date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)
    return [
        datetime.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for i in range(12)
    ]


def share_kpi() -> KPIDefinition:
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="share_of_wallet",
        defaults={"name_en": "Share of wallet", "name_de": "Lieferanteil", "unit": "percent"},
    )
    kpi.rollup = "last"
    kpi.save()
    return kpi


def snapshot() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (AccountPlan, Goal, MonthlyTarget, SwotItem, Measure)
    ]


def targets(goal: Goal) -> list[tuple[datetime.date, Decimal]]:
    return list(goal.targets.order_by("month").values_list("month", "value"))


@pytest.fixture(autouse=True)
def january_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def template_set(db):
    return factories.GoalTemplateSetFactory(name="Key account standard", tier="key")


# --- rules: default targets and monthly values ------------------------------------------------


def test_default_target_is_baseline_times_one_plus_growth_rounded_to_the_cent():
    # 123,456.78 × 1.025 = 126,543.1995 -> 126,543.20
    assert default_target(D("123456.78"), D("2.5")) == D("126543.20")
    assert default_target(D("2.50"), D("5")) == D("2.63")  # 2.625: half up, not to even
    assert default_target(D("1000"), None) == D("1000.00")
    assert default_target(D("1000"), D("-3")) == D("970.00")


def test_monthly_values_of_a_sum_kpi_add_up_exactly_with_the_remainder_last():
    values = monthly_values("sum", D("126543.20"), [1] * 12)
    # 126,543.20 / 12 = 10,545.2666…: 11 × 10,545.26 and the remainder 10,545.34 last
    assert values == [D("10545.26")] * 11 + [D("10545.34")]
    assert sum(values) == D("126543.20")


def test_monthly_values_with_weights_that_sum_to_zero_spread_evenly():
    assert monthly_values("sum", D("1200"), [0] * 12) == [D("100.00")] * 12


@pytest.mark.parametrize("rollup", ["average", "last"])
def test_monthly_values_of_a_non_sum_kpi_carry_the_annual_target(rollup):
    assert monthly_values(rollup, D("35.5"), [3] + [1] * 11) == [D("35.5")] * 12


# --- the service: new plan from templates -----------------------------------------------------


def test_from_template_creates_goals_with_hand_computed_targets(
    account, owner, template_set, settings
):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    revenue = factories.GoalTemplateFactory(
        template_set=template_set,
        title="Grow revenue",
        growth_percent=D("2.5"),
        weight=40,
        perspective="finance",
        goal_area="market_position",
        relationship_perspective="supplier",
        horizon="strategic",
        selling_dimension=2,
        order=1,
    )
    plan = plan_create_from_templates(
        account=account,
        fiscal_year=2027,
        template_set=template_set,
        user=owner,
        baselines={revenue.pk: D("123456.78")},
    )
    goal = plan.goals.get()
    assert (goal.baseline, goal.annual_target) == (D("123456.78"), D("126543.20"))
    assert goal.template == revenue
    assert goal.owner == account.owner
    assert (goal.title, goal.kind, goal.kpi.code, goal.weight, goal.order) == (
        "Grow revenue",
        GoalKind.QUANTITATIVE,
        "revenue",
        40,
        1,
    )
    assert (goal.perspective, goal.goal_area, goal.relationship_perspective) == (
        "finance",
        "market_position",
        "supplier",
    )
    assert (goal.horizon, goal.selling_dimension) == ("strategic", 2)
    # FY 2027 starting in April: Apr 2026 .. Mar 2027
    assert targets(goal) == list(
        zip(months(2027, 4), [D("10545.26")] * 11 + [D("10545.34")], strict=True)
    )
    assert sum(value for _, value in targets(goal)) == goal.annual_target
    assert plan.status == PlanStatus.DRAFT


def test_from_template_copies_a_qualitative_template(account, owner, template_set):
    template = factories.GoalTemplateFactory(
        template_set=template_set,
        title="Customer satisfaction",
        kind=GoalKind.QUALITATIVE,
        kpi=None,
        growth_percent=None,
        target_rating=4,
        criteria="Annual survey: 4 of 5.",
        perspective="customer",
        goal_area="customer_satisfaction",
    )
    plan = plan_create_from_templates(
        account=account, fiscal_year=2027, template_set=template_set, user=owner
    )
    goal = plan.goals.get()
    assert (goal.kind, goal.target_rating, goal.criteria, goal.template) == (
        GoalKind.QUALITATIVE,
        4,
        "Annual survey: 4 of 5.",
        template,
    )
    assert goal.baseline is None and goal.annual_target is None
    assert not goal.targets.exists()


def test_from_template_takes_last_years_target_for_the_same_kpi_as_baseline(
    account, owner, template_set
):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    factories.AccountPlanFactory(account=account, fiscal_year=2025)  # not last year: ignored
    factories.GoalTemplateFactory(template_set=template_set, growth_percent=D("5"))
    plan = plan_create_from_templates(
        account=account, fiscal_year=2027, template_set=template_set, user=owner
    )
    goal = plan.goals.get()
    assert (goal.baseline, goal.annual_target) == (D("800000.00"), D("840000.00"))
    assert targets(goal)[0] == (datetime.date(2027, 1, 1), D("70000.00"))


def test_from_template_spreads_by_the_seasonal_profile(account, owner, template_set):
    profile = factories.SeasonalProfileFactory(weights=[3] + [1] * 11)
    template = factories.GoalTemplateFactory(
        template_set=template_set, growth_percent=D("0"), seasonal_profile=profile
    )
    plan = plan_create_from_templates(
        account=account,
        fiscal_year=2027,
        template_set=template_set,
        user=owner,
        baselines={template.pk: D("1400")},
    )
    values = [value for _, value in targets(plan.goals.get())]
    assert values == [D("300.00")] + [D("100.00")] * 11


def test_from_template_gives_a_non_sum_kpi_the_target_in_every_month(account, owner, template_set):
    template = factories.GoalTemplateFactory(
        template_set=template_set, kpi=share_kpi(), growth_percent=D("10")
    )
    plan = plan_create_from_templates(
        account=account,
        fiscal_year=2027,
        template_set=template_set,
        user=owner,
        baselines={template.pk: D("30")},
    )
    assert [value for _, value in targets(plan.goals.get())] == [D("33.00")] * 12


def test_from_template_refuses_a_set_of_another_tier(account, owner):
    other_tier = factories.GoalTemplateSetFactory(tier="strategic")
    factories.GoalTemplateFactory(template_set=other_tier)
    with pytest.raises(ValidationError) as error:
        plan_create_from_templates(
            account=account, fiscal_year=2027, template_set=other_tier, user=owner
        )
    assert "is not available for accounts of this tier" in error.value.messages[0]
    assert not AccountPlan.objects.exists()


def test_from_template_refuses_an_inactive_set(account, owner):
    inactive = factories.GoalTemplateSetFactory(tier="key", active=False)
    with pytest.raises(ValidationError):
        plan_create_from_templates(
            account=account, fiscal_year=2027, template_set=inactive, user=owner
        )
    assert not AccountPlan.objects.exists()


def test_from_template_writes_nothing_when_a_row_has_no_baseline(account, owner, template_set):
    first = factories.GoalTemplateFactory(template_set=template_set, order=1)
    factories.GoalTemplateFactory(
        template_set=template_set, title="Share of wallet", kpi=share_kpi(), order=2
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        plan_create_from_templates(
            account=account,
            fiscal_year=2027,
            template_set=template_set,
            user=owner,
            baselines={first.pk: D("1000")},
        )
    assert error.value.messages == [
        "Enter a baseline for “Share of wallet”: last year has no actual and no target for "
        "this KPI."
    ]
    assert snapshot() == before


def test_from_template_refuses_a_year_that_has_a_plan(account, owner, template_set):
    factories.AccountPlanFactory(account=account, fiscal_year=2027)
    with pytest.raises(ValidationError) as error:
        plan_create_from_templates(
            account=account, fiscal_year=2027, template_set=template_set, user=owner
        )
    assert error.value.messages == ["This account already has a plan for this fiscal year."]


# --- the page: new plan from templates --------------------------------------------------------


def from_template_url(account) -> str:
    return reverse("goals:plan_from_template", args=[account.pk])


def test_from_template_page_prefills_baselines_from_last_year(client, owner, account, template_set):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    revenue = factories.GoalTemplateFactory(template_set=template_set, title="Grow revenue")
    share = factories.GoalTemplateFactory(
        template_set=template_set, title="Share of wallet", kpi=share_kpi()
    )
    client.force_login(owner)
    response = client.get(
        from_template_url(account), {"template_set": template_set.pk, "fiscal_year": "2027"}
    )
    assert response.status_code == 200
    form = response.context["baselines"]
    assert form[f"baseline_{revenue.pk}"].value() == D("800000.00")
    assert form[f"baseline_{share.pk}"].value() is None
    html = response.content.decode()
    assert 'value="800,000.00"' in html  # grouped, as English writes it
    assert "Grow revenue" in html and "Share of wallet" in html


def test_from_template_page_creates_the_plan(client, owner, account, template_set):
    revenue = factories.GoalTemplateFactory(template_set=template_set, growth_percent=D("2.5"))
    client.force_login(owner)
    response = client.post(
        from_template_url(account),
        {
            "template_set": template_set.pk,
            "fiscal_year": "2027",
            f"baseline_{revenue.pk}": "123456.78",
        },
    )
    plan = AccountPlan.objects.get()
    assert response.status_code == 302
    assert response.url == plan.get_absolute_url()
    assert plan.created_by == owner
    assert plan.goals.get().annual_target == D("126543.20")


def test_from_template_page_refuses_a_set_of_another_tier(client, owner, account):
    other_tier = factories.GoalTemplateSetFactory(tier="strategic")
    client.force_login(owner)
    response = client.post(
        from_template_url(account), {"template_set": other_tier.pk, "fiscal_year": "2027"}
    )
    assert response.status_code == 200
    assert response.context["choice"].errors["template_set"] == [
        "Choose one of the template sets for this account's tier."
    ]
    assert not AccountPlan.objects.exists()


def test_from_template_page_writes_nothing_for_a_bad_row(client, owner, account, template_set):
    first = factories.GoalTemplateFactory(template_set=template_set, title="Grow revenue")
    second = factories.GoalTemplateFactory(
        template_set=template_set, title="Share of wallet", kpi=share_kpi()
    )
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        from_template_url(account),
        {
            "template_set": template_set.pk,
            "fiscal_year": "2027",
            f"baseline_{first.pk}": "1000",
            f"baseline_{second.pk}": "",
        },
    )
    assert response.status_code == 200
    assert response.context["baselines"].errors == {
        f"baseline_{second.pk}": ["Enter a baseline for “Share of wallet”."]
    }
    assert "Enter a baseline for “Share of wallet”." in response.content.decode()
    assert snapshot() == before


def test_from_template_page_names_a_taken_year(client, owner, account, template_set):
    factories.AccountPlanFactory(account=account, fiscal_year=2027)
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        from_template_url(account), {"template_set": template_set.pk, "fiscal_year": "2027"}
    )
    assert response.context["choice"].errors["fiscal_year"] == [
        "This account already has a plan for this fiscal year."
    ]
    assert snapshot() == before


def test_from_template_page_without_a_set_for_the_tier(client, owner, account):
    factories.GoalTemplateSetFactory(tier="strategic")
    client.force_login(owner)
    html = client.get(from_template_url(account)).content.decode()
    assert "There is no active goal template set for the tier" in html


# --- the service: copy last year's plan -------------------------------------------------------


@pytest.fixture
def source(account, owner):
    """FY 2028 (a leap year), approved, with every kind of content."""
    plan = factories.AccountPlanFactory(
        account=account,
        fiscal_year=2028,
        status=PlanStatus.APPROVED,
        prior_year_revenue=D("900000"),
        narrative="Single-product supplier.",
        budget=D("20000"),
    )
    factories.SwotItemFactory(plan=plan, kind="threat", text="New competitor", impact=4)
    stakeholder = factories.StakeholderFactory(account=account)
    revenue = factories.GoalFactory(
        plan=plan, title="Grow revenue", baseline=D("1000000"), annual_target=D("1200000")
    )
    revenue.stakeholders.set([stakeholder])
    shape = [D("200000")] + [D("100000")] * 10 + [D("0")]
    for month, value in zip(months(2028), shape, strict=True):
        factories.MonthlyTargetFactory(goal=revenue, month=month, value=value)
    factories.QualitativeGoalFactory(plan=plan, title="Customer satisfaction")
    factories.MeasureFactory(
        plan=plan,
        title="Application day",
        goals=[revenue],
        start_date=datetime.date(2028, 2, 29),
        due_date=datetime.date(2028, 3, 31),
        status=MeasureStatus.IN_PROGRESS,
        progress=50,
        actual_cost=D("1000"),
        planned_cost=D("4000"),
    )
    factories.MeasureFactory(plan=plan, title="Finished fair", status=MeasureStatus.DONE)
    factories.MeasureFactory(plan=plan, title="Dropped mailing", status=MeasureStatus.CANCELLED)
    return plan


def test_copy_starts_next_years_draft_with_status_quo_and_swot(source, owner):
    new = plan_copy(plan=source, user=owner)
    assert (new.account, new.fiscal_year, new.status, new.created_by) == (
        source.account,
        2029,
        PlanStatus.DRAFT,
        owner,
    )
    assert (new.prior_year_revenue, new.narrative, new.budget) == (
        D("900000.00"),
        "Single-product supplier.",
        D("20000.00"),
    )
    assert list(new.swot_items.values_list("kind", "text", "impact")) == [
        ("threat", "New competitor", 4)
    ]
    source.refresh_from_db()
    assert source.status == PlanStatus.APPROVED  # the source is untouched


def test_copy_takes_last_years_target_as_baseline_and_keeps_the_monthly_shape(source, owner):
    new = plan_copy(plan=source, user=owner)
    revenue = new.goals.get(title="Grow revenue")
    assert (revenue.baseline, revenue.annual_target) == (D("1200000.00"), D("1200000.00"))
    shape = [D("200000.00")] + [D("100000.00")] * 10 + [D("0.00")]
    assert targets(revenue) == list(zip(months(2029), shape, strict=True))
    assert list(revenue.stakeholders.all()) == list(
        source.goals.get(title="Grow revenue").stakeholders.all()
    )
    quality = new.goals.get(title="Customer satisfaction")
    assert (quality.kind, quality.target_rating) == (GoalKind.QUALITATIVE, 4)


def test_copy_spreads_evenly_when_the_source_has_no_monthly_targets(account, owner):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    factories.GoalFactory(plan=plan, annual_target=D("1200"))
    new = plan_copy(plan=plan, user=owner)
    assert [value for _, value in targets(new.goals.get())] == [D("100.00")] * 12


# --- actuals as baselines (read through KAM_ACTUALS_PROVIDER) --------------------------------


def average_kpi() -> KPIDefinition:
    return KPIDefinition.objects.create(
        code="satisfaction",
        name_en="Satisfaction",
        name_de="Zufriedenheit",
        unit="percent",
        rollup="average",
    )


def test_from_template_prefers_last_years_actual_to_its_target(account, owner, template_set):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    for month, value in ((1, "300000"), (2, "250000.50"), (12, "400000")):
        factories.ActualFactory(
            account=account, month=datetime.date(2026, month, 1), value=D(value)
        )
    factories.ActualFactory(account=account, month=datetime.date(2025, 12, 1))  # FY 2025
    factories.GoalTemplateFactory(template_set=template_set, growth_percent=D("10"))
    plan = plan_create_from_templates(
        account=account, fiscal_year=2027, template_set=template_set, user=owner
    )
    goal = plan.goals.get()
    # 300000 + 250000.50 + 400000 = 950000.50; × 1.1 = 1045000.55
    assert (goal.baseline, goal.annual_target) == (D("950000.50"), D("1045000.55"))


def test_from_template_falls_back_to_the_target_for_a_kpi_without_actuals(
    account, owner, template_set
):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    share = share_kpi()
    factories.GoalFactory(plan=last_year, kpi=share, annual_target=D("30.00"))
    # Share of wallet rolls up by its last value: 25 (Jun) then 28 (Sep) -> 28.
    factories.ActualFactory(account=account, kpi=share, month=datetime.date(2026, 6, 1), value=25)
    factories.ActualFactory(account=account, kpi=share, month=datetime.date(2026, 9, 1), value=28)
    revenue_template = factories.GoalTemplateFactory(template_set=template_set, growth_percent=0)
    share_template = factories.GoalTemplateFactory(
        template_set=template_set, kpi=share, growth_percent=0
    )
    plan = plan_create_from_templates(
        account=account, fiscal_year=2027, template_set=template_set, user=owner
    )
    assert plan.goals.get(template=revenue_template).baseline == D("800000.00")
    assert plan.goals.get(template=share_template).baseline == D("28.00")


def test_from_template_takes_an_actual_even_without_last_years_plan(account, owner, template_set):
    kpi = average_kpi()
    # Average of 70, 80 and 85 = 78.333.. -> 78.33
    for month, value in ((3, 70), (4, 80), (5, 85)):
        factories.ActualFactory(
            account=account, kpi=kpi, month=datetime.date(2026, month, 1), value=value
        )
    factories.GoalTemplateFactory(template_set=template_set, kpi=kpi, growth_percent=0)
    plan = plan_create_from_templates(
        account=account, fiscal_year=2027, template_set=template_set, user=owner
    )
    assert plan.goals.get().baseline == D("78.33")


def test_from_template_page_prefills_last_years_actual(client, owner, account, template_set):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    factories.ActualFactory(account=account, month=datetime.date(2026, 5, 1), value=D("900000"))
    revenue = factories.GoalTemplateFactory(template_set=template_set)
    client.force_login(owner)
    response = client.get(
        from_template_url(account), {"template_set": template_set.pk, "fiscal_year": "2027"}
    )
    assert response.context["baselines"][f"baseline_{revenue.pk}"].value() == D("900000.00")


def test_copy_takes_the_source_years_actual_as_baseline(source, owner):
    # Revenue (sum) of FY 2028: 500000 + 700000.25 = 1200000.25; another account's and
    # another year's actuals do not count.
    factories.ActualFactory(account=source.account, month=datetime.date(2028, 1, 1), value=500000)
    factories.ActualFactory(
        account=source.account, month=datetime.date(2028, 7, 1), value=D("700000.25")
    )
    factories.ActualFactory(account=source.account, month=datetime.date(2029, 1, 1), value=1)
    factories.ActualFactory(month=datetime.date(2028, 2, 1), value=D("999"))
    new = plan_copy(plan=source, user=owner)
    revenue = new.goals.get(title="Grow revenue")
    assert (revenue.baseline, revenue.annual_target) == (D("1200000.25"), D("1200000.25"))
    # The month shape of the source is kept: 200000 of 1200000 in the first month.
    assert sum(value for _, value in targets(revenue)) == D("1200000.25")
    assert targets(revenue)[0] == (datetime.date(2029, 1, 1), D("200000.04"))


def test_copy_takes_open_measures_one_year_later_and_leaves_done_ones(source, owner):
    new = plan_copy(plan=source, user=owner)
    measure = new.measures.get()
    assert measure.title == "Application day"
    assert (measure.start_date, measure.due_date) == (
        datetime.date(2029, 2, 28),  # 29 February has no twin
        datetime.date(2029, 3, 31),
    )
    assert (measure.status, measure.progress, measure.actual_cost, measure.planned_cost) == (
        MeasureStatus.PLANNED,
        0,
        D("0.00"),
        D("4000.00"),
    )
    assert list(measure.goals.all()) == [new.goals.get(title="Grow revenue")]


def test_copy_refuses_a_year_that_has_a_plan(source, owner):
    factories.AccountPlanFactory(account=source.account, fiscal_year=2029)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        plan_copy(plan=source, user=owner)
    assert error.value.messages == ["This account already has a plan for fiscal year 2029."]
    assert snapshot() == before


def test_copy_page_copies_and_redirects_to_the_new_plan(client, source, team_member):
    client.force_login(team_member)
    response = client.post(reverse("goals:plan_copy", args=[source.pk]))
    new = AccountPlan.objects.get(fiscal_year=2029)
    assert response.status_code == 302
    assert response.url == new.get_absolute_url()
    assert new.created_by == team_member


def test_copy_page_names_the_taken_year(client, source, owner):
    factories.AccountPlanFactory(account=source.account, fiscal_year=2029)
    client.force_login(owner)
    before = snapshot()
    response = client.post(reverse("goals:plan_copy", args=[source.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("goals:plan_list", args=[source.account.pk])
    assert "This account already has a plan for fiscal year 2029." in response.content.decode()
    assert snapshot() == before


def test_copy_page_refuses_an_archived_account(client, source, owner):
    source.account.status = AccountStatus.ARCHIVED
    source.account.save()
    client.force_login(owner)
    before = snapshot()
    assert client.post(reverse("goals:plan_copy", args=[source.pk])).status_code == 403
    assert snapshot() == before


def test_copy_page_refuses_get(client, source, owner):
    client.force_login(owner)
    assert client.get(reverse("goals:plan_copy", args=[source.pk])).status_code == 405


# --- compare ----------------------------------------------------------------------------------


@pytest.fixture
def two_plans(account):
    a = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    b = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    rev_a = factories.GoalFactory(
        plan=a, title="Revenue", baseline=D("900"), annual_target=D("1000")
    )
    rev_b = factories.GoalFactory(
        plan=b, title="Grow revenue", baseline=D("1000"), annual_target=D("1200")
    )
    for goal, year, value in ((rev_a, 2026, D("80")), (rev_b, 2027, D("100"))):
        factories.MonthlyTargetFactory(goal=goal, month=datetime.date(year, 1, 1), value=value)
    sat_a = factories.QualitativeGoalFactory(
        plan=a, title="Customer  Satisfaction", target_rating=3
    )
    sat_b = factories.QualitativeGoalFactory(plan=b, title="customer satisfaction", target_rating=4)
    factories.GoalFactory(plan=a, title="Share", kpi=share_kpi(), annual_target=D("30"))
    factories.QualitativeGoalFactory(plan=b, title="Joint development")
    factories.MeasureFactory(plan=a, instrument="communication", planned_cost=D("1000"))
    factories.MeasureFactory(plan=b, instrument="communication", planned_cost=D("1500"))
    factories.MeasureFactory(plan=b, instrument="communication", planned_cost=D("500"))
    factories.MeasureFactory(plan=b, instrument="pricing", planned_cost=D("0"))
    return a, b, (rev_a, rev_b), (sat_a, sat_b)


def test_compare_matches_by_kpi_and_by_title(two_plans):
    a, b, revenue, satisfaction = two_plans
    comparison = compare_plans(a=a, b=b)
    assert [(p.a, p.b) for p in comparison.pairs] == [revenue, satisfaction]
    rev, sat = comparison.pairs
    assert (rev.baseline_change, rev.target_change, rev.target_change_percent) == (
        D("100.00"),
        D("200.00"),
        D("20"),
    )
    assert sat.target_change == 1
    assert [g.title for g in comparison.only_a] == ["Share"]
    assert [g.title for g in comparison.only_b] == ["Joint development"]


def test_compare_puts_the_months_side_by_side(two_plans):
    a, b, *_ = two_plans
    january = compare_plans(a=a, b=b).pairs[0].months[0]
    assert (january.month_a, january.value_a) == (datetime.date(2026, 1, 1), D("80.00"))
    assert (january.month_b, january.value_b) == (datetime.date(2027, 1, 1), D("100.00"))
    assert january.change == D("20.00")
    february = compare_plans(a=a, b=b).pairs[0].months[1]
    assert (february.value_a, february.value_b, february.change) == (None, None, None)


def test_compare_counts_and_costs_measures_by_instrument(two_plans):
    a, b, *_ = two_plans
    comparison = compare_plans(a=a, b=b)
    rows = {
        r.instrument: (r.count_a, r.cost_a, r.count_b, r.cost_b) for r in comparison.instruments
    }
    assert rows == {
        "communication": (1, D("1000.00"), 2, D("2000.00")),
        "pricing": (0, D("0"), 1, D("0.00")),
    }
    totals = comparison.measure_totals
    assert (totals.count_a, totals.cost_a, totals.count_b, totals.cost_b) == (
        1,
        D("1000.00"),
        3,
        D("2000.00"),
    )


def compare_url(account, a, b) -> str:
    return reverse("goals:plan_compare", args=[account.pk]) + f"?a={a}&b={b}"


def test_compare_page_shows_both_plans(client, leadership, two_plans):
    a, b, *_ = two_plans
    client.force_login(leadership)
    response = client.get(compare_url(a.account, a.pk, b.pk))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Grow revenue", "1,200.00", "20.0 %", "Only in FY 2026", "Share"):
        assert text in html
    assert "Joint development" in html
    assert 'data-instrument="pricing"' in html


def test_compare_page_without_choice_preselects_the_two_newest_plans(client, owner, two_plans):
    a, b, *_ = two_plans
    client.force_login(owner)
    response = client.get(reverse("goals:plan_compare", args=[a.account.pk]))
    assert response.context["comparison"] is None
    assert response.context["form"].initial == {"a": a.pk, "b": b.pk}
    assert "Choose two plans of this account to compare." in response.content.decode()


def test_compare_page_of_an_account_without_plans(client, owner, account):
    client.force_login(owner)
    html = client.get(reverse("goals:plan_compare", args=[account.pk])).content.decode()
    assert "This account has no plan yet." in html


@pytest.mark.parametrize("which", ["a", "b"])
def test_compare_page_refuses_a_plan_of_another_account(client, owner, two_plans, which):
    a, b, *_ = two_plans
    # The owner may see the other account too: still 404, the plan is not this account's.
    foreign = factories.AccountPlanFactory(
        account=factories.KeyAccountFactory(owner=owner), fiscal_year=2027
    )
    ids = {"a": a.pk, "b": b.pk, which: foreign.pk}
    client.force_login(owner)
    assert client.get(compare_url(a.account, ids["a"], ids["b"])).status_code == 404


def test_compare_page_refuses_a_malformed_id(client, owner, two_plans):
    a, *_ = two_plans
    client.force_login(owner)
    assert client.get(compare_url(a.account, "x", a.pk)).status_code == 404


def test_compare_page_query_count_does_not_grow_with_goals(
    client, owner, two_plans, django_assert_max_num_queries
):
    a, b, *_ = two_plans
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(compare_url(a.account, a.pk, b.pk)).status_code == 200
    for plan, year in ((a, 2026), (b, 2027)):
        for index in range(15):
            goal = factories.GoalFactory(plan=plan, kpi=share_kpi(), title=f"Share {index}")
            factories.MonthlyTargetFactory(goal=goal, month=datetime.date(year, 2, 1))
            factories.QualitativeGoalFactory(plan=plan, title=f"Goal {index}")
            factories.MeasureFactory(plan=plan, goals=[goal], instrument="product")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(compare_url(a.account, a.pk, b.pk))
    assert len(response.context["comparison"].pairs) == 32


# --- the plan list offers ---------------------------------------------------------------------


def plan_list_html(client, user, account) -> str:
    client.force_login(user)
    return client.get(reverse("goals:plan_list", args=[account.pk])).content.decode()


def test_plan_list_offers_templates_copy_and_compare_to_the_team(client, owner, account):
    factories.GoalTemplateSetFactory(tier="key")
    older = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    newer = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    html = plan_list_html(client, owner, account)
    assert reverse("goals:plan_from_template", args=[account.pk]) in html
    assert reverse("goals:plan_compare", args=[account.pk]) in html
    assert reverse("goals:plan_copy", args=[newer.pk]) in html
    assert reverse("goals:plan_copy", args=[older.pk]) not in html  # 2027 exists


def test_plan_list_hides_template_offer_without_a_set_for_the_tier(client, owner, account):
    factories.GoalTemplateSetFactory(tier="strategic")
    factories.AccountPlanFactory(account=account, fiscal_year=2027)
    html = plan_list_html(client, owner, account)
    assert reverse("goals:plan_from_template", args=[account.pk]) not in html
    assert reverse("goals:plan_compare", args=[account.pk]) not in html  # only one plan


def test_plan_list_offers_leadership_only_the_comparison(client, leadership, account):
    factories.GoalTemplateSetFactory(tier="key")
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.AccountPlanFactory(account=account, fiscal_year=2027)
    html = plan_list_html(client, leadership, account)
    assert reverse("goals:plan_compare", args=[account.pk]) in html
    assert reverse("goals:plan_from_template", args=[account.pk]) not in html
    assert reverse("goals:plan_copy", args=[plan.pk]) not in html


# --- who may see and change what --------------------------------------------------------------


@dataclass
class World:
    plan: AccountPlan
    other: AccountPlan
    template_set: object
    template: object


@pytest.fixture
def world(account, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    template_set = factories.GoalTemplateSetFactory(tier="key")
    return World(
        plan=factories.AccountPlanFactory(account=account, fiscal_year=2027),
        other=factories.AccountPlanFactory(account=account, fiscal_year=2026),
        template_set=template_set,
        template=factories.GoalTemplateFactory(template_set=template_set),
    )


def from_template_data(w: World) -> dict:
    return {
        "template_set": w.template_set.pk,
        "fiscal_year": "2029",
        f"baseline_{w.template.pk}": "1000",
    }


# (url name, arguments, query string or POST data, method); read pages first.
URLS = [
    (
        "plan_compare",
        lambda w: [w.plan.account.pk],
        lambda w: f"?a={w.other.pk}&b={w.plan.pk}",
        "get",
    ),
    ("print", lambda w: [w.plan.pk], None, "get"),
    ("plan_from_template", lambda w: [w.plan.account.pk], None, "get"),
    ("plan_from_template", lambda w: [w.plan.account.pk], from_template_data, "post"),
    ("plan_copy", lambda w: [w.plan.pk], lambda w: {}, "post"),
]
READS = {"plan_compare", "print"}
IDS = [f"{name}-{method}" for name, _, _, method in URLS]


def test_every_templates_url_is_covered():
    names = {
        p.name for p in goal_urls.urlpatterns if p.callback.__module__ == "goals.views.templates"
    }
    assert names == {name for name, *_ in URLS}


def request(client, world, name, args, extra, method):
    url = reverse(f"goals:{name}", args=args(world))
    if method == "post":
        return client.post(url, extra(world))
    return client.get(url + (extra(world) if extra else ""))


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize(("name", "args", "extra", "method"), URLS, ids=IDS)
def test_every_url_answers_each_persona(
    client, world, login_as, persona, name, args, extra, method
):
    login_as(persona)
    access.check_account_page(
        persona,
        lambda: request(client, world, name, args, extra, method),
        method=method,
        read=name in READS,
        snapshot=snapshot,
    )


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
def test_a_submitted_or_approved_plan_can_still_be_copied(client, world, owner, status):
    # Copying writes a new draft; the frozen source is only read.
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=status)
    client.force_login(owner)
    assert client.post(reverse("goals:plan_copy", args=[world.plan.pk])).status_code == 302
    assert AccountPlan.objects.get(pk=world.plan.pk).status == status
    assert AccountPlan.objects.filter(fiscal_year=2028, status=PlanStatus.DRAFT).exists()


def test_from_template_refuses_an_archived_account(client, world, owner):
    world.plan.account.status = AccountStatus.ARCHIVED
    world.plan.account.save()
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:plan_from_template", args=[world.plan.account.pk])
    assert client.post(url, from_template_data(world)).status_code == 403
    assert snapshot() == before
