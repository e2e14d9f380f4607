"""The dashboard's figures per account (controlling.services.figures): what a controlling run stores
equals what the pages compute live for the same accounts, and writes that move them bring
a run that refreshes them."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import KeyAccount
from controlling.models import AccountFigures, Actual, Deviation, RunKind, SellingFigures
from controlling.selectors import costs, dashboard
from controlling.selectors.attainment import Attainment, account_attainment, attainment_bands
from controlling.selectors.portfolio import account_revenue
from controlling.services import runs
from controlling.services.figures import figures_refresh
from goals.selectors.selling import dimension_metrics
from goals.services.measures import measure_create, measure_delete, plan_budget_set
from tests import factories
from tests.controlling.dashboard_data import YEAR, full_account, margin_kpi, month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def run_full(capture) -> None:
    with capture(execute=True):
        runs.run_start(kind=RunKind.FULL)


@pytest.fixture
def portfolio(owner):
    """Three accounts with plans, targets, actuals, measures and positions, and one account
    with revenue actuals but no plan."""
    accounts = [full_account(owner, n) for n in range(3)]
    for n, account in enumerate(accounts):
        plan = account.plans.get()
        revenue = plan.goals.get(kpi__code="revenue")
        for number in range(2, 7):
            factories.MonthlyTargetFactory(goal=revenue, month=month(number), value=100 + n)
            Actual.objects.create(
                account=account, kpi=revenue.kpi, month=month(number), value=90 + 7 * n
            )
    planless = factories.KeyAccountFactory(owner=owner, name="Planless")
    Actual.objects.create(
        account=planless, kpi=factories.revenue_kpi(), month=month(3), value=Decimal(700)
    )
    return [*accounts, planless]


def test_a_run_stores_per_account_what_the_pages_compute_live(
    portfolio, django_capture_on_commit_callbacks
):
    run_full(django_capture_on_commit_callbacks)
    ids = [account.pk for account in portfolio]
    stored = {f.account_id: f for f in AccountFigures.objects.filter(fiscal_year=YEAR)}

    attainment = account_attainment(accounts=ids, fiscal_year=YEAR)
    lines = {line.account.pk: line for line in costs.cost_lines(accounts=ids, fiscal_year=YEAR)}
    revenue = account_revenue(account_ids=ids, fiscal_year=YEAR)
    for account in portfolio[:3]:
        figures = stored[account.pk]
        assert figures.plan == account.plans.get()
        percent = Attainment.percent_of(figures.attainment_weighted, figures.attainment_weights)
        assert percent == attainment[account.pk].percent
        assert percent is not None
        line = lines[account.pk]
        assert (figures.planned_cost, figures.actual_cost) == (line.planned_cost, line.actual_cost)
        assert figures.margin_gained == line.margin_gained
        assert figures.budget == Decimal(9000)
        assert figures.revenue == revenue[account.pk]
        open_ = Deviation.objects.filter(goal__plan__account=account, closed_at__isnull=True)
        assert figures.open_deviations == open_.count()
        assert figures.uncountered_deviations == open_.filter(countermeasure__isnull=True).count()
    # Revenue without a plan still sizes the account's bubble; it has no plan figures.
    planless = stored[portfolio[3].pk]
    assert (planless.plan, planless.revenue) == (None, Decimal(700))


def test_the_series_add_up_the_reporting_accounts_months(
    portfolio, django_capture_on_commit_callbacks
):
    run_full(django_capture_on_commit_callbacks)
    totals = dashboard.year_totals(
        accounts=KeyAccount.objects.all(),
        fiscal_year=YEAR,
        bands=attainment_bands(),
        total=4,
    )
    revenue, margin = totals.series
    # full_account: January target 100, actual 95; then targets 100+n and actuals 90+7n.
    assert revenue.plan[:7] == [300, 303, 303, 303, 303, 303, 0]
    assert revenue.actual[:7] == [285, 291, 291, 291, 291, 291, None]
    assert (revenue.accounts, revenue.planned) == (3, 3)
    assert margin.plan[:2] == [300, 0]
    assert margin.actual[:2] == [330, None]
    assert totals.plans == 3


def test_selling_figures_place_each_account_on_the_path_as_the_pipeline_does(
    portfolio, django_capture_on_commit_callbacks
):
    account = portfolio[0]
    site = factories.SiteFactory(account=account, region="East")
    factories.SellingPositionFactory(account=account, site=site, stage="sold")
    factories.SellingPositionFactory(
        account=account, stage="offered", potential_revenue=Decimal("1000.50"), probability=35
    )
    run_full(django_capture_on_commit_callbacks)
    metrics = dimension_metrics(account_ids=[a.pk for a in portfolio])
    stored = {f.account_id: f for f in SellingFigures.objects.all()}
    for each in portfolio[:3]:
        assert stored[each.pk].path_stage == metrics[each.pk].path_stage
    whitespace = dashboard.whitespace(accounts=[account.pk])
    figures = stored[account.pk]
    assert figures.open_positions == whitespace.positions == 2
    assert whitespace.weighted_potential == ((figures.weighted_potential).quantize(Decimal("0.01")))
    # The planless account has no position: no row, counted at the first stage.
    assert portfolio[3].pk not in stored


def test_measure_writes_bring_a_run_that_refreshes_the_costs(
    account, owner, django_capture_on_commit_callbacks
):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    figures_refresh(account_ids=[account.pk])
    assert AccountFigures.objects.get(plan=plan).planned_cost == 0

    with django_capture_on_commit_callbacks(execute=True):
        measure = measure_create(
            plan=plan,
            user=owner,
            title="Trade fair",
            instrument="communication",
            owner=owner,
            planned_cost=Decimal(2500),
            start_date=datetime.date(YEAR, 2, 1),
            due_date=datetime.date(YEAR, 3, 1),
        )
    assert AccountFigures.objects.get(plan=plan).planned_cost == Decimal(2500)

    with django_capture_on_commit_callbacks(execute=True):
        plan_budget_set(plan=plan, budget=Decimal(1000), user=owner)
    assert AccountFigures.objects.get(plan=plan).budget == Decimal(1000)

    with django_capture_on_commit_callbacks(execute=True):
        measure_delete(measure=measure, user=owner)
    assert AccountFigures.objects.get(plan=plan).planned_cost == 0


def test_a_refresh_replaces_the_accounts_figures_and_no_others(account, owner):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    other = factories.AccountPlanFactory(fiscal_year=YEAR)
    goal = factories.GoalFactory(plan=plan, kpi=margin_kpi())
    figures_refresh(account_ids=[account.pk, other.account_id])
    assert AccountFigures.objects.count() == 2
    assert AccountFigures.objects.get(plan=plan).contribution_margin_goal

    goal.delete()
    plan.delete()
    assert figures_refresh(account_ids=[account.pk]) == 0
    assert list(AccountFigures.objects.values_list("plan", flat=True)) == [other.pk]


def test_a_refresh_updates_the_rows_in_place(account, owner):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    figures_refresh(account_ids=[account.pk])
    before = AccountFigures.objects.get(plan=plan)
    factories.MeasureFactory(plan=plan, planned_cost=Decimal(700))
    figures_refresh(account_ids=[account.pk])
    after = AccountFigures.objects.get(plan=plan)
    # An upsert, so a run refreshing the same account meanwhile waits instead of colliding.
    assert (after.pk, after.planned_cost) == (before.pk, Decimal(700))


def test_a_plan_moved_to_another_year_moves_its_figures(account):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    figures_refresh(account_ids=[account.pk])
    plan.fiscal_year = YEAR + 1
    plan.save()
    figures_refresh(account_ids=[account.pk])
    assert list(AccountFigures.objects.values_list("fiscal_year", "plan")) == [(YEAR + 1, plan.pk)]
