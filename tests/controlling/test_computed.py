"""Computed actuals: contact coverage, action-plan cost and the selling-dimension KPIs."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from controlling.models import Actual, ActualSource, GoalState, GoalStatus
from controlling.services.computed import RefreshResult, computed_actuals_refresh
from controlling.services.engine import compute_goals
from goals.models import KPIDefinition, MonthlyTarget
from tests.factories import (
    AccountPlanFactory,
    ActualFactory,
    GoalFactory,
    InteractionFactory,
    KeyAccountFactory,
    MeasureFactory,
    OfferingFactory,
    SellingPositionFactory,
    SiteFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2027, 1, 1)
FEB = datetime.date(2027, 2, 1)
LATER = datetime.date(2027, 3, 10)


def kpi(code: str) -> KPIDefinition:
    return KPIDefinition.objects.get(code=code)


def actual(account, code: str, month=JAN) -> Decimal | None:
    found = Actual.objects.filter(account=account, kpi=kpi(code), month=month).first()
    return None if found is None else found.value


def contact(account, stakeholder, day: datetime.date) -> None:
    InteractionFactory(account=account, date=day, stakeholders=[stakeholder])


# --- contact coverage ------------------------------------------------------------------------


def test_contact_coverage_counts_stakeholders_contacted_within_their_interval():
    account = KeyAccountFactory()
    recent = StakeholderFactory(account=account, contact_interval_days=30)
    stale = StakeholderFactory(account=account, contact_interval_days=30)
    only_later = StakeholderFactory(account=account, contact_interval_days=30)
    long_interval = StakeholderFactory(account=account, contact_interval_days=60)
    on_the_day = StakeholderFactory(account=account, contact_interval_days=11)
    contact(account, recent, datetime.date(2027, 1, 20))  # 11 days before 31 Jan
    contact(account, stale, datetime.date(2026, 12, 15))  # 47 days: too long ago
    contact(account, only_later, datetime.date(2027, 2, 5))  # after the month's end
    contact(account, long_interval, datetime.date(2026, 12, 15))  # 47 of 60 days
    contact(account, on_the_day, datetime.date(2027, 1, 20))  # exactly 11 days

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)

    assert actual(account, "contact_coverage") == Decimal("60.00")  # 3 of 5
    row = Actual.objects.get(account=account, kpi=kpi("contact_coverage"), month=JAN)
    assert (row.source, row.entered_by) == (ActualSource.COMPUTED, None)


def test_contact_coverage_of_the_current_month_is_as_of_today():
    account = KeyAccountFactory()
    stakeholder = StakeholderFactory(account=account, contact_interval_days=7)
    contact(account, stakeholder, datetime.date(2027, 1, 10))

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=datetime.date(2027, 1, 15))
    assert actual(account, "contact_coverage") == Decimal("100.00")

    # By the month's end the 7 days have long passed.
    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)
    assert actual(account, "contact_coverage") == Decimal("0.00")


def test_an_account_without_stakeholders_has_no_coverage_and_loses_an_old_one():
    account = KeyAccountFactory()
    stakeholder = StakeholderFactory(account=account)
    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)
    assert actual(account, "contact_coverage") == Decimal("0.00")

    stakeholder.delete()
    result = computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)

    assert result.deleted == 1
    assert actual(account, "contact_coverage") is None
    history = Actual.history.filter(account=account, kpi=kpi("contact_coverage"))
    assert [entry.history_type for entry in history.order_by("history_id")] == ["+", "-"]


# --- action-plan cost ------------------------------------------------------------------------


def test_action_plan_cost_sums_actual_costs_of_measures_due_in_the_month():
    plan = AccountPlanFactory(fiscal_year=2027)
    idle = AccountPlanFactory(fiscal_year=2027)
    without_plan = KeyAccountFactory()
    for due, cost in [(1, 10), (31, 31), (None, 999)]:
        MeasureFactory(
            plan=plan,
            start_date=datetime.date(2027, 1, 1),
            due_date=datetime.date(2027, 1, due) if due else FEB,
            actual_cost=Decimal(cost) + Decimal("0.25"),
        )
    MeasureFactory(  # another account's measure
        start_date=datetime.date(2027, 1, 1), due_date=datetime.date(2027, 1, 15)
    )

    computed_actuals_refresh(
        account_ids=[plan.account_id, idle.account_id, without_plan.pk], month=JAN, today=LATER
    )

    assert actual(plan.account, "action_plan_cost") == Decimal("41.50")
    assert actual(idle.account, "action_plan_cost") == Decimal("0.00")
    assert actual(without_plan, "action_plan_cost") is None


# --- selling dimensions ----------------------------------------------------------------------


def sold_account():
    account = KeyAccountFactory()
    north, south = SiteFactory(account=account), SiteFactory(account=account)
    SellingPositionFactory(account=account, site=north, current_revenue=Decimal(40000))
    SellingPositionFactory(account=account, site=south, current_revenue=Decimal(40000))
    service = OfferingFactory(kind="service", product_group=None)
    SellingPositionFactory(account=account, offering=service, current_revenue=Decimal(20000))
    return account


def test_selling_kpis_come_from_the_dimension_metrics_in_the_current_month():
    account = sold_account()

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=datetime.date(2027, 1, 9))

    assert actual(account, "product_groups_sold") == Decimal(2)
    assert actual(account, "sites_served") == Decimal(2)
    assert actual(account, "solution_revenue_share") == Decimal("20.00")


def test_selling_kpis_of_a_past_month_keep_their_snapshot():
    account = sold_account()
    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=datetime.date(2027, 1, 9))
    SellingPositionFactory(account=account, site=SiteFactory(account=account))

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)

    assert actual(account, "sites_served") == Decimal(2)


def test_a_share_without_revenue_is_not_written():
    account = KeyAccountFactory()

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=datetime.date(2027, 1, 9))

    assert actual(account, "solution_revenue_share") is None
    assert actual(account, "sites_served") == Decimal(0)


# --- writing ---------------------------------------------------------------------------------


def test_a_repeat_writes_nothing_and_a_change_updates_with_history():
    account = sold_account()
    stakeholder = StakeholderFactory(account=account)
    AccountPlanFactory(account=account, fiscal_year=2027)
    first = computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=JAN)
    assert first == RefreshResult(created=5, updated=0, deleted=0)
    history = Actual.history.count()

    assert computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=JAN) == (
        RefreshResult(0, 0, 0)
    )
    assert Actual.history.count() == history

    contact(account, stakeholder, JAN)
    assert computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=JAN) == (
        RefreshResult(0, 1, 0)
    )
    assert actual(account, "contact_coverage") == Decimal(100)
    assert Actual.history.filter(history_type="~").count() == 1


def test_an_entered_value_on_a_computed_kpi_is_replaced():
    account = KeyAccountFactory()
    StakeholderFactory(account=account)
    ActualFactory(account=account, kpi=kpi("contact_coverage"), month=JAN, value=Decimal(55))

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)

    row = Actual.objects.get(account=account, kpi=kpi("contact_coverage"), month=JAN)
    assert (row.value, row.source) == (Decimal(0), ActualSource.COMPUTED)


def test_a_kpi_switched_to_entered_is_left_alone():
    KPIDefinition.objects.filter(code="contact_coverage").update(source="entered")
    account = KeyAccountFactory()
    StakeholderFactory(account=account)
    ActualFactory(account=account, kpi=kpi("contact_coverage"), month=JAN, value=Decimal(55))

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)

    assert actual(account, "contact_coverage") == Decimal(55)


def test_queries_do_not_grow_with_the_accounts():
    def refresh_queries(count: int) -> int:
        accounts = [sold_account() for _ in range(count)]
        for account in accounts:
            stakeholder = StakeholderFactory(account=account)
            contact(account, stakeholder, datetime.date(2027, 1, 2))
            plan = AccountPlanFactory(account=account, fiscal_year=2027)
            MeasureFactory(plan=plan, due_date=datetime.date(2027, 1, 20), actual_cost=1)
        with CaptureQueriesContext(connection) as queries:
            result = computed_actuals_refresh(
                account_ids=[a.pk for a in accounts], month=JAN, today=JAN
            )
        assert result.created == 5 * count
        return len(queries)

    # Both sizes fit in one insert batch (SQLite allows 999 parameters per statement); past
    # that, the count grows by one query per batch of rows, never per account.
    assert refresh_queries(2) == refresh_queries(12)


def test_computed_actuals_feed_the_controlling_run():
    account = KeyAccountFactory()
    covered = StakeholderFactory(account=account)
    StakeholderFactory(account=account)  # not contacted
    contact(account, covered, datetime.date(2027, 1, 25))
    plan = AccountPlanFactory(account=account, fiscal_year=2027)
    goal = GoalFactory(plan=plan, kpi=kpi("contact_coverage"), annual_target=Decimal(80))
    MonthlyTarget.objects.create(goal=goal, month=JAN, value=Decimal(80))

    computed_actuals_refresh(account_ids=[account.pk], month=JAN, today=LATER)
    compute_goals(account_ids=[account.pk])

    # Last-value KPI: 50 % coverage against 80 % planned is 37.5 % short.
    state = GoalState.objects.get(goal=goal)
    assert (state.status, state.ytd_actual, state.attainment_percent) == (
        GoalStatus.OFF_TRACK,
        Decimal("50.00"),
        Decimal("62.50"),
    )
