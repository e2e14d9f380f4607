"""Hand-built controlling figures for the dashboard tests: goal states and results as the
controlling run would store them, so each test knows its answer without running the engine."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Actual, Deviation, GoalResult, GoalState, GoalStatus, Notification
from controlling.services.figures import figures_refresh
from goals.models import KPIDefinition
from kam.fiscal import fiscal_year_for
from tests import factories

# Calendar fiscal years (the tests set KAM_FISCAL_YEAR_START_MONTH = 1): the current one, so
# the pages' default year is the one the data is in.
YEAR = fiscal_year_for(timezone.localdate(), 1)


def refresh_figures() -> None:
    """What each chunk of a controlling run does last: refresh the figures the leadership
    dashboard adds up, here of every account."""
    figures_refresh(account_ids=KeyAccount.objects.values_list("pk", flat=True))


def month(number: int, year: int = YEAR) -> datetime.date:
    return datetime.date(year, number, 1)


def margin_kpi() -> KPIDefinition:
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="contribution_margin",
        defaults={
            "name_en": "Contribution margin",
            "name_de": "Deckungsbeitrag",
            "unit": "currency",
            "direction": "higher",
            "rollup": "sum",
            "source": "entered",
        },
    )
    return kpi


def status_for(percent) -> str:
    """The status the default thresholds (5 % / 15 %) give an attainment."""
    if percent is None:
        return GoalStatus.NO_DATA
    if percent >= 95:
        return GoalStatus.ON_TRACK
    if percent >= 85:
        return GoalStatus.AT_RISK
    return GoalStatus.OFF_TRACK


def state(goal, percent, *, ytd_plan=None, ytd_actual=None, status=None) -> GoalState:
    return GoalState.objects.create(
        goal=goal,
        status=status or status_for(percent),
        attainment_percent=None if percent is None else Decimal(str(percent)),
        ytd_plan=ytd_plan,
        ytd_actual=ytd_actual,
        as_of=month(1) if percent is not None else None,
        computed_at=timezone.now(),
    )


def results(goal, figures: dict[int, tuple]) -> None:
    """Month number -> (plan, actual) rows of GoalResult."""
    GoalResult.objects.bulk_create(
        GoalResult(
            goal=goal,
            month=month(number),
            plan=Decimal(plan),
            actual=None if actual is None else Decimal(actual),
            computed_at=timezone.now(),
        )
        for number, (plan, actual) in figures.items()
    )


def deviation(goal, *, to_status=GoalStatus.OFF_TRACK, days_ago=0, **kwargs) -> Deviation:
    opened = timezone.now() - datetime.timedelta(days=days_ago)
    return Deviation.objects.create(
        goal=goal,
        from_status=GoalStatus.ON_TRACK,
        to_status=to_status,
        opened_for=opened,
        opened_at=opened,
        **kwargs,
    )


def full_account(owner, n: int, *, today=None):
    """An account with everything both pages show: a plan with a budget, revenue, contribution
    margin and qualitative goals with states and results, monthly targets, actuals, an open
    deviation with a notification, a measure due, a stakeholder never contacted, a site and
    selling positions. Used to compare the query counts of 5 and 50 accounts."""
    today = today or timezone.localdate()
    account = factories.KeyAccountFactory(
        owner=owner,
        attractiveness=n * 7 % 101,
        relative_strength=n * 13 % 101,
        country=["DE", "CH", "GB"][n % 3],
    )
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR, budget=Decimal(9000))
    revenue = factories.GoalFactory(plan=plan, weight=30)
    margin = factories.GoalFactory(
        plan=plan, kpi=margin_kpi(), baseline=Decimal(1200), annual_target=Decimal(1500)
    )
    rating = factories.QualitativeGoalFactory(plan=plan, perspective="people")
    factories.MonthlyTargetFactory(goal=revenue, month=month(1), value=Decimal(100))
    factories.MonthlyTargetFactory(goal=margin, month=month(1), value=Decimal(100))
    state(revenue, 90 + n % 20, ytd_plan=Decimal(100), ytd_actual=Decimal(90 + n % 20))
    state(margin, 110, ytd_plan=Decimal(100), ytd_actual=Decimal(110))
    state(rating, 75)
    results(revenue, {1: (100, 90 + n % 20)})
    results(margin, {1: (100, 110)})
    Actual.objects.create(account=account, kpi=revenue.kpi, month=month(1), value=Decimal(95))
    Actual.objects.create(account=account, kpi=margin.kpi, month=month(1), value=Decimal(110))
    open_deviation = deviation(revenue, days_ago=n % 5)
    Notification.objects.create(recipient=owner, kind="worsened", deviation=open_deviation)
    factories.MeasureFactory(
        plan=plan,
        start_date=today - datetime.timedelta(days=30),
        due_date=today + datetime.timedelta(days=3),
        actual_cost=Decimal(500),
    )
    factories.StakeholderFactory(account=account)
    site = factories.SiteFactory(account=account, region=["North", "South"][n % 2])
    factories.SellingPositionFactory(account=account, site=site)
    factories.SellingPositionFactory(account=account, stage="potential")
    return account
