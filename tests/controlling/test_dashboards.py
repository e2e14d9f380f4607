"""The leadership dashboard: every aggregate on hand-built figures with known answers, the
filters, who sees what, and a query count that does not grow with the portfolio."""

import datetime
import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import KeyAccount
from accounts.selectors import portfolio_matrix
from controlling.filters import DashboardFilter
from controlling.models import Actual, GoalStatus, Threshold
from controlling.selectors import costs, dashboard, portfolio
from controlling.selectors.attainment import (
    Bands,
    account_attainment,
    attainment_bands,
    attainment_by,
    heatmap_rows,
)
from goals.models import PathStage, PlanTransition
from tests import access, factories
from tests.controlling.dashboard_data import (
    YEAR,
    deviation,
    full_account,
    margin_kpi,
    month,
    refresh_figures,
    results,
    state,
)

pytestmark = pytest.mark.django_db

URL = reverse("controlling:dashboard")
# Both dashboard pages, for the check that every controlling URL has an access test.
URLS = [("home", "get"), ("dashboard", "get")]


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def plan_for(account, year=YEAR, **kwargs):
    return factories.AccountPlanFactory(account=account, fiscal_year=year, **kwargs)


def goal(plan, percent, *, weight=10, perspective="finance", area="competitive_position"):
    made = factories.GoalFactory(plan=plan, weight=weight, perspective=perspective, goal_area=area)
    if percent != "no state":
        state(made, percent)
    return made


# --- attainment ----------------------------------------------------------------------------


def test_attainment_is_the_weight_weighted_mean_each_goal_clamped_to_0_150(account):
    plan = plan_for(account)
    goal(plan, 80, weight=10)
    goal(plan, 120, weight=30)
    goal(plan, 300, weight=20)  # counts as 150
    goal(plan, -20, weight=10)  # counts as 0
    goal(plan, None, weight=50)  # no attainment yet: left out
    goal(plan, "no state", weight=50)  # never computed: left out

    result = account_attainment(accounts=[account.pk], fiscal_year=YEAR)[account.pk]

    # (80*10 + 120*30 + 150*20 + 0*10) / (10 + 30 + 20 + 10) = 7400 / 70
    assert result.percent == Decimal("105.7")
    assert (result.measured, result.goals) == (4, 6)
    assert (result.off_track, result.at_risk) == (2, 0)  # 80 % and -20 %


def test_an_account_without_measured_goals_has_no_attainment_not_zero(account):
    plan = plan_for(account)
    goal(plan, None)
    other = factories.KeyAccountFactory()

    result = account_attainment(accounts=[account.pk, other.pk], fiscal_year=YEAR)

    assert result[account.pk].percent is None
    assert result[account.pk].goals == 1
    assert other.pk not in result


def test_attainment_reads_only_the_chosen_fiscal_year(account):
    goal(plan_for(account), 50)
    goal(plan_for(account, YEAR - 1), 100)

    assert account_attainment(accounts=[account.pk], fiscal_year=YEAR)[
        account.pk
    ].percent == Decimal("50.0")
    assert account_attainment(accounts=[account.pk], fiscal_year=YEAR - 1)[
        account.pk
    ].percent == Decimal("100.0")


def test_attainment_per_perspective_and_per_goal_area(account):
    plan = plan_for(account)
    goal(plan, 100, weight=10, perspective="finance", area="competitive_position")
    goal(plan, 70, weight=30, perspective="finance", area="market_position")
    goal(plan, 90, weight=10, perspective="customer", area="market_position")
    goal(plan, None, weight=10, perspective="people", area="care_quality")

    perspectives = attainment_by(accounts=[account.pk], fiscal_year=YEAR, group="perspective")
    areas = attainment_by(accounts=[account.pk], fiscal_year=YEAR, group="goal_area")

    assert perspectives[(account.pk, "finance")].percent == Decimal("77.5")  # 3100 / 40
    assert perspectives[(account.pk, "customer")].percent == Decimal("90.0")
    assert perspectives[(account.pk, "people")].percent is None
    assert (account.pk, "process") not in perspectives
    assert areas[(account.pk, "competitive_position")].percent == Decimal("100.0")
    assert areas[(account.pk, "market_position")].percent == Decimal("75.0")  # 3000 / 40


def test_heatmap_rows_colour_cells_by_the_global_threshold(account):
    Threshold.objects.filter(kpi__isnull=True).update(at_risk_percent=10, off_track_percent=20)
    plan = plan_for(account)
    goal(plan, 90, perspective="finance")
    goal(plan, 89.9, perspective="customer")
    goal(plan, 79.9, perspective="process")
    bands = attainment_bands()
    overall = account_attainment(accounts=[account.pk], fiscal_year=YEAR)

    (row,) = heatmap_rows(accounts=[account], fiscal_year=YEAR, overall=overall, bands=bands)

    assert (bands.on_track_from, bands.at_risk_from) == (90, 80)
    assert row.plan == plan
    assert [c.band for c in row.perspectives] == ["on_track", "at_risk", "off_track", "no_data"]
    assert [c.attainment.goals for c in row.perspectives] == [1, 1, 1, 0]
    assert row.overall.attainment.percent == Decimal("86.6")  # 259.8 / 3
    assert row.overall.band == "at_risk"
    assert len(row.areas) == 7


def test_bands_without_a_global_threshold_use_the_defaults():
    Threshold.objects.filter(kpi__isnull=True).delete()
    bands = attainment_bands()
    assert bands.status(Decimal(95)) == GoalStatus.ON_TRACK
    assert bands.status(Decimal("94.9")) == GoalStatus.AT_RISK
    assert bands.status(Decimal(85)) == GoalStatus.AT_RISK
    assert bands.status(Decimal("84.9")) == GoalStatus.OFF_TRACK
    assert bands.status(None) == GoalStatus.NO_DATA


# --- revenue, costs and return ------------------------------------------------------------


def test_revenue_sizes_sum_the_fiscal_years_revenue_actuals_only(account):
    kpi = factories.revenue_kpi()
    for number, value in ((1, 100), (6, 250)):
        Actual.objects.create(account=account, kpi=kpi, month=month(number), value=value)
    Actual.objects.create(account=account, kpi=kpi, month=month(12, YEAR - 1), value=999)
    Actual.objects.create(account=account, kpi=margin_kpi(), month=month(1), value=999)
    silent = factories.KeyAccountFactory()

    sizes = portfolio.account_revenue(account_ids=[account.pk, silent.pk], fiscal_year=YEAR)

    assert sizes == {account.pk: Decimal(350)}
    assert str(portfolio.account_revenue.label) == "Revenue, fiscal year to date"


def test_the_portfolio_matrix_sizes_bubbles_by_revenue_through_the_setting(account, settings):
    assert settings.KAM_ACCOUNT_SIZE_PROVIDER == "controlling.selectors.portfolio.account_revenue"
    Actual.objects.create(
        account=account,
        kpi=factories.revenue_kpi(),
        month=month(1),
        value=Decimal(4200),
    )
    matrix = portfolio_matrix(accounts=KeyAccount.objects.all())
    assert [(p.account, p.size) for p in matrix.positions] == [(account, Decimal(4200))]
    assert matrix.size_label == "Revenue, fiscal year to date"


def test_costs_against_the_binding_budget_and_the_return_on_them(account):
    factories.FrameRuleFactory(kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=8000)
    factories.FrameRuleFactory(
        kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=1, tier="strategic"
    )
    plan = plan_for(account, budget=Decimal(10000))
    factories.MeasureFactory(plan=plan, planned_cost=4000, actual_cost=2500)
    factories.MeasureFactory(plan=plan, planned_cost=3000, actual_cost=1500, status="cancelled")
    margin = factories.GoalFactory(
        plan=plan, kpi=margin_kpi(), baseline=Decimal(120000), annual_target=Decimal(130000)
    )
    state(margin, 110, ytd_plan=Decimal(30000), ytd_actual=Decimal(33000))
    # Three months reported; April has a plan but no actual yet.
    results(margin, {1: (10000, 11000), 2: (10000, 11000), 3: (10000, 11000), 4: (10000, None)})
    revenue = factories.GoalFactory(plan=plan)
    state(revenue, 90, ytd_plan=Decimal(300), ytd_actual=Decimal(270))
    other = factories.KeyAccountFactory(name="Zeta")
    other_plan = plan_for(other)
    factories.MeasureFactory(plan=other_plan, planned_cost=0, actual_cost=1000)

    lines = costs.cost_lines(accounts=[account.pk, other.pk], fiscal_year=YEAR)

    line, other_line = lines
    assert line.plan == plan and other_line.plan == other_plan
    assert (line.planned_cost, line.actual_cost) == (7000, 4000)
    assert line.budget == 8000  # the frame's cap binds below the expense limit
    assert line.used_percent == Decimal("50.0")
    assert not line.planned_over and not line.actual_over
    # 33,000 year to date against 3/12 of last year's 120,000
    assert line.margin_gained == Decimal(3000)
    assert line.return_ratio == Decimal("0.75")
    assert line.net_return == Decimal(-1000)
    assert (line.revenue.plan, line.revenue.actual) == (300, 270)
    assert other_line.budget == 8000
    assert other_line.margin_gained is None and other_line.return_ratio is None

    totals = costs.cost_totals(lines)
    assert (totals.planned_cost, totals.actual_cost) == (7000, 5000)
    assert (totals.budget, totals.plans_with_budget, totals.over_budget) == (16000, 2, 0)
    assert (totals.margin_gained, totals.plans_with_margin) == (3000, 1)
    assert totals.return_ratio == Decimal("0.75")  # only the plan whose gain is known


def test_margin_gained_of_a_last_value_kpi_compares_with_the_whole_baseline(account):
    kpi = margin_kpi()
    kpi.rollup = "last"
    kpi.save()
    margin = factories.GoalFactory(plan=plan_for(account), kpi=kpi, baseline=Decimal(500))
    state(margin, 100, ytd_actual=Decimal(650))
    margin.refresh_from_db()
    assert costs.margin_gained(margin, 4) == Decimal(150)


def test_over_budget_is_flagged_and_counted(account):
    plan = plan_for(account, budget=Decimal(1000))
    factories.MeasureFactory(plan=plan, planned_cost=1500, actual_cost=1200)
    (line,) = costs.cost_lines(accounts=[account.pk], fiscal_year=YEAR)
    assert line.planned_over and line.actual_over
    assert line.used_percent == Decimal("120.0")
    assert costs.cost_totals([line]).over_budget == 1


def test_the_cost_table_totals_in_sql_what_the_lines_add_up_and_orders_the_plans(account):
    cheap, dear, silent = (
        factories.KeyAccountFactory(name=name) for name in ("Beta", "Gamma", "Delta")
    )
    # Nordwerk (the fixture's account): cost 4,000, margin gained 3,000 (return 0.75).
    plan = plan_for(account, budget=Decimal(10000))
    factories.MeasureFactory(plan=plan, planned_cost=5000, actual_cost=4000)
    margin = factories.GoalFactory(plan=plan, kpi=margin_kpi(), baseline=Decimal(120000))
    state(margin, 110, ytd_actual=Decimal(33000))
    results(margin, {1: (10000, 11000), 2: (10000, 11000), 3: (10000, 11000)})
    # Beta: cost 1,000, margin gained 2,000 (return 2).
    cheap_plan = plan_for(cheap, budget=Decimal(500))
    factories.MeasureFactory(plan=cheap_plan, planned_cost=800, actual_cost=1000)
    cheap_margin = factories.GoalFactory(plan=cheap_plan, kpi=margin_kpi(), baseline=Decimal(0))
    state(cheap_margin, 100, ytd_actual=Decimal(2000))
    results(cheap_margin, {1: (1000, 2000)})
    # Gamma: cost 9,000 and no margin goal; Delta: a plan without measures.
    dear_plan = plan_for(dear)
    factories.MeasureFactory(plan=dear_plan, planned_cost=9000, actual_cost=9000)
    silent_plan = plan_for(silent)
    accounts = KeyAccount.objects.all()

    refresh_figures()
    totals = year_totals(accounts).costs

    lines = costs.cost_lines(accounts=accounts, fiscal_year=YEAR)
    assert totals == costs.cost_totals(lines)
    assert (totals.actual_cost, totals.margin_gained) == (14000, 5000)
    assert (totals.over_budget, totals.plans_with_margin) == (1, 2)
    assert year_totals(accounts).plans == 4
    by_name = pages(accounts, "name")
    assert by_name[0:4] == [cheap_plan, silent_plan, dear_plan, plan]
    assert pages(accounts, "cost")[0:4] == [dear_plan, plan, cheap_plan, silent_plan]
    by_return = pages(accounts, "return")
    # Lowest return first; plans without one (no margin goal, or no cost) last, by name.
    assert by_return[0:4] == [plan, cheap_plan, silent_plan, dear_plan]
    assert by_return[1:3] == [cheap_plan, silent_plan]
    lines = costs.cost_lines_for(by_return[0:2])
    assert [line.plan for line in lines] == [plan, cheap_plan]
    nothing = KeyAccount.objects.none()
    assert (year_totals(nothing).plans, pages(nothing, "cost")[0:20]) == (0, [])
    assert year_totals(nothing).costs == costs.CostTotals()


def year_totals(accounts, total: int = 0, bands=None) -> dashboard.YearTotals:
    bands = bands or attainment_bands()
    return dashboard.year_totals(accounts=accounts, fiscal_year=YEAR, bands=bands, total=total)


def pages(accounts, sort: str) -> costs.PlanPages:
    count = year_totals(accounts).plans
    return costs.PlanPages(accounts=accounts, fiscal_year=YEAR, sort=sort, count=count)


def test_band_counts_follow_each_accounts_rounded_attainment(owner):
    bands = Bands(on_track_from=Decimal(95), at_risk_from=Decimal(85))
    # Rounded half up to a tenth, as the page shows it: 94.95 is 95.0 (on track).
    for name, percent in [
        ("on", 120),
        ("just on", Decimal("94.95")),
        ("just at risk", Decimal("94.94")),
        ("at risk", Decimal("84.95")),
        ("off", Decimal("84.94")),
        ("unmeasured", None),
    ]:
        goal(plan_for(factories.KeyAccountFactory(owner=owner, name=name)), percent)
    factories.KeyAccountFactory(owner=owner, name="no plan")
    accounts = KeyAccount.objects.all()

    refresh_figures()
    counts = year_totals(accounts, total=7, bands=bands).bands

    attainment = account_attainment(accounts=accounts, fiscal_year=YEAR)
    expected = dict.fromkeys(GoalStatus.values, 0)
    for account in accounts:
        known = attainment.get(account.pk)
        expected[bands.status(known.percent if known else None)] += 1
    assert counts == expected
    assert counts == {"on_track": 2, "at_risk": 2, "off_track": 1, "no_data": 2}
    empty = year_totals(KeyAccount.objects.none(), bands=bands).bands
    assert empty == dict.fromkeys(GoalStatus.values, 0)


def test_the_portfolio_chart_places_the_largest_accounts_and_counts_every_one(owner):
    revenue = factories.revenue_kpi()
    for name, scores, amount in [
        ("Small", (80, 80), 100),
        ("Large", (80, 20), 900),
        ("Middle", (20, 80), 500),
        ("Weak", (20, 20), None),
        ("Unscored", (None, None), 10000),
    ]:
        account = factories.KeyAccountFactory(
            owner=owner, name=name, attractiveness=scores[0], relative_strength=scores[1]
        )
        if amount:
            Actual.objects.create(account=account, kpi=revenue, month=month(2), value=amount)

    refresh_figures()
    matrix = portfolio.portfolio(accounts=KeyAccount.objects.all(), fiscal_year=YEAR, limit=2)

    assert [(p.account.name, p.size) for p in matrix.positions] == [
        ("Large", Decimal(900)),
        ("Middle", Decimal(500)),
    ]
    assert matrix.counts == {"strategic": 1, "development": 1, "status": 1, "streamline": 1}
    assert (matrix.scored, matrix.unscored) == (4, 1)
    # Fewer accounts with revenue than places: the rest follow, a loss after no revenue.
    factories.KeyAccountFactory(
        owner=owner, name="Credit notes", attractiveness=60, relative_strength=60
    )
    refund = KeyAccount.objects.get(name="Credit notes")
    Actual.objects.create(account=refund, kpi=revenue, month=month(3), value=-50)
    refresh_figures()
    matrix = portfolio.portfolio(accounts=KeyAccount.objects.all(), fiscal_year=YEAR, limit=10)
    assert [(p.account.name, p.size) for p in matrix.positions] == [
        ("Large", Decimal(900)),
        ("Middle", Decimal(500)),
        ("Small", Decimal(100)),
        ("Weak", Decimal(0)),
        ("Credit notes", Decimal(-50)),
    ]


# --- selling dimensions ---------------------------------------------------------------------


def test_the_funnel_counts_accounts_per_stage_and_reached(owner):
    single = factories.KeyAccountFactory(owner=owner)
    factories.SellingPositionFactory(account=single)
    factories.KeyAccountFactory(owner=owner)  # buys nothing yet: single as well
    cross = factories.KeyAccountFactory(owner=owner)
    factories.SellingPositionFactory(account=cross)
    factories.SellingPositionFactory(account=cross)
    organisation = factories.KeyAccountFactory(owner=owner)
    product = factories.OfferingFactory()
    for _n in range(2):
        site = factories.SiteFactory(account=organisation)
        factories.SellingPositionFactory(account=organisation, offering=product, site=site)
    solution = factories.KeyAccountFactory(owner=owner)
    factories.SellingPositionFactory(
        account=solution, offering=factories.OfferingFactory(kind="service", product_group=None)
    )
    joint = factories.KeyAccountFactory(owner=owner)
    factories.SellingPositionFactory(account=joint, stage="joint_development")
    ids = list(KeyAccount.objects.values_list("pk", flat=True))

    refresh_figures()
    steps = dashboard.selling_funnel(account_ids=ids)

    assert [s.stage for s in steps] == PathStage.values
    assert [s.accounts for s in steps] == [2, 1, 1, 1, 1]
    assert [s.reached for s in steps] == [6, 4, 3, 2, 1]


def test_whitespace_sums_open_potential_and_weights_it(owner):
    first = factories.KeyAccountFactory(owner=owner, name="First")
    factories.SellingPositionFactory(
        account=first, stage="potential", potential_revenue=30000, probability=50
    )
    factories.SellingPositionFactory(
        account=first, stage="offered", potential_revenue=10000, probability=20
    )
    factories.SellingPositionFactory(account=first, stage="sold", potential_revenue=99999)
    second = factories.KeyAccountFactory(owner=owner, name="Second")
    factories.SellingPositionFactory(
        account=second, stage="potential", potential_revenue=50000, probability=10
    )
    hidden = factories.KeyAccountFactory(name="Not in the set")
    factories.SellingPositionFactory(account=hidden, stage="potential", potential_revenue=1)

    refresh_figures()
    result = dashboard.whitespace(accounts=[first.pk, second.pk])

    assert result.open_potential == Decimal(90000)
    assert result.weighted_potential == Decimal(22000)  # 15,000 + 2,000 + 5,000
    assert result.positions == 3
    assert [(a.name, p, w) for a, p, w in result.top_accounts] == [
        ("Second", Decimal(50000), Decimal(5000)),
        ("First", Decimal(40000), Decimal(17000)),
    ]


# --- plan vs actual, cumulative -----------------------------------------------------------


def test_cumulative_plan_and_actual_count_the_reporting_accounts(owner):
    kpi = factories.revenue_kpi()
    reporting = factories.KeyAccountFactory(owner=owner)
    goal_a = factories.GoalFactory(plan=plan_for(reporting))
    silent = factories.KeyAccountFactory(owner=owner)
    goal_b = factories.GoalFactory(plan=plan_for(silent))
    for number in range(1, 13):
        factories.MonthlyTargetFactory(goal=goal_a, month=month(number), value=100)
        factories.MonthlyTargetFactory(goal=goal_b, month=month(number), value=50)
    Actual.objects.create(account=reporting, kpi=kpi, month=month(1), value=90)
    Actual.objects.create(account=reporting, kpi=kpi, month=month(2), value=110)
    no_goal = factories.KeyAccountFactory(owner=owner)
    Actual.objects.create(account=no_goal, kpi=kpi, month=month(1), value=5000)
    ids = [reporting.pk, silent.pk, no_goal.pk]

    refresh_figures()
    revenue, margin = year_totals(ids).series

    assert revenue.plan == [100] * 12
    assert revenue.actual == [90, 110] + [None] * 10
    assert revenue.plan_cumulative[:3] == [100, 200, 300]
    assert revenue.actual_cumulative == [90, 200] + [None] * 10
    assert revenue.ytd == (200, 200)
    assert revenue.ytd_percent == Decimal("100.0")
    assert (revenue.accounts, revenue.planned) == (1, 2)
    assert (margin.accounts, margin.planned) == (0, 0)
    assert margin.ytd == (None, None)


# --- deviations and approvals ---------------------------------------------------------------


def test_deviations_worst_first_and_those_without_countermeasure_oldest_first(account):
    plan = plan_for(account)
    old_risk = deviation(goal(plan, 90), to_status="at_risk", days_ago=20)
    new_off = deviation(goal(plan, 50), days_ago=2)
    old_off = deviation(goal(plan, 40), days_ago=9)
    answered_goal = goal(plan, 60)
    measure = factories.MeasureFactory(plan=plan, is_countermeasure=True)
    answered = deviation(answered_goal, days_ago=30, countermeasure=measure)
    deviation(goal(plan, 50), days_ago=40, closed_at=timezone.now())
    deviation(goal(plan_for(account, YEAR - 1), 10), days_ago=50)

    refresh_figures()
    summary = dashboard.deviation_summary(accounts=[account.pk], fiscal_year=YEAR)

    assert summary.open_count == 4
    assert summary.without_count == 3
    assert summary.worst == [answered, old_off, new_off, old_risk]
    assert summary.without_countermeasure == [old_risk, old_off, new_off]
    assert [d.age_days() for d in summary.without_countermeasure] == [20, 9, 2]


def test_the_approval_queue_keeps_only_the_filtered_accounts(leadership, account):
    submitted = plan_for(account, YEAR + 1, status="submitted")
    other = plan_for(factories.KeyAccountFactory(), status="submitted")
    queue = dashboard.approvals(user=leadership, accounts=KeyAccount.objects.filter(pk=account.pk))
    assert queue.count == 1
    assert [row.plan for row in queue.first] == [submitted]
    assert other.pk not in [row.plan.pk for row in queue.first]


def test_the_approval_queue_says_how_many_days_a_plan_waits(client, leadership, account):
    plan = plan_for(account, YEAR + 1, status="submitted")
    transition = PlanTransition.objects.create(
        plan=plan, from_status="draft", to_status="submitted", revision=1, actor=leadership
    )
    submitted = timezone.now() - datetime.timedelta(days=4)
    PlanTransition.objects.filter(pk=transition.pk).update(at=submitted)
    client.force_login(leadership)
    html = client.get(URL).content.decode()
    row = html.split(f'<tr data-plan="{plan.pk}">')[1].split("</tr>")[0]
    assert '<td class="text-end" data-waiting>4</td>' in row
    assert date_format(timezone.localtime(submitted), "SHORT_DATE_FORMAT") in row


def test_the_dashboard_checks_the_frame_of_the_longest_waiting_plans_only(leadership):
    plans = [
        plan_for(factories.KeyAccountFactory(name=name), status="submitted")
        for name in ("Alpha", "Beta", "Gamma")
    ]
    queue = dashboard.approvals(user=leadership, accounts=KeyAccount.objects.all(), limit=2)
    assert queue.count == 3
    # Without a submission on record they wait equally long: by account name.
    assert [row.plan for row in queue.first] == plans[:2]
    assert all(row.violations is not None for row in queue.first)


# --- filters ---------------------------------------------------------------------------------


def filtered(user, **params):
    visible = KeyAccount.objects.visible_to(user).not_archived()
    return DashboardFilter(QueryDict(urlencode(params)), queryset=visible, current_year=YEAR)


def test_filters_by_tier_owner_and_fiscal_year(leadership, owner, account):
    other_owner = factories.UserFactory()
    strategic = factories.KeyAccountFactory(owner=other_owner, tier="strategic")
    plan_for(account, YEAR - 2)

    assert list(filtered(leadership, tier="strategic").qs) == [strategic]
    assert list(filtered(leadership, owner=str(owner.pk)).qs) == [account]
    assert filtered(leadership).year == YEAR
    assert filtered(leadership, fiscal_year=str(YEAR - 2)).year == YEAR - 2
    # A year without any plan is not offered; the page falls back to the current one.
    assert filtered(leadership, fiscal_year="1999").year == YEAR
    choices = [value for value, _label in filtered(leadership).form.fields["fiscal_year"].choices]
    assert choices == [str(YEAR), str(YEAR - 2)]


def test_region_means_the_accounts_country_or_a_sites_country_or_region(leadership):
    factories.KeyAccountFactory(name="German", country="DE")
    swiss_with_plant = factories.KeyAccountFactory(name="Swiss", country="CH")
    factories.SiteFactory(account=swiss_with_plant, country="DE", region="North")
    british = factories.KeyAccountFactory(name="British", country="GB")
    factories.SiteFactory(account=british, country="GB", region="north west")

    def names(region):
        return sorted(a.name for a in filtered(leadership, region=region).qs)

    assert names("DE") == ["German", "Swiss"]
    assert names("DE:North") == ["Swiss"]
    # Not offered (a region is offered in its first spelling): ignored and reported.
    assert names("DE:north") == ["British", "German", "Swiss"]
    assert "region" in filtered(leadership, region="DE:north").errors
    assert names("GB:north west") == ["British"]
    assert names("CH") == ["Swiss"]
    regions = dict(filtered(leadership).form.fields["region"].choices)
    assert regions["DE:North"] == "Germany – North"
    assert regions["GB:north west"] == "United Kingdom – north west"


def test_the_dashboard_applies_the_filters(client, leadership, owner):
    kept = full_account(owner, 1)
    kept.tier = "strategic"
    kept.save()
    dropped = full_account(factories.UserFactory(), 2)
    client.force_login(leadership)

    refresh_figures()
    response = client.get(URL, {"tier": "strategic", "fiscal_year": YEAR})

    assert response.status_code == 200
    assert [row.account for row in response.context["heatmap_rows"]] == [kept]
    assert [line.account for line in response.context["costs"].page.object_list] == [kept]
    assert response.context["accounts_count"] == 1
    assert dropped.name not in response.content.decode()


def test_htmx_filtering_renders_only_the_dashboard_partial(client, leadership, owner):
    full_account(owner, 1)
    client.force_login(leadership)
    html = client.get(URL, {"tier": "key"}, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="dashboard"')
    assert '<nav class="navbar' not in html
    assert 'data-chart="dashboard-portfolio"' in html


# --- the page --------------------------------------------------------------------------------


def chart_config(html: str, chart_id: str) -> dict:
    raw = html.split(f'<script id="{chart_id}" type="application/json">')[1]
    return json.loads(raw.split("</script>")[0])


def test_the_page_shows_every_section_with_links_to_its_sources(client, leadership, owner):
    account = full_account(owner, 1)
    plan = account.plans.get()
    plan.status = "submitted"
    plan.save()
    client.force_login(leadership)

    refresh_figures()
    response = client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    for chart in ("dashboard-portfolio", "dashboard-funnel", "dashboard-revenue"):
        assert f'data-chart="{chart}"' in html
    portfolio = chart_config(html, "dashboard-portfolio")
    points = {
        p["label"]: (dataset["label"], p["url"])
        for dataset in portfolio["data"]["datasets"]
        for p in dataset["data"]
    }
    # (91 x 30 + 110 x 10 + 75 x 10) / 50 = 91.6 %: at risk
    assert points[account.name] == ("At risk (85 to 95 %)", account.get_absolute_url())
    assert [q["label"] for q in portfolio["kam"]["quadrants"]] == [
        "Key strategic accounts",
        "Key development accounts",
        "Key status accounts",
        "Key streamline accounts",
    ]
    funnel = chart_config(html, "dashboard-funnel")
    assert funnel["kam"]["urls"][0] == reverse("goals:pipeline") + "?stage=single"
    revenue = chart_config(html, "dashboard-revenue")
    assert revenue["type"] == "line"
    assert revenue["data"]["datasets"][1]["data"][0] == 95.0
    for url in (
        reverse("controlling:plan_controlling", args=[plan.pk]),
        reverse("controlling:plan_actuals", args=[plan.pk]),
        reverse("goals:frame", args=[plan.pk]),
        reverse("goals:frame_check", args=[plan.pk]),
        reverse("goals:approvals"),
        reverse("goals:pipeline"),
        account.plans.get().goals.get(kpi__code="revenue").deviations.get().get_absolute_url(),
    ):
        assert url in html, url


def test_numbers_follow_the_language(client, leadership, owner):
    account = full_account(owner, 1)
    Actual.objects.filter(account=account, kpi__code="revenue").update(value=Decimal(1234567))
    client.force_login(leadership)
    refresh_figures()
    html = client.get(URL, headers={"accept-language": "de"}).content.decode()
    assert "1.234.567" in html


def test_an_empty_portfolio_shows_empty_states(client, leadership):
    client.force_login(leadership)
    html = client.get(URL).content.decode()
    for element in (
        "portfolio-empty",
        "heatmap-empty",
        "worst-deviations-empty",
        "dashboard-approvals-empty",
        "costs-empty",
        "whitespace-empty",
        "series-empty-revenue",
    ):
        assert f'id="{element}"' in html, element


def test_heatmap_sorts_worst_first_and_paginates(client, leadership, owner):
    for n, percent in enumerate([90, 40, 120, None]):
        account = factories.KeyAccountFactory(owner=owner, name=f"Account {n}")
        goal(plan_for(account), percent)
    for n in range(25):
        factories.KeyAccountFactory(owner=owner, name=f"Unplanned {n:02}")
    client.force_login(leadership)

    refresh_figures()
    response = client.get(URL, {"heatmap_sort": "attainment"})
    rows = response.context["heatmap_rows"]
    assert [r.account.name for r in rows[:4]] == [
        "Account 1",
        "Account 0",
        "Account 2",
        "Account 3",
    ]
    assert len(rows) == 20
    page_two = client.get(URL, {"heatmap_sort": "attainment", "heatmap_page": 2})
    assert len(page_two.context["heatmap_rows"]) == 9
    assert "heatmap_page=1" in page_two.context["heatmap"].previous_url


# --- visibility ------------------------------------------------------------------------------


def test_a_manager_gets_the_dashboard_over_their_own_accounts_only(client, owner, account):
    goal(plan_for(account), 80)
    stranger = factories.KeyAccountFactory(name="Someone Else's AG")
    goal(plan_for(stranger), 50)
    deviation(stranger.plans.get().goals.get())
    client.force_login(owner)

    response = client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert [r.account for r in response.context["heatmap_rows"]] == [account]
    assert "Someone Else" not in html
    assert response.context["deviations"].open_count == 0
    owners = response.context["filter"].form.fields["owner"].choices
    assert owners == [("", "All"), (str(owner.pk), str(owner))]


@pytest.mark.parametrize("persona", ["leadership", "administrator"])
def test_leadership_and_administrators_see_every_account(client, persona, login_as, owner):
    accounts = [full_account(owner, 1), full_account(factories.UserFactory(), 2)]
    archived = factories.KeyAccountFactory(status="archived", name="Archived Ltd")
    login_as(persona)

    refresh_figures()
    response = client.get(URL)

    names = {r.account.name for r in response.context["heatmap_rows"]}
    assert names == {a.name for a in accounts}
    assert archived.name not in names
    assert response.context["deviations"].open_count == 2


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize(("name", "method"), URLS)
def test_every_persona_may_read_both_pages_and_nobody_may_post(
    client, login_as, account, persona, name, method
):
    url = reverse(f"controlling:{name}")
    login_as(persona)
    read, post = (access.LOGIN, access.LOGIN) if persona == "anonymous" else (200, 405)
    assert access.answer(getattr(client, method)(url)) == read
    assert access.answer(client.post(url)) == post


def test_the_start_page_sends_leadership_and_admins_to_the_dashboard(
    client, leadership, administrator
):
    for user in (leadership, administrator):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302
        assert response.url == URL


# --- query count -----------------------------------------------------------------------------


def test_the_dashboard_costs_the_same_for_50_accounts_as_for_5(
    client, leadership, django_assert_max_num_queries
):
    managers = [factories.UserFactory() for _n in range(3)]

    def add(start, count):
        for n in range(start, start + count):
            full_account(managers[n % 3], n)
        refresh_figures()

    client.force_login(leadership)
    add(0, 5)
    client.get(URL)
    cache.clear()  # the whole-portfolio figures computed, not read from the cache
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    with CaptureQueriesContext(connection) as small_kept:
        client.get(URL)

    add(5, 45)
    with django_assert_max_num_queries(len(small)):
        response = client.get(URL)
    assert response.context["accounts_count"] == 50
    assert response.context["deviations"].open_count == 50
    assert len(response.context["heatmap_rows"]) == 20
    with django_assert_max_num_queries(len(small_kept)):
        client.get(URL)
