"""Benchmark data, generated inside PostgreSQL: one `INSERT ... SELECT generate_series` per
table, never a row at a time from Python, so 10,000 accounts take seconds, not hours.

`generate(accounts=N)` writes N key accounts with one plan each for one fiscal year, every
plan with one quantitative goal per benchmark KPI (20 by default: sums, averages and last
values, higher and lower is better, a few with per-KPI thresholds), twelve monthly targets
per goal and actuals for the first months of the year, with gaps. Values come from
PostgreSQL's random() after setseed(), so a run with the same arguments writes the same data.

`reset()` removes everything a previous generation wrote (the database is a benchmark's own:
it truncates every user and what hangs off them). Reusable by other benchmarks (a dashboard
benchmark needs the same accounts, plans and goals).
"""

import datetime
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Model

from accounts.models import KeyAccount
from controlling.models import Actual, ActualSource, Threshold
from goals.models import (
    AccountPlan,
    Direction,
    Goal,
    GoalKind,
    KPIDefinition,
    MonthlyTarget,
    PlanStatus,
    Rollup,
    Source,
    Unit,
)
from kam.fiscal import fiscal_year_bounds, fiscal_year_for
from kam.models import Role, User

PREFIX = "bench_"
# A key account manager looks after about this many accounts.
ACCOUNTS_PER_MANAGER = 25


@dataclass(frozen=True)
class Kpi:
    code: str
    unit: str
    direction: str
    rollup: str
    low: float  # a goal's monthly base lies between low and high
    high: float
    # (at risk, off track) percent, overriding the global threshold; None keeps the default
    thresholds: tuple[int, int] | None = None


H, L = Direction.HIGHER, Direction.LOWER
S, A, LAST = Rollup.SUM, Rollup.AVERAGE, Rollup.LAST
KPIS = (
    Kpi("revenue", Unit.CURRENCY, H, S, 20_000, 200_000, (3, 10)),
    Kpi("margin", Unit.CURRENCY, H, S, 5_000, 60_000),
    Kpi("new_products", Unit.COUNT, H, S, 0, 3),  # small counts: zero plans occur
    Kpi("visit_hours", Unit.HOURS, H, S, 10, 80),
    Kpi("complaints", Unit.COUNT, L, S, 0, 5, (10, 25)),
    Kpi("cost_to_serve", Unit.CURRENCY, L, S, 2_000, 20_000),
    Kpi("service_revenue", Unit.CURRENCY, H, S, 5_000, 50_000),
    Kpi("orders", Unit.COUNT, H, S, 20, 200),
    Kpi("price_realisation", Unit.PERCENT, H, A, 90, 100, (1, 4)),
    Kpi("on_time_delivery", Unit.PERCENT, H, A, 85, 99),
    Kpi("net_promoter", Unit.PERCENT, H, A, -20, 50),  # negative plans and actuals
    Kpi("days_sales_outstanding", Unit.COUNT, L, A, 30, 60),
    Kpi("response_hours", Unit.HOURS, L, A, 4, 48),
    Kpi("satisfaction", Unit.PERCENT, H, A, 60, 90),
    Kpi("share_of_wallet", Unit.PERCENT, H, LAST, 10, 60, (5, 20)),
    Kpi("market_share", Unit.PERCENT, H, LAST, 5, 40),
    Kpi("product_groups", Unit.COUNT, H, LAST, 2, 12),
    Kpi("sites", Unit.COUNT, H, LAST, 1, 20),
    Kpi("open_claims", Unit.COUNT, L, LAST, 0, 10, (10, 30)),
    Kpi("churn_risk", Unit.PERCENT, L, LAST, 5, 30),
)


@dataclass
class Dataset:
    accounts: int
    fiscal_year: int
    goals: int = 0
    targets: int = 0
    actuals: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def reset() -> None:
    """Empty the benchmark database of generated data; the migrations' rows (the starter
    KPI catalogue, the global threshold, periodic tasks) stay."""
    with connection.cursor() as cursor:
        # Every account, plan, goal, actual and result belongs to some user's records.
        cursor.execute(f"TRUNCATE {User._meta.db_table} CASCADE")
    Threshold.objects.filter(kpi__code__startswith=PREFIX).delete()
    KPIDefinition.objects.filter(code__startswith=PREFIX).delete()


def generate(
    *,
    accounts: int,
    fiscal_year: int | None = None,
    kpis: int = len(KPIS),
    months_with_actuals: int = 9,
    gap_percent: float = 5,
    seed: float = 0.42,
) -> Dataset:
    """Write `accounts` accounts with `kpis` goals each (one per benchmark KPI), 12 monthly
    targets per goal and actuals for the first `months_with_actuals` months, each missing
    with `gap_percent` % probability. The fiscal year defaults to the current one."""
    if not 1 <= kpis <= len(KPIS):
        raise ValueError(f"kpis must be 1 to {len(KPIS)}")
    fiscal_year = fiscal_year or fiscal_year_for(datetime.date.today())
    first_month = fiscal_year_bounds(fiscal_year)[0]
    data = Dataset(accounts=accounts, fiscal_year=fiscal_year)
    managers = max(1, -(-accounts // ACCOUNTS_PER_MANAGER))
    specs = KPIS[:kpis]

    def step(name: str, model: type[Model], columns: dict[str, str], source: str) -> int:
        started = time.perf_counter()
        rows = insert_select(model, columns, source)
        data.seconds[name] = time.perf_counter() - started
        return rows

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
    with foreign_keys_unchecked():
        step(
            "users",
            User,
            {
                "username": f"'{PREFIX}' || CASE WHEN i = 0 THEN 'leader' ELSE 'kam_' || i END",
                "password": "'!'",  # unusable: nobody logs in as a benchmark user
                "last_name": "'Bench ' || i",
                "email": f"'{PREFIX}' || i || '@example.com'",
                "role": f"CASE WHEN i = 0 THEN '{Role.LEADERSHIP}' ELSE '{Role.MANAGER}' END",
            },
            f"generate_series(0, {managers}) AS i",
        )
        managers_sql = f"""
            (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM {User._meta.db_table}
             WHERE role = '{Role.MANAGER}') m
        """
        step(
            "accounts",
            KeyAccount,
            {
                "name": "'Bench account ' || lpad(i::text, 6, '0')",
                "customer_number": "'B' || lpad(i::text, 8, '0')",
                "industry": "'Benchmark'",
                "country": "'DE'",
                "owner_id": "m.id",
            },
            f"generate_series(1, {accounts}) AS i JOIN {managers_sql} ON m.k = mod(i, {managers})",
        )
        step(
            "plans",
            AccountPlan,
            {
                "account_id": "a.id",
                "fiscal_year": str(fiscal_year),
                "status": f"'{PlanStatus.APPROVED}'",
                "created_by_id": "a.owner_id",
            },
            f"{KeyAccount._meta.db_table} a",
        )

        started = time.perf_counter()
        kpi_rows = KPIDefinition.objects.bulk_create(
            KPIDefinition(
                code=PREFIX + spec.code,
                name_en=f"Bench {spec.code.replace('_', ' ')}",
                name_de=f"Bench {spec.code.replace('_', ' ')}",
                unit=spec.unit,
                direction=spec.direction,
                rollup=spec.rollup,
                source=Source.ENTERED,
                order=900 + number,
            )
            for number, spec in enumerate(specs)
        )
        Threshold.objects.bulk_create(
            Threshold(
                kpi=kpi, at_risk_percent=spec.thresholds[0], off_track_percent=spec.thresholds[1]
            )
            for kpi, spec in zip(kpi_rows, specs, strict=True)
            if spec.thresholds
        )
        data.seconds["kpis"] = time.perf_counter() - started

        # One row per KPI: its id, whether it sums up, its decimals (counts are whole) and the
        # range of a goal's monthly base.
        kpi_values = ", ".join(
            f"({kpi.pk}, {number}, {spec.rollup == Rollup.SUM}, "
            f"{0 if spec.unit == Unit.COUNT else 2}, {spec.low}, {spec.high})"
            for number, (kpi, spec) in enumerate(zip(kpi_rows, specs, strict=True))
        )
        kpi_table = f"(VALUES {kpi_values}) AS k(id, n, summed, decimals, low, high)"
        # The goal's monthly base goes into its baseline; its targets scatter around it.
        data.goals = step(
            "goals",
            Goal,
            {
                "plan_id": "s.plan_id",
                "title": "'Bench goal ' || s.n",
                "kind": f"'{GoalKind.QUANTITATIVE}'",
                "kpi_id": "s.kpi_id",
                "perspective": "'finance'",
                "goal_area": "'customer_value'",
                "owner_id": "s.created_by_id",
                "baseline": "s.base",
                "annual_target": "CASE WHEN s.summed THEN s.base * 12 ELSE s.base END",
                "order": "s.n",
            },
            f"""(SELECT p.id AS plan_id, p.created_by_id, k.id AS kpi_id, k.n, k.summed,
                        round((k.low + random() * (k.high - k.low))::numeric, k.decimals) AS base
                 FROM {AccountPlan._meta.db_table} p CROSS JOIN {kpi_table}
                 WHERE p.fiscal_year = {fiscal_year}) s""",
        )
        month = f"(DATE '{first_month.isoformat()}' + make_interval(months => m))::date"
        data.targets = step(
            "targets",
            MonthlyTarget,
            {
                "goal_id": "g.id",
                "month": month,
                "value": "round(g.baseline * (0.8 + 0.4 * random())::numeric, k.decimals)",
            },
            f"{Goal._meta.db_table} g JOIN {kpi_table} ON k.id = g.kpi_id "
            f"CROSS JOIN generate_series(0, 11) AS m",
        )
        # Actuals: 75 % to 120 % of plan (so every status occurs), a little above a zero plan.
        data.actuals = step(
            "actuals",
            Actual,
            {
                "account_id": "p.account_id",
                "kpi_id": "g.kpi_id",
                "month": "t.month",
                "value": "round(t.value * (0.75 + 0.45 * random())::numeric + CASE WHEN"
                " t.value = 0 THEN round(random()::numeric * 2) ELSE 0 END, k.decimals)",
                "source": f"'{ActualSource.IMPORTED}'",
            },
            f"""{MonthlyTarget._meta.db_table} t
                JOIN {Goal._meta.db_table} g ON g.id = t.goal_id
                JOIN {AccountPlan._meta.db_table} p ON p.id = g.plan_id
                JOIN {kpi_table} ON k.id = g.kpi_id
                WHERE t.month < DATE '{first_month.isoformat()}'
                                + make_interval(months => {months_with_actuals})
                  AND random() * 100 >= {gap_percent}""",
        )

    # Statistics as autovacuum would have them on a database that has been in use.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (User, KeyAccount, AccountPlan, KPIDefinition, Goal, MonthlyTarget, Actual):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    data.seconds["vacuum analyze"] = time.perf_counter() - started
    return data


@contextmanager
def foreign_keys_unchecked():
    """Skip PostgreSQL's foreign-key triggers (one check per inserted row) while writing rows
    that are consistent by construction. Needs a superuser; without one, rows are checked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if superuser:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


def insert_select(model: type[Model], columns: dict[str, str], source: str) -> int:
    """INSERT INTO the model's table SELECT one row per row of `source` (SQL after FROM),
    with `columns` as SQL expressions by attribute name. Every other column gets the
    field's default (or now() for auto_now fields, NULL where allowed), so new fields with
    defaults need no change here. Returns the number of rows."""
    names, expressions, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key and model_field.attname not in columns:
            continue
        names.append(connection.ops.quote_name(model_field.column))
        if model_field.attname in columns:
            expressions.append(columns[model_field.attname])
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            expressions.append("now()")
        elif (default := model_field.get_default()) is not None:
            expressions.append("%s")
            params.append(model_field.get_db_prep_save(default, connection))
        elif model_field.null:
            expressions.append("NULL")
        else:
            raise ValueError(f"{model.__name__}.{model_field.name} needs a value")
    unknown = set(columns) - {f.attname for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
