#!/usr/bin/env python
"""Benchmark of the controlling run against its floor, on PostgreSQL.

    .venv/bin/python bench/controlling.py --accounts 1000 10000

For each number of accounts, in a fresh process (so its peak memory is its own): generate
the data (bench/data.py), time the floor -- ONE hand-written INSERT ... SELECT ... ON
CONFLICT that computes and stores every GoalResult row -- then time the full controlling
run exactly as production runs it (controlling.services.runs.run_start(kind=full) with Celery eager:
every chunk through the compute_chunk task, one after another in this process), check that
the run stored the same rows as the floor, and measure its memory. See bench/README.md.

The database is created and migrated from scratch (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kam_bench); its name must contain "bench", so that the
benchmark can never drop a development or test database.
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and this file would stand in
# for the `controlling` app; the project root takes its place.
sys.path[0] = str(ROOT)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kam_bench"
MIB = 1024 * 1024


# The floor: every GoalResult row of every quantitative goal in one statement, written by
# hand from the rules in docs/architecture.md ("The controlling engine"), independently of
# controlling/engine.py. The arithmetic is spelled the same way (numeric division, ROUND
# at the end), so both round alike. "Last value" takes the last non-null actual so far
# from an array aggregate, rather than the engine's FIRST_VALUE over (goal, months with an
# actual), so a mistake in either shows up in the comparison.
FLOOR_SQL = """
INSERT INTO controlling_goalresult
    (goal_id, month, plan, actual, deviation, deviation_percent, ytd_plan, ytd_actual,
     forecast, attainment_percent, status, computed_at)
SELECT goal_id, month, plan, actual,
       ROUND(actual - plan, 2),
       ROUND((actual - plan) * 100.0 / NULLIF(ABS(plan), 0), 2),
       ROUND(ytd_plan, 2),
       ROUND(ytd_actual, 2),
       ROUND(forecast, 2),
       ROUND(100 - gap * 100.0 / NULLIF(base, 0), 2),
       CASE WHEN ytd_actual IS NULL THEN 'no_data'
            WHEN gap <= 0 THEN 'on_track'
            WHEN base = 0 THEN 'off_track'
            WHEN gap * 100.0 / base <= at_risk THEN 'on_track'
            WHEN gap * 100.0 / base <= off_track THEN 'at_risk'
            ELSE 'off_track' END,
       now()
FROM (
    SELECT y.*,
           CASE WHEN is_lower THEN ytd_actual - ytd_plan ELSE ytd_plan - ytd_actual END AS gap,
           ABS(CASE WHEN is_lower THEN ytd_actual ELSE ytd_plan END) AS base
    FROM (
        SELECT x.goal_id, x.month, x.plan, x.actual, x.is_lower, x.at_risk, x.off_track,
               CASE x.rollup WHEN 'sum' THEN x.sum_plan
                             WHEN 'average' THEN x.sum_plan * 1.0 / NULLIF(x.n, 0)
                             ELSE x.plans[x.n] END AS ytd_plan,
               CASE x.rollup WHEN 'sum' THEN x.sum_actual
                             WHEN 'average' THEN x.sum_actual * 1.0 / NULLIF(x.n, 0)
                             ELSE x.actuals[x.n] END AS ytd_actual,
               CASE x.rollup WHEN 'sum' THEN x.sum_actual * 12.0 / NULLIF(x.n, 0)
                             WHEN 'average' THEN x.sum_actual * 1.0 / NULLIF(x.n, 0)
                             ELSE x.actuals[x.n] END AS forecast
        FROM (
            SELECT t.goal_id, t.month, t.value AS plan, a.value AS actual, k.rollup,
                   k.direction = 'lower' AS is_lower,
                   COALESCE(o.at_risk_percent, d.at_risk_percent, 5) AS at_risk,
                   COALESCE(o.off_track_percent, d.off_track_percent, 15) AS off_track,
                   count(a.value) OVER w AS n,
                   sum(a.value) OVER w AS sum_actual,
                   sum(t.value) FILTER (WHERE a.value IS NOT NULL) OVER w AS sum_plan,
                   array_agg(a.value) FILTER (WHERE a.value IS NOT NULL) OVER w AS actuals,
                   array_agg(t.value) FILTER (WHERE a.value IS NOT NULL) OVER w AS plans
            FROM goals_monthlytarget t
            JOIN goals_goal g ON g.id = t.goal_id AND g.kind = 'quantitative'
            JOIN goals_accountplan p ON p.id = g.plan_id
            JOIN goals_kpidefinition k ON k.id = g.kpi_id
            LEFT JOIN controlling_actual a
                   ON a.account_id = p.account_id AND a.kpi_id = g.kpi_id AND a.month = t.month
            LEFT JOIN controlling_threshold o ON o.kpi_id = g.kpi_id
            LEFT JOIN controlling_threshold d ON d.kpi_id IS NULL
            WINDOW w AS (PARTITION BY t.goal_id ORDER BY t.month)
        ) x
    ) y
) z
ON CONFLICT (goal_id, month) DO UPDATE SET
    plan = excluded.plan, actual = excluded.actual, deviation = excluded.deviation,
    deviation_percent = excluded.deviation_percent, ytd_plan = excluded.ytd_plan,
    ytd_actual = excluded.ytd_actual, forecast = excluded.forecast,
    attainment_percent = excluded.attainment_percent, status = excluded.status,
    computed_at = excluded.computed_at
WHERE (controlling_goalresult.plan, controlling_goalresult.actual,
       controlling_goalresult.deviation, controlling_goalresult.deviation_percent,
       controlling_goalresult.ytd_plan, controlling_goalresult.ytd_actual,
       controlling_goalresult.forecast, controlling_goalresult.attainment_percent,
       controlling_goalresult.status)
      IS DISTINCT FROM
      (excluded.plan, excluded.actual, excluded.deviation, excluded.deviation_percent,
       excluded.ytd_plan, excluded.ytd_actual, excluded.forecast,
       excluded.attainment_percent, excluded.status)
"""


# --- the driver: one child process per number of accounts ------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--kpis", type=int, default=20, help="goals per account (max 20)")
    parser.add_argument("--chunk-size", type=int, help="KAM_CONTROLLING_CHUNK_SIZE")
    parser.add_argument(
        "--repeat", type=int, default=2, help="timings per figure; the fastest counts"
    )
    parser.add_argument("--explain", metavar="DIR", help="write EXPLAIN ANALYZE plans here")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--reuse-db", action="store_true", help="skip drop, create, migrate")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    os.environ.update(django_environment(url, args.chunk_size))
    if args.child is not None:
        print(json.dumps(measure(args.child, args)), flush=True)
        return

    if not args.reuse_db:
        started = time.perf_counter()
        database_create(url)
        note(f"database created and migrated in {time.perf_counter() - started:.1f} s")
    results = []
    for accounts in args.accounts:
        command = [sys.executable, __file__, "--child", str(accounts), *child_arguments(args)]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


def child_arguments(args: argparse.Namespace) -> list[str]:
    arguments = ["--kpis", str(args.kpis), "--repeat", str(args.repeat)]
    if args.chunk_size:
        arguments += ["--chunk-size", str(args.chunk_size)]
    if args.explain:
        arguments += ["--explain", args.explain]
    return arguments


def django_environment(url: str, chunk_size: int | None) -> dict[str, str]:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing database {name!r}: the benchmark's database name contains 'bench'.")
    environment = {
        "DATABASE_URL": url,
        # Production settings without the HTTPS parts: DEBUG off, so no query log grows.
        "DJANGO_SETTINGS_MODULE": "kam.settings.base",
        "DJANGO_SECRET_KEY": "benchmark-only-not-secret",
        "DJANGO_DEBUG": "false",
        # No broker: Celery runs every task eagerly, in this process.
        "CELERY_BROKER_URL": "",
        # Alert mails are built and handed to a backend that drops them.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if chunk_size:
        environment["KAM_CONTROLLING_CHUNK_SIZE"] = str(chunk_size)
    return environment


def database_create(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "--verbosity", "0"],
        cwd=ROOT,
        check=True,
    )


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- one number of accounts, in its own process -----------------------------------------------


def measure(accounts: int, args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench import data
    from controlling.services.engine import RESULT_FIELDS

    figures: dict = {"accounts": accounts, "chunk_size": settings.KAM_CONTROLLING_CHUNK_SIZE}
    note(f"\n== {accounts} accounts ==")
    data.reset()
    dataset = data.generate(accounts=accounts, kpis=args.kpis)
    figures["generate_s"] = dataset.total_seconds
    figures["generate_steps_s"] = dataset.seconds
    figures["goals"] = dataset.goals
    figures["goal_months"] = dataset.targets
    figures["actuals"] = dataset.actuals
    note(
        f"generated {dataset.goals} goals, {dataset.targets} targets, {dataset.actuals} "
        f"actuals in {dataset.total_seconds:.1f} s "
        + ", ".join(f"{step} {seconds:.1f}" for step, seconds in dataset.seconds.items())
    )

    # The floor, into an empty table.
    floor_times = []
    for _ in range(args.repeat):
        results_reset()
        seconds, rows = timed(floor_run)
        floor_times.append(seconds)
    figures["floor_s"] = min(floor_times)
    figures["floor_rows"] = rows
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_floor AS SELECT goal_id, month, "
            f"{', '.join(RESULT_FIELDS)} FROM controlling_goalresult"
        )
    note(f"floor: {rows} rows, {', '.join(f'{s:.2f}' for s in floor_times)} s")

    # The run, from no results at all, as often as asked; the first one also records its
    # statements, and the maximum resident set size it adds to the process.
    run_times = []
    for number in range(args.repeat):
        results_reset()
        gc.collect()
        rss_before = max_rss()
        if number == 0:
            with Recorder() as recorder:
                seconds, run = timed(full_run)
            figures["rss_delta_mib"] = (max_rss() - rss_before) / MIB
            figures["rss_mib"] = max_rss() / MIB
            figures["breakdown"] = recorder.summary(seconds)
        else:
            seconds, run = timed(full_run)
        run_check(run, dataset.goals)
        run_times.append(seconds)
        if number == 0:
            figures["chunk_s"] = chunk_seconds(run)
    figures["run_s"] = min(run_times)
    figures["chunks"] = run.chunks_total
    note(f"run: {run.chunks_total} chunks, {', '.join(f'{s:.2f}' for s in run_times)} s")
    figures["comparison"] = compare()
    note(f"engine vs floor: {figures['comparison']}")

    # Python's own peak while the run works (tracemalloc slows Python down, so it is a run
    # of its own and not the one timed).
    results_reset()
    gc.collect()
    tracemalloc.start()
    seconds, run = timed(full_run)
    figures["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    run_check(run, dataset.goals)
    figures["traced_run_s"] = seconds
    note(f"traced run: {seconds:.2f} s, peak {figures['traced_peak_mib']:.1f} MiB")

    # Again on unchanged data: nothing to write, as in a nightly run after a quiet day.
    figures["rerun_s"] = min(timed(full_run)[0] for _ in range(args.repeat))
    figures["floor_rerun_s"] = min(timed(floor_run)[0] for _ in range(args.repeat))
    note(f"re-run: {figures['rerun_s']:.2f} s, floor re-run {figures['floor_rerun_s']:.2f} s")

    if args.explain:
        explain(Path(args.explain), accounts, figures["breakdown"].pop("slowest_sql"))
    else:
        figures["breakdown"].pop("slowest_sql")
    return figures


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def chunk_seconds(run) -> dict[str, float]:
    """Mean seconds of the first and of the last five chunks: equal when a chunk's cost
    does not grow with the data already computed."""
    finished = list(run.chunks.order_by("number").values_list("finished_at", flat=True))
    starts = [run.started_at, *finished[:-1]]
    seconds = [(end - start).total_seconds() for start, end in zip(starts, finished, strict=True)]
    first, last = seconds[:5], seconds[-5:]
    return {"first": sum(first) / len(first), "last": sum(last) / len(last)}


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def floor_run() -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        return cursor.rowcount


def full_run():
    from controlling.models import RunKind
    from controlling.services.runs import run_start

    run = run_start(kind=RunKind.FULL)
    run.refresh_from_db()
    return run


def run_check(run, goals: int) -> None:
    from controlling.models import RunState

    if run.state != RunState.FINISHED or run.errors or run.goals_done != goals:
        sys.exit(
            f"The run did not finish cleanly: {run.state}, {run.goals_done}/{goals} goals, "
            f"errors {run.errors}"
        )


def results_reset() -> None:
    """Back to "never computed": no results, states, deviations, runs, marks, nor the
    actuals a run computes (with their history rows)."""
    from django.db import connection

    from controlling import models

    tables = [
        model._meta.db_table
        for model in (
            models.GoalResult,
            models.GoalState,
            models.Deviation,
            models.DeviationComment,
            models.Notification,
            models.ControllingRun,
            models.ControllingRunChunk,
            models.RecomputeMark,
            models.Actual.history.model,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        cursor.execute(
            f"DELETE FROM {models.Actual._meta.db_table} WHERE source = %s",
            [models.ActualSource.COMPUTED],
        )


def compare() -> dict:
    """The engine's stored rows against the floor's snapshot: rows only one of them has,
    rows that differ (and in which columns), and an order-independent checksum of each."""
    from django.db import connection

    from controlling.services.engine import RESULT_FIELDS

    fingerprint = "concat_ws('|', goal_id, month, {})".format(", ".join(RESULT_FIELDS))
    differ = " OR ".join(f"f.{c} IS DISTINCT FROM r.{c}" for c in RESULT_FIELDS)
    per_column = ", ".join(
        f"count(*) FILTER (WHERE f.goal_id = r.goal_id AND f.{c} IS DISTINCT FROM r.{c})"
        for c in RESULT_FIELDS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FILTER (WHERE f.goal_id IS NULL),
                   count(*) FILTER (WHERE r.goal_id IS NULL),
                   count(*) FILTER (WHERE f.goal_id = r.goal_id AND ({differ})),
                   {per_column}
            FROM bench_floor f
            FULL JOIN controlling_goalresult r ON r.goal_id = f.goal_id AND r.month = f.month
            """
        )
        only_engine, only_floor, differing, *columns = cursor.fetchone()
        sums = []
        for table in ("bench_floor", "controlling_goalresult"):
            cursor.execute(
                f"SELECT count(*), coalesce(sum(hashtext({fingerprint})::bigint), 0) FROM {table}"
            )
            count, total = cursor.fetchone()
            sums.append(f"{count} rows, hash sum {total}")
    comparison = {
        "equal": only_engine == only_floor == differing == 0,
        "only_engine": only_engine,
        "only_floor": only_floor,
        "differing": differing,
        "floor_checksum": sums[0],
        "engine_checksum": sums[1],
    }
    if differing:
        comparison["differing_by_column"] = {
            column: count for column, count in zip(RESULT_FIELDS, columns, strict=True) if count
        }
    return comparison


class Recorder:
    """Times every SQL statement of the run (connection.execute_wrapper, no DEBUG needed)
    and the run's main steps, so the report shows where the time goes."""

    STEPS = (
        ("controlling.services.engine", "compute_goals"),
        ("controlling.services.computed", "computed_actuals_refresh"),
        ("controlling.services.alerts", "alerts_raise"),
        ("controlling.services.alerts", "notifications_email"),
        ("controlling.services.figures", "figures_refresh"),
    )

    def __init__(self):
        self.statements = defaultdict(lambda: [0, 0.0])
        self.steps = defaultdict(float)
        self.slowest = (0.0, "", None)
        self.patched = []

    def __enter__(self):
        import importlib

        from django.db import connection

        for module_name, name in self.STEPS:
            module = importlib.import_module(module_name)
            original = getattr(module, name, None)
            if original is not None:
                setattr(module, name, self.step(name, original))
                self.patched.append((module, name, original))
        self.wrapper = connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)
        for module, name, original in self.patched:
            setattr(module, name, original)

    def step(self, name, function):
        def timed_step(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.steps[name] += time.perf_counter() - started

        return timed_step

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            entry = self.statements[self.label(sql)]
            entry[0] += 1
            entry[1] += seconds
            if seconds > self.slowest[0]:
                self.slowest = (seconds, sql, params)

    @staticmethod
    def label(sql: str) -> str:
        words = " ".join(sql.split())
        if words.startswith('INSERT INTO "controlling_goalresult"'):
            kind = "qualitative" if "controlling_goalrating" in words else "quantitative"
            return f"GoalResult upsert ({kind})"
        if words.startswith('INSERT INTO "controlling_goalstate"'):
            return "GoalState upsert"
        return words[:60]

    def summary(self, total: float) -> dict:
        sql_seconds = sum(seconds for _count, seconds in self.statements.values())
        top = sorted(self.statements.items(), key=lambda item: -item[1][1])[:8]
        return {
            "statements": sum(count for count, _seconds in self.statements.values()),
            "sql_s": sql_seconds,
            "python_s": total - sql_seconds,
            "steps_s": dict(self.steps),
            "top": [
                {"statement": label, "count": count, "seconds": seconds}
                for label, (count, seconds) in top
            ],
            "slowest_sql": {"sql": self.slowest[1], "params": list(self.slowest[2] or [])},
        }


def explain(directory: Path, accounts: int, slowest: dict) -> None:
    """EXPLAIN (ANALYZE, BUFFERS), rolled back, of the run's slowest statement on the results
    as the runs left them, and of the floor on an empty results table (as timed)."""
    from django.db import connection, transaction

    directory.mkdir(parents=True, exist_ok=True)
    for name, sql, params in (
        ("engine-slowest", slowest["sql"], slowest["params"]),
        ("floor", FLOOR_SQL, []),
    ):
        if name == "floor":
            results_reset()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params or None)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
        path = directory / f"{accounts}-{name}.txt"
        path.write_text(f"{sql}\n\nparams: {params}\n\n{plan}\n")
        note(f"wrote {path}")


# --- the report --------------------------------------------------------------------------------


def report(results: list[dict]) -> None:
    rows = [
        (
            f"{r['accounts']:,}",
            f"{r['goal_months']:,}",
            f"{r['generate_s']:.1f}",
            f"{r['run_s']:.2f}",
            f"{r['floor_s']:.2f}",
            f"{r['run_s'] / r['floor_s']:.2f}x",
            f"{r['traced_peak_mib']:.1f}",
            f"{r['traced_peak_mib'] / (r['accounts'] / 1000):.2f}",
            f"{r['rss_delta_mib']:.1f}",
            f"{r['rerun_s']:.2f} / {r['floor_rerun_s']:.2f}",
            f"{r['chunk_s']['first']:.2f} / {r['chunk_s']['last']:.2f}",
            "yes" if r["comparison"]["equal"] else "NO",
        )
        for r in results
    ]
    header = (
        "accounts",
        "goal-months",
        "generate s",
        "run s",
        "floor s",
        "run/floor",
        "peak MiB",
        "MiB/1k acc.",
        "RSS +MiB",
        "re-run/floor s",
        "chunk s first/last",
        "same rows",
    )
    table(header, rows)
    print(
        "\nrun: controlling.services.runs.run_start(kind=full), Celery eager, every chunk of "
        f"{results[0]['chunk_size']} accounts in turn; floor: one INSERT ... SELECT ... "
        "ON CONFLICT.\npeak MiB: tracemalloc peak of Python allocations during a run (a "
        "separate, untimed run); RSS +MiB: growth of the process's maximum resident set "
        "size (getrusage ru_maxrss) during the timed run.\nre-run: the same run again on "
        "unchanged data, next to the floor statement again (both write nothing).\nchunk s: mean "
        "seconds of the first and of the last five chunks of the timed run."
    )
    for r in results:
        b = r["breakdown"]
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in b["steps_s"].items())
        print(
            f"\n{r['accounts']:,} accounts, {r['chunks']} chunks: {b['statements']} statements, "
            f"SQL {b['sql_s']:.2f} s, Python {b['python_s']:.2f} s; {steps}"
        )
        for entry in b["top"]:
            print(f"  {entry['seconds']:8.2f} s {entry['count']:6d}x  {entry['statement']}")
        if not r["comparison"]["equal"]:
            print(f"  ROWS DIFFER from the floor: {r['comparison']}")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(" | ".join(cell.rjust(width) for cell, width in zip(header, widths, strict=True)))
    print("-|-".join("-" * width for width in widths))
    for row in rows:
        print(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
