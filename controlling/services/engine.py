"""The controlling run's computation: plan vs actual of every goal and month, set-based.

compute_goals() writes GoalResult (one row per goal and month) and GoalState (one row per
goal) with a fixed number of SQL statements, however many goals it covers:

1. delete results whose goal month no longer exists (a target or rating was removed, the
   goal changed its kind), one DELETE per kind, so a re-run repairs whatever an
   interrupted run left behind;
2. one INSERT ... SELECT ... ON CONFLICT DO UPDATE for the quantitative goals;
3. one such upsert for the qualitative goals;
4. one upsert of GoalState from each goal's latest month with an actual.

The row sources (targets joined to actuals, thresholds, running sums) are built with the
ORM and compiled to SQL; the arithmetic on top of them is plain SQL that PostgreSQL and
SQLite (3.28 or later, for window functions and upserts) both understand. Upserts only
touch rows whose figures changed, so running twice leaves the rows exactly as they were.
The rules are documented in docs/architecture.md ("The controlling engine").
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from controlling.models import (
    DEFAULT_AT_RISK_PERCENT,
    DEFAULT_OFF_TRACK_PERCENT,
    GoalRating,
    GoalResult,
    GoalState,
    GoalStatus,
    Threshold,
)
from goals.models import Direction, Goal, GoalKind, MonthlyTarget, Rollup

# Months of a fiscal year, for the run-rate forecast of summed KPIs.
YEAR_MONTHS = 12

RESULT_FIELDS = [
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
STATE_FIELDS = ["status", "as_of", "ytd_plan", "ytd_actual", "forecast", "attainment_percent"]
# The result columns alike for both kinds of goal: each row source names the goal, month, plan
# and actual r_goal, r_month, r_plan and r_actual, and the deviation is their difference.
_BASE_COLUMNS = {
    "goal_id": "r_goal",
    "month": "r_month",
    "plan": "r_plan",
    "actual": "r_actual",
    "deviation": "ROUND(r_actual - r_plan, 2)",
}


@dataclass(frozen=True)
class Scope:
    """The goals of a run: of these accounts and fiscal years; None means all."""

    account_ids: tuple[int, ...] | None = None
    fiscal_years: tuple[int, ...] | None = None

    def q(self, prefix: str = "") -> Q:
        """The condition on a goal, from a model that reaches the goal by `prefix`."""
        condition = Q()
        if self.account_ids is not None:
            condition &= Q(**{f"{prefix}plan__account_id__in": self.account_ids})
        if self.fiscal_years is not None:
            condition &= Q(**{f"{prefix}plan__fiscal_year__in": self.fiscal_years})
        return condition


def compute_goals(
    *, account_ids: list[int] | None = None, fiscal_years: list[int] | None = None
) -> int:
    """Compute results and states of the goals of these accounts and fiscal years (None: all)
    and return how many goals that covered. Atomic: either every row is written or none."""
    scope = Scope(
        account_ids=None if account_ids is None else tuple(account_ids),
        fiscal_years=None if fiscal_years is None else tuple(fiscal_years),
    )
    if scope.account_ids == () or scope.fiscal_years == ():
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        _delete_stale(scope)
        _upsert_results(*_quantitative_select(scope), now=now)
        _upsert_results(*_qualitative_select(scope), now=now)
        _upsert_states(scope, now=now)
        return Goal.objects.filter(scope.q()).count()


def _delete_stale(scope: Scope) -> None:
    # One DELETE per kind, each "goal_id IN (the scope's goals of that kind)": PostgreSQL
    # then walks the (goal, month) index from the scope's goals. Joining the goal in the
    # DELETE itself (for its kind) made it scan every result of every account instead,
    # in each chunk of a run (bench/controlling.py, docs/performance.md).
    for kind, source in (
        (GoalKind.QUANTITATIVE, MonthlyTarget),
        (GoalKind.QUALITATIVE, GoalRating),
    ):
        goals = Goal.objects.filter(scope.q(), kind=kind).values("pk")
        kept = source.objects.filter(goal_id=OuterRef("goal_id"), month=OuterRef("month"))
        GoalResult.objects.filter(goal_id__in=goals).exclude(Exists(kept)).delete()


def _literal(value: str) -> str:
    """An enum value as an SQL string literal; values are identifiers, never user input."""
    if not value.replace("_", "").isalnum():
        raise ValueError(value)
    return f"'{value}'"


# --- quantitative goals ----------------------------------------------------------------------


def target_rows(scope: Scope) -> QuerySet:
    """One row per monthly target of a quantitative goal in scope: the plan, the actual of
    the goal's account and KPI in that month (None if missing), the KPI's direction and
    roll-up, the thresholds that apply (the KPI's override, else the global default), and
    running figures over the goal's months so far: how many have an actual, the sum of those
    actuals and the sum of those months' plans."""
    reported = Q(act__value__isnull=False)
    window: dict[str, Any] = {"partition_by": [F("goal_id")], "order_by": F("month").asc()}
    defaults = Threshold.objects.filter(kpi__isnull=True)
    actual = Q(
        goal__plan__account__actuals__kpi=F("goal__kpi"),
        goal__plan__account__actuals__month=F("month"),
    )
    if scope.account_ids is not None:
        # Repeats the scope on the actuals themselves: PostgreSQL does not carry an IN list
        # across the join, and without it hashed every actual of every account per chunk.
        actual &= Q(goal__plan__account__actuals__account_id__in=scope.account_ids)
    return (
        MonthlyTarget.objects.filter(scope.q("goal__"), goal__kind=GoalKind.QUANTITATIVE)
        .alias(act=FilteredRelation("goal__plan__account__actuals", condition=actual))
        .annotate(
            r_goal=F("goal_id"),
            r_month=F("month"),
            r_plan=F("value"),
            r_actual=F("act__value"),
            r_direction=F("goal__kpi__direction"),
            r_rollup=F("goal__kpi__rollup"),
            r_at_risk=Coalesce(
                F("goal__kpi__thresholds__at_risk_percent"),
                Subquery(defaults.values("at_risk_percent")[:1]),
                Value(DEFAULT_AT_RISK_PERCENT),
            ),
            r_off_track=Coalesce(
                F("goal__kpi__thresholds__off_track_percent"),
                Subquery(defaults.values("off_track_percent")[:1]),
                Value(DEFAULT_OFF_TRACK_PERCENT),
            ),
            r_count=Window(Count("act__value"), **window),
            r_sum_actual=Window(Sum("act__value"), **window),
            r_sum_plan=Window(Sum(Case(When(reported, then=F("value")))), **window),
        )
        .values(
            "r_goal",
            "r_month",
            "r_plan",
            "r_actual",
            "r_direction",
            "r_rollup",
            "r_at_risk",
            "r_off_track",
            "r_count",
            "r_sum_actual",
            "r_sum_plan",
        )
        .order_by()
    )


def _quantitative_select(scope: Scope) -> tuple[dict[str, str], str, tuple]:
    """The result columns as SQL expressions over the layered SELECT of target_rows."""
    sql, params = target_rows(scope).query.sql_with_params()
    lower, total, average = (
        _literal(Direction.LOWER),
        _literal(Rollup.SUM),
        _literal(Rollup.AVERAGE),
    )
    # Layer b: the latest actual so far and the plan of its month. Rows of a goal that share
    # the running count of months with an actual begin with the month of that actual, so
    # FIRST_VALUE over (goal, count) is "the last value", without IGNORE NULLS (which
    # neither database has). Layer c: year to date and forecast by roll-up. Layer d: the
    # shortfall against plan in the KPI's direction (gap), and what it is relative to:
    # the plan when higher is better, the actual when lower is better.
    select = f"""
        SELECT d.* FROM (
            SELECT c.*,
                   CASE WHEN r_direction = {lower} THEN ytd_actual - ytd_plan
                        ELSE ytd_plan - ytd_actual END AS gap,
                   ABS(CASE WHEN r_direction = {lower} THEN ytd_actual ELSE ytd_plan END)
                       AS base
            FROM (
                SELECT b.*,
                       CASE r_rollup
                            WHEN {total} THEN r_sum_plan
                            WHEN {average} THEN r_sum_plan * 1.0 / NULLIF(r_count, 0)
                            ELSE CASE WHEN r_count > 0 THEN last_plan END END AS ytd_plan,
                       CASE r_rollup
                            WHEN {total} THEN r_sum_actual
                            WHEN {average} THEN r_sum_actual * 1.0 / NULLIF(r_count, 0)
                            ELSE last_actual END AS ytd_actual,
                       CASE r_rollup
                            WHEN {total} THEN r_sum_actual * {YEAR_MONTHS}.0 / NULLIF(r_count, 0)
                            WHEN {average} THEN r_sum_actual * 1.0 / NULLIF(r_count, 0)
                            ELSE last_actual END AS forecast
                FROM (
                    SELECT a.*,
                           FIRST_VALUE(a.r_actual) OVER (
                               PARTITION BY a.r_goal, a.r_count ORDER BY a.r_month
                           ) AS last_actual,
                           FIRST_VALUE(a.r_plan) OVER (
                               PARTITION BY a.r_goal, a.r_count ORDER BY a.r_month
                           ) AS last_plan
                    FROM ({sql}) a
                ) b
            ) c
        ) d
    """
    status = f"""
        CASE WHEN ytd_actual IS NULL THEN {_literal(GoalStatus.NO_DATA)}
             WHEN gap <= 0 THEN {_literal(GoalStatus.ON_TRACK)}
             WHEN base = 0 THEN {_literal(GoalStatus.OFF_TRACK)}
             WHEN gap * 100.0 / base <= r_at_risk THEN {_literal(GoalStatus.ON_TRACK)}
             WHEN gap * 100.0 / base <= r_off_track THEN {_literal(GoalStatus.AT_RISK)}
             ELSE {_literal(GoalStatus.OFF_TRACK)} END
    """
    columns = {
        **_BASE_COLUMNS,
        "deviation_percent": "ROUND((r_actual - r_plan) * 100.0 / NULLIF(ABS(r_plan), 0), 2)",
        "ytd_plan": "ROUND(ytd_plan, 2)",
        "ytd_actual": "ROUND(ytd_actual, 2)",
        "forecast": "ROUND(forecast, 2)",
        "attainment_percent": "ROUND(100 - gap * 100.0 / NULLIF(base, 0), 2)",
        "status": status,
    }
    return columns, select, params


# --- qualitative goals -----------------------------------------------------------------------


def rating_rows(scope: Scope) -> QuerySet:
    """One row per rating of a qualitative goal in scope, with the goal's target rating."""
    return (
        GoalRating.objects.filter(scope.q("goal__"), goal__kind=GoalKind.QUALITATIVE)
        .annotate(
            r_goal=F("goal_id"),
            r_month=F("month"),
            r_plan=F("goal__target_rating"),
            r_actual=F("rating"),
        )
        .values("r_goal", "r_month", "r_plan", "r_actual")
        .order_by()
    )


def _qualitative_select(scope: Scope) -> tuple[dict[str, str], str, tuple]:
    """Each month's rating against the target: its own "year to date", no forecast."""
    sql, params = rating_rows(scope).query.sql_with_params()
    status = f"""
        CASE WHEN r_actual >= r_plan THEN {_literal(GoalStatus.ON_TRACK)}
             WHEN r_actual = r_plan - 1 THEN {_literal(GoalStatus.AT_RISK)}
             ELSE {_literal(GoalStatus.OFF_TRACK)} END
    """
    columns = {
        **_BASE_COLUMNS,
        "deviation_percent": "ROUND((r_actual - r_plan) * 100.0 / r_plan, 2)",
        "ytd_plan": "r_plan",
        "ytd_actual": "r_actual",
        "forecast": "NULL",
        "attainment_percent": "ROUND(r_actual * 100.0 / r_plan, 2)",
        "status": status,
    }
    return columns, f"SELECT q.* FROM ({sql}) q", params


# --- writing ---------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _changed(table: str, fields: list[str]) -> str:
    """SQL that is true when the proposed row differs from the stored one, NULLs included."""
    distinct = "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"
    return " OR ".join(
        f"{table}.{_quote(field)} {distinct} excluded.{_quote(field)}" for field in fields
    )


def _upsert_results(columns: dict[str, str], select: str, params: tuple, *, now) -> None:
    """INSERT the selected rows into GoalResult; existing (goal, month) rows are updated
    only where a figure changed, so computed_at says when the figures last changed."""
    table = _quote(GoalResult._meta.db_table)
    names = ", ".join(_quote(name) for name in [*columns, "computed_at"])
    expressions = ",\n".join(columns.values())
    updates = ", ".join(
        f"{_quote(field)} = excluded.{_quote(field)}" for field in [*RESULT_FIELDS, "computed_at"]
    )
    # "WHERE 1 = 1" keeps SQLite from reading ON CONFLICT as the ON of a join.
    sql = f"""
        INSERT INTO {table} ({names})
        SELECT {expressions}, %s FROM ({select}) e WHERE 1 = 1
        ON CONFLICT ({_quote("goal_id")}, {_quote("month")}) DO UPDATE SET {updates}
        WHERE {_changed(table, RESULT_FIELDS)}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params])


def _upsert_states(scope: Scope, *, now) -> None:
    """Upsert every goal's state from its result in the latest month with an actual (or
    rating); a goal without one is "no data". A changed status keeps the one before it."""
    goals_sql, goal_params = (
        Goal.objects.filter(scope.q()).values(g_id=F("pk")).order_by().query.sql_with_params()
    )
    table = _quote(GoalState._meta.db_table)
    results = _quote(GoalResult._meta.db_table)
    status, previous, changed_at = (
        _quote("status"),
        _quote("previous_status"),
        _quote("status_changed_at"),
    )
    names = ", ".join(
        _quote(name)
        for name in [
            "goal_id",
            *STATE_FIELDS,
            "previous_status",
            "status_changed_at",
            "computed_at",
        ]
    )
    updates = ", ".join(
        f"{_quote(field)} = excluded.{_quote(field)}" for field in [*STATE_FIELDS, "computed_at"]
    )
    status_changed = f"{table}.{status} <> excluded.{status}"
    # The latest month per goal as a correlated MAX: one probe of the (goal, month) index
    # per goal, where a grouped subquery let PostgreSQL scan every result in each chunk.
    sql = f"""
        INSERT INTO {table} ({names})
        SELECT l.g_id, COALESCE(r.status, {_literal(GoalStatus.NO_DATA)}), l.as_of,
               r.ytd_plan, r.ytd_actual, r.forecast, r.attainment_percent, '', %s, %s
        FROM (
            SELECT g.g_id, (
                SELECT MAX(m.month) FROM {results} m
                WHERE m.goal_id = g.g_id AND m.actual IS NOT NULL
            ) AS as_of
            FROM ({goals_sql}) g
        ) l
        LEFT JOIN {results} r ON r.goal_id = l.g_id AND r.month = l.as_of
        WHERE 1 = 1
        ON CONFLICT ({_quote("goal_id")}) DO UPDATE SET {updates},
            {previous} = CASE WHEN {status_changed} THEN {table}.{status}
                              ELSE {table}.{previous} END,
            {changed_at} = CASE WHEN {status_changed} THEN excluded.{_quote("computed_at")}
                                ELSE {table}.{changed_at} END
        WHERE {_changed(table, STATE_FIELDS)}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, *goal_params])
