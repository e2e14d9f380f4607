"""The controlling engine: hand-computed results for each direction and roll-up, thresholds,
qualitative goals, idempotence, repair and a query count independent of the goal count."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlling.models import GoalRating, GoalResult, GoalState, GoalStatus, Threshold
from controlling.services.engine import compute_goals
from goals.models import KPIDefinition, MonthlyTarget
from tests.factories import (
    AccountPlanFactory,
    ActualFactory,
    GoalFactory,
    KeyAccountFactory,
    MonthlyTargetFactory,
    QualitativeGoalFactory,
)

pytestmark = pytest.mark.django_db

YEAR = 2027
ON, RISK, OFF, NONE = (
    GoalStatus.ON_TRACK,
    GoalStatus.AT_RISK,
    GoalStatus.OFF_TRACK,
    GoalStatus.NO_DATA,
)


def month(number: int) -> datetime.date:
    return datetime.date(YEAR, number, 1)


def D(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


_codes = iter(range(10_000))


def make_kpi(direction: str, rollup: str) -> KPIDefinition:
    code = f"test_{direction}_{rollup}_{next(_codes)}"
    return KPIDefinition.objects.create(
        code=code, name_en=code, name_de=code, unit="count", direction=direction, rollup=rollup
    )


def make_goal(kpi, targets: dict[int, str], actuals: dict[int, str], plan=None):
    """A goal on `kpi` with targets and its account's actuals by month number."""
    plan = plan or AccountPlanFactory(fiscal_year=YEAR)
    goal = GoalFactory(plan=plan, kpi=kpi)
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=month(m), value=Decimal(v)) for m, v in targets.items()
    )
    for m, value in actuals.items():
        ActualFactory(account=plan.account, kpi=kpi, month=month(m), value=Decimal(value))
    return goal


def rows(goal) -> dict[int, tuple]:
    """month number -> (plan, actual, deviation, deviation %, ytd plan, ytd actual, forecast,
    attainment %, status)"""
    return {
        result.month.month: (
            result.plan,
            result.actual,
            result.deviation,
            result.deviation_percent,
            result.ytd_plan,
            result.ytd_actual,
            result.forecast,
            result.attainment_percent,
            result.status,
        )
        for result in GoalResult.objects.filter(goal=goal)
    }


def expect(plan, actual, deviation, percent, ytd_plan, ytd_actual, forecast, attainment, status):
    return (
        D(plan),
        D(actual),
        D(deviation),
        D(percent),
        D(ytd_plan),
        D(ytd_actual),
        D(forecast),
        D(attainment),
        status,
    )


def snapshot() -> list[tuple]:
    return list(
        GoalResult.objects.order_by("goal_id", "month").values_list(
            "goal_id", "month", *RESULT_VALUES
        )
    ) + list(GoalState.objects.order_by("goal_id").values_list("goal_id", *STATE_VALUES))


RESULT_VALUES = [
    "plan",
    "actual",
    "deviation",
    "deviation_percent",
    "ytd_plan",
    "ytd_actual",
    "forecast",
    "attainment_percent",
    "status",
]
STATE_VALUES = ["status", "as_of", "ytd_plan", "ytd_actual", "forecast", "attainment_percent"]


# --- the rules, by direction and roll-up -----------------------------------------------------


def test_sum_higher_is_better():
    kpi = make_kpi("higher", "sum")
    goal = make_goal(
        kpi, dict.fromkeys(range(1, 13), "100"), {1: "90", 2: "110", 4: "80"}
    )  # no actual in March

    assert compute_goals() == 1

    result = rows(goal)
    # January: 10 short of 100 = 10 % > 5 % (at risk) and <= 15 %; run rate 90 x 12.
    assert result[1] == expect(100, 90, -10, -10, 100, 90, 1080, 90, RISK)
    assert result[2] == expect(100, 110, 10, 10, 200, 200, 1200, 100, ON)
    # March has no actual: no deviation, the year to date stays at February's.
    assert result[3] == expect(100, None, None, None, 200, 200, 1200, 100, ON)
    # April: 280 of 300 = 6.67 % short; forecast 280 / 3 months x 12.
    assert result[4] == expect(100, 80, -20, -20, 300, 280, 1120, "93.33", RISK)
    assert result[12] == expect(100, None, None, None, 300, 280, 1120, "93.33", RISK)
    assert len(result) == 12

    state = GoalState.objects.get(goal=goal)
    assert (state.status, state.as_of) == (RISK, month(4))
    assert (state.ytd_plan, state.ytd_actual, state.forecast) == (D(300), D(280), D(1120))
    assert state.attainment_percent == D("93.33")


def test_sum_lower_is_better_is_relative_to_the_actual():
    kpi = make_kpi("lower", "sum")
    goal = make_goal(kpi, {1: "10", 2: "10", 3: "10"}, {1: "10", 2: "13", 3: "20"})

    compute_goals()

    result = rows(goal)
    assert result[1] == expect(10, 10, 0, 0, 10, 10, 120, 100, ON)
    # 23 spent against 20 planned: 3 / 23 = 13.04 % over -> at risk; attainment 20 / 23.
    assert result[2] == expect(10, 13, 3, 30, 20, 23, 138, "86.96", RISK)
    # 43 against 30: 13 / 43 = 30.23 % -> off track.
    assert result[3] == expect(10, 20, 10, 100, 30, 43, 172, "69.77", OFF)


def test_average_higher_is_better_averages_months_with_an_actual():
    kpi = make_kpi("higher", "average")
    goal = make_goal(kpi, {1: "80", 2: "90", 3: "85"}, {1: "70", 3: "88"})

    compute_goals()

    result = rows(goal)
    # 70 against 80: 12.5 % short -> at risk.
    assert result[1] == expect(80, 70, -10, "-12.5", 80, 70, 70, "87.5", RISK)
    assert result[2] == expect(90, None, None, None, 80, 70, 70, "87.5", RISK)
    # February has no actual, so its plan of 90 is left out: plan (80 + 85) / 2 = 82.5,
    # actual (70 + 88) / 2 = 79, 3.5 / 82.5 = 4.24 % short -> on track.
    assert result[3] == expect(85, 88, 3, "3.53", "82.5", 79, 79, "95.76", ON)


def test_average_lower_is_better():
    kpi = make_kpi("lower", "average")
    goal = make_goal(kpi, {1: "10", 2: "10"}, {1: "12", 2: "11"})

    compute_goals()

    result = rows(goal)
    # 2 / 12 = 16.67 % -> off track; then 1.5 / 11.5 = 13.04 % -> at risk.
    assert result[1] == expect(10, 12, 2, 20, 10, 12, 12, "83.33", OFF)
    assert result[2] == expect(10, 11, 1, 10, 10, "11.5", "11.5", "86.96", RISK)


def test_last_value_higher_is_better_compares_the_latest_actual_with_its_months_plan():
    kpi = make_kpi("higher", "last")
    goal = make_goal(kpi, {1: "20", 2: "21", 3: "22", 4: "23"}, {1: "20", 2: "19"})

    compute_goals()

    result = rows(goal)
    assert result[1] == expect(20, 20, 0, 0, 20, 20, 20, 100, ON)
    # 19 against February's 21: 9.52 % short.
    assert result[2] == expect(21, 19, -2, "-9.52", 21, 19, 19, "90.48", RISK)
    # Later months without an actual keep February's pair, not their own higher plan.
    assert result[3] == expect(22, None, None, None, 21, 19, 19, "90.48", RISK)
    assert result[4] == expect(23, None, None, None, 21, 19, 19, "90.48", RISK)
    assert GoalState.objects.get(goal=goal).as_of == month(2)


def test_last_value_lower_is_better():
    kpi = make_kpi("lower", "last")
    goal = make_goal(kpi, {1: "5", 2: "5", 3: "5"}, {1: "6", 3: "5.2"})

    compute_goals()

    result = rows(goal)
    # 1 / 6 = 16.67 % -> off track; March: 0.2 / 5.2 = 3.85 % -> on track.
    assert result[1] == expect(5, 6, 1, 20, 5, 6, 6, "83.33", OFF)
    assert result[2] == expect(5, None, None, None, 5, 6, 6, "83.33", OFF)
    assert result[3] == expect(5, "5.2", "0.2", 4, 5, "5.2", "5.2", "96.15", ON)


def test_threshold_boundaries_belong_to_the_better_status():
    kpi = make_kpi("higher", "sum")
    exactly_5 = make_goal(kpi, {1: "100"}, {1: "95"})
    exactly_15 = make_goal(kpi, {1: "100"}, {1: "85"})
    beyond_15 = make_goal(kpi, {1: "100"}, {1: "84.99"})

    compute_goals()

    assert GoalState.objects.get(goal=exactly_5).status == ON
    assert GoalState.objects.get(goal=exactly_15).status == RISK
    assert GoalState.objects.get(goal=beyond_15).status == OFF


def test_no_actual_at_all_is_no_data():
    kpi = make_kpi("higher", "sum")
    goal = make_goal(kpi, {1: "100", 2: "100"}, {})

    compute_goals()

    assert rows(goal) == {
        1: expect(100, None, None, None, None, None, None, None, NONE),
        2: expect(100, None, None, None, None, None, None, None, NONE),
    }
    state = GoalState.objects.get(goal=goal)
    assert (state.status, state.as_of, state.ytd_actual, state.forecast) == (NONE, None, None, None)


def test_last_value_before_its_first_actual_has_no_year_to_date():
    kpi = make_kpi("higher", "last")
    goal = make_goal(kpi, {1: "20", 2: "21", 3: "22"}, {2: "21"})

    compute_goals()

    result = rows(goal)
    # January has no actual yet: like a sum or an average, no plan to date either.
    assert result[1] == expect(20, None, None, None, None, None, None, None, NONE)
    assert result[2] == expect(21, 21, 0, 0, 21, 21, 21, 100, ON)
    assert result[3] == expect(22, None, None, None, 21, 21, 21, 100, ON)


def test_zero_plan_is_met_by_zero_and_missed_below_it():
    kpi = make_kpi("higher", "sum")
    met = make_goal(kpi, {1: "0"}, {1: "0"})
    missed = make_goal(kpi, {1: "0"}, {1: "-5"})

    compute_goals()

    assert rows(met)[1] == expect(0, 0, 0, None, 0, 0, 0, None, ON)
    assert rows(missed)[1] == expect(0, -5, -5, None, 0, -5, -60, None, OFF)


def test_negative_values_compare_by_distance_not_by_quotient():
    # A net promoter score planned at -10 and reached at -12 is 20 % short of plan, not
    # 120 % attained.
    kpi = make_kpi("higher", "last")
    goal = make_goal(kpi, {1: "-10"}, {1: "-12"})

    compute_goals()

    assert rows(goal)[1] == expect(-10, -12, -2, -20, -10, -12, -12, 80, OFF)


def test_only_the_goals_account_and_kpi_count_as_actuals():
    kpi = make_kpi("higher", "sum")
    other_kpi = make_kpi("higher", "sum")
    goal = make_goal(kpi, {1: "100"}, {})
    ActualFactory(account=KeyAccountFactory(), kpi=kpi, month=month(1), value=Decimal(100))
    ActualFactory(account=goal.plan.account, kpi=other_kpi, month=month(1), value=Decimal(100))

    compute_goals()

    assert rows(goal)[1][1] is None
    assert GoalState.objects.get(goal=goal).status == NONE


# --- thresholds ------------------------------------------------------------------------------


def test_a_kpi_override_replaces_the_global_default_for_that_kpi_only():
    kpi = make_kpi("higher", "sum")
    other = make_kpi("higher", "sum")
    goal = make_goal(kpi, {1: "100"}, {1: "90"})  # 10 % short
    other_goal = make_goal(other, {1: "100"}, {1: "90"})
    Threshold.objects.create(kpi=kpi, at_risk_percent=10, off_track_percent=20)

    compute_goals()

    assert GoalState.objects.get(goal=goal).status == ON
    assert GoalState.objects.get(goal=other_goal).status == RISK


def test_the_global_default_is_configurable():
    kpi = make_kpi("higher", "sum")
    goal = make_goal(kpi, {1: "100"}, {1: "90"})
    Threshold.objects.filter(kpi=None).update(at_risk_percent=1, off_track_percent=5)

    compute_goals()

    assert GoalState.objects.get(goal=goal).status == OFF


def test_the_migration_creates_the_global_default_of_5_and_15_percent():
    default = Threshold.objects.get(kpi=None)
    assert (default.at_risk_percent, default.off_track_percent) == (5, 15)


# --- qualitative goals -----------------------------------------------------------------------


def test_qualitative_goal_compares_each_rating_with_the_target():
    goal = QualitativeGoalFactory(plan=AccountPlanFactory(fiscal_year=YEAR), target_rating=4)
    for m, rating in {1: 4, 2: 3, 3: 2, 5: 5}.items():
        GoalRating.objects.create(goal=goal, month=month(m), rating=rating)

    compute_goals()

    result = rows(goal)
    assert result[1] == expect(4, 4, 0, 0, 4, 4, None, 100, ON)
    assert result[2] == expect(4, 3, -1, -25, 4, 3, None, 75, RISK)
    assert result[3] == expect(4, 2, -2, -50, 4, 2, None, 50, OFF)
    assert result[5] == expect(4, 5, 1, 25, 4, 5, None, 125, ON)
    assert 4 not in result
    state = GoalState.objects.get(goal=goal)
    assert (state.status, state.as_of, state.attainment_percent) == (ON, month(5), D(125))


def test_qualitative_goal_without_rating_has_no_data():
    goal = QualitativeGoalFactory(plan=AccountPlanFactory(fiscal_year=YEAR))

    compute_goals()

    assert not GoalResult.objects.filter(goal=goal).exists()
    assert GoalState.objects.get(goal=goal).status == NONE


# --- scope, idempotence, repair --------------------------------------------------------------


def build_portfolio(goals: int = 3):
    kpi = make_kpi("higher", "sum")
    built = [
        make_goal(kpi, dict.fromkeys(range(1, 13), "100"), {1: "90", 2: str(90 + i)})
        for i in range(goals)
    ]
    rated = QualitativeGoalFactory(plan=built[0].plan)
    GoalRating.objects.create(goal=rated, month=month(1), rating=3)
    return built


def test_running_twice_leaves_identical_rows():
    build_portfolio()
    compute_goals()
    first = snapshot()
    first_times = list(GoalResult.objects.order_by("pk").values_list("pk", "computed_at"))

    compute_goals()

    assert snapshot() == first
    # Unchanged rows are not even rewritten.
    assert list(GoalResult.objects.order_by("pk").values_list("pk", "computed_at")) == first_times
    assert GoalResult.objects.count() == 3 * 12 + 1


def test_a_rerun_repairs_deleted_altered_and_orphaned_rows():
    goals = build_portfolio()
    compute_goals()
    clean = snapshot()

    GoalResult.objects.filter(goal=goals[0], month__gte=month(6)).delete()
    GoalResult.objects.filter(goal=goals[1]).update(status=OFF, actual=1, ytd_plan=None)
    GoalResult.objects.create(
        goal=goals[2], month=datetime.date(2031, 1, 1), plan=1, computed_at=timezone.now()
    )
    GoalState.objects.filter(goal=goals[0]).delete()
    GoalState.objects.filter(goal=goals[2]).update(status=NONE, as_of=None)

    compute_goals(account_ids=[goal.plan.account_id for goal in goals])

    assert snapshot() == clean


def test_results_of_removed_targets_and_goals_are_gone_after_a_run():
    goals = build_portfolio()
    compute_goals()

    MonthlyTarget.objects.filter(goal=goals[0], month=month(12)).delete()
    goals[1].delete()
    compute_goals(account_ids=[goals[0].plan.account_id])

    assert not GoalResult.objects.filter(goal=goals[0], month=month(12)).exists()
    assert GoalResult.objects.filter(goal=goals[0]).count() == 11
    assert not GoalResult.objects.filter(goal_id=goals[1].pk).exists()
    assert not GoalState.objects.filter(goal_id=goals[1].pk).exists()


def test_a_goal_that_turns_qualitative_loses_its_monthly_results():
    goal = build_portfolio(goals=1)[0]
    compute_goals()

    goal.kind = "qualitative"
    goal.target_rating = 3
    goal.save()
    GoalRating.objects.create(goal=goal, month=month(2), rating=3)
    compute_goals()

    assert list(GoalResult.objects.filter(goal=goal).values_list("month", "status")) == [
        (month(2), ON)
    ]


def test_a_run_for_some_accounts_leaves_the_others_alone():
    kpi = make_kpi("higher", "sum")
    mine = make_goal(kpi, {1: "100"}, {1: "100"})
    other = make_goal(kpi, {1: "100"}, {1: "100"})

    assert compute_goals(account_ids=[mine.plan.account_id]) == 1

    assert GoalResult.objects.filter(goal=mine).exists()
    assert not GoalResult.objects.filter(goal=other).exists()
    assert not GoalState.objects.filter(goal=other).exists()
    assert compute_goals(account_ids=[]) == 0


def test_a_run_for_one_fiscal_year_leaves_other_years_alone():
    kpi = make_kpi("higher", "sum")
    this_year = make_goal(kpi, {1: "100"}, {1: "100"})
    account = this_year.plan.account
    next_plan = AccountPlanFactory(account=account, fiscal_year=YEAR + 1)
    next_year = GoalFactory(plan=next_plan, kpi=kpi)
    MonthlyTargetFactory(goal=next_year, month=datetime.date(YEAR + 1, 1, 1))

    assert compute_goals(account_ids=[account.pk], fiscal_years=[YEAR + 1]) == 1

    assert GoalResult.objects.filter(goal=next_year).exists()
    assert not GoalResult.objects.filter(goal=this_year).exists()


def test_a_changed_status_keeps_the_previous_one():
    kpi = make_kpi("higher", "sum")
    goal = make_goal(kpi, {1: "100", 2: "100"}, {1: "100"})
    compute_goals()
    state = GoalState.objects.get(goal=goal)
    assert (state.status, state.previous_status) == (ON, "")
    first_change = state.status_changed_at

    ActualFactory(account=goal.plan.account, kpi=kpi, month=month(2), value=Decimal(60))
    compute_goals()

    state.refresh_from_db()
    # 160 of 200: 20 % short.
    assert (state.status, state.previous_status, state.as_of) == (OFF, ON, month(2))
    assert state.status_changed_at > first_change
    assert GoalStatus.is_worse(state.status, state.previous_status)

    compute_goals()
    state.refresh_from_db()
    assert (state.status, state.previous_status) == (OFF, ON)


# --- cost ------------------------------------------------------------------------------------


def count_queries(goals: int) -> int:
    build_portfolio(goals=goals)
    with CaptureQueriesContext(connection) as queries:
        compute_goals()
    return len(queries)


def test_query_count_does_not_grow_with_the_goals(django_assert_max_num_queries):
    few = count_queries(2)
    many = count_queries(40)
    assert few == many
    assert GoalResult.objects.count() == 42 * 12 + 2
    with django_assert_max_num_queries(few):
        compute_goals()


# --- the models behind the run ---------------------------------------------------------------


def test_there_is_one_global_threshold_and_one_per_kpi():
    kpi = make_kpi("higher", "sum")
    Threshold.objects.create(kpi=kpi, at_risk_percent=1, off_track_percent=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Threshold.objects.create(kpi=None, at_risk_percent=1, off_track_percent=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Threshold.objects.create(kpi=kpi, at_risk_percent=3, off_track_percent=4)


@pytest.mark.parametrize(("at_risk", "off_track"), [(15, 5), (5, 5), (-1, 5), (5, 101)])
def test_thresholds_are_ordered_percentages(at_risk, off_track):
    with pytest.raises(IntegrityError), transaction.atomic():
        Threshold.objects.create(
            kpi=make_kpi("higher", "sum"), at_risk_percent=at_risk, off_track_percent=off_track
        )


def test_a_second_global_threshold_is_refused_with_a_message():
    duplicate = Threshold(kpi=None, at_risk_percent=1, off_track_percent=2)
    with pytest.raises(ValidationError, match="already is a threshold"):
        duplicate.full_clean()


def test_ratings_run_from_1_to_5():
    goal = QualitativeGoalFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalRating.objects.create(goal=goal, month=month(1), rating=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalRating.objects.create(goal=goal, month=datetime.date(YEAR, 1, 2), rating=3)


def test_severity_orders_statuses_in_python_and_sql():
    assert [GoalStatus.severity(status) for status in (NONE, ON, RISK, OFF)] == [0, 1, 2, 3]
    assert GoalStatus.is_worse(RISK, ON) and not GoalStatus.is_worse(ON, RISK)
    kpi = make_kpi("higher", "sum")
    worse = make_goal(kpi, {1: "100"}, {1: "50"})
    make_goal(kpi, {1: "100"}, {1: "100"})
    compute_goals()
    ranked = GoalState.objects.annotate(rank=GoalStatus.severity_expression("status"))
    assert list(ranked.filter(rank__gte=2).values_list("goal", flat=True)) == [worse.pk]


def test_admin_lists_results_read_only_and_keeps_the_global_threshold(client, administrator):
    build_portfolio(goals=1)
    compute_goals()
    client.force_login(administrator)
    for model in ["goalresult", "goalstate", "goalrating", "threshold"]:
        assert client.get(reverse(f"admin:controlling_{model}_changelist")).status_code == 200
    result = GoalResult.objects.first()
    page = client.get(reverse("admin:controlling_goalresult_change", args=[result.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # shown, not editable
    default = Threshold.objects.get(kpi=None)
    assert (
        client.get(reverse("admin:controlling_threshold_delete", args=[default.pk])).status_code
        == 403
    )
