#!/usr/bin/env python
"""Benchmark of the dashboards over HTTP, against a framework floor, on PostgreSQL.

    .venv/bin/python bench/dashboard.py --accounts 1000 10000

For each number of accounts: generate the portfolio (bench/data.py, then bench/dashboard_data.py
for what the dashboards read besides goals and actuals), compute a year of results with the
real controlling run (controlling.services.runs.run_start(kind=full), Celery eager: engine and
alerts_raise per chunk), age the deviations it opened, then start gunicorn (one sync worker,
as pinned in pyproject.toml) and time each page with logged-in sessions of a leadership user
and of a key account manager: the leadership dashboard unfiltered, filtered by tier and region,
its htmx partial, the same dashboard as a manager sees it, the manager home and the dashboard's
export page, next to the floor -- `/`, a login-required view that only redirects (session,
user and the whole middleware stack, no query of its own) -- and `/health/` (no session).

Pages are requested in turn, round after round, so load from elsewhere on the machine hits
all of them alike. The server time of a request is gunicorn's own (access log `%(D)s`, from
reading the request to having written the response). Query counts come from one in-process
request per page through Django's test client with a connection.execute_wrapper (no DEBUG).

The database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/kam_bench_dash) is
dropped, created and migrated; its name must contain "bench". See bench/README.md.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from controlling.services import exports

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and bench/controlling.py would
# stand in for the `controlling` app; the project root takes its place.
sys.path[0] = str(ROOT)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kam_bench_dash"
FILTERED = "?tier=key&region=DE"
LEADER, MANAGER = "bench_leader", "bench_kam_1"


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str
    user: str  # LEADER, MANAGER or "" (no session)
    headers: dict = field(default_factory=dict)
    # What happens before each request: "write" raises the version of the plans, as a plan
    # edit does, so the page is computed again from the whole-portfolio figures it keeps;
    # "run" raises every version, as a run's chunk does, so it computes those as well.
    before: str = ""


def before_request(page: Page) -> None:
    from goals.models import AccountPlan
    from kam import kept

    if page.before == "write":
        kept.raise_versions([AccountPlan])
    elif page.before == "run":
        kept.raise_versions(kept.ALL)


def pages() -> list[Page]:
    from django.urls import reverse

    dashboard = reverse("controlling:dashboard")
    return [
        Page("floor", "floor: / (login required, redirects)", reverse("home"), LEADER),
        Page("health", "/health/ (no session)", reverse("health"), ""),
        Page("dashboard", "leadership dashboard", dashboard, LEADER),
        Page("after_write", "  first request after a write", dashboard, LEADER, before="write"),
        Page("after_run", "  first request after a run", dashboard, LEADER, before="run"),
        Page("filtered", "  filtered: tier + region", dashboard + FILTERED, LEADER),
        Page(
            "partial",
            "  htmx partial, filtered",
            dashboard + FILTERED,
            LEADER,
            {"HX-Request": "true"},
        ),
        Page("manager_dashboard", "dashboard as a manager", dashboard, MANAGER),
        Page("home", "manager home", reverse("controlling:home"), MANAGER),
        Page("export", "dashboard export page", reverse("controlling:dashboard_export"), LEADER),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the database when it already holds that many accounts with computed results",
    )
    parser.add_argument("--only", nargs="+", metavar="PAGE", help="time only these pages")
    parser.add_argument("--profile", action="store_true", help="print each page's slowest SQL")
    parser.add_argument("--explain", metavar="DIR", help="EXPLAIN ANALYZE the slowest SQL")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing database {name!r}: the benchmark's database name contains 'bench'.")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": "benchmark-only-not-secret",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "CELERY_BROKER_URL": "",  # Celery eager: the run's chunks execute in this process
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    from bench.controlling import database_create

    if args.reuse_data and database_exists(url):
        manage("migrate", "--skip-checks")
    else:
        started = time.perf_counter()
        database_create(url)
        note(f"database {name} created and migrated in {time.perf_counter() - started:.1f} s")
    manage("collectstatic", "--noinput")

    import django

    django.setup()
    # Stopped from outside, still stop the server (the finally in http_timings).
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit("terminated"))
    results = []
    for accounts in args.accounts:
        results.append(measure(accounts, args))
        report(results[-1:], args)
    report_notes()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")


def manage(*command: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=ROOT, check=True
    )


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]
        ).fetchone()
    return found is not None


# --- the data --------------------------------------------------------------------------------


def prepare(accounts: int, args: argparse.Namespace) -> dict:
    from accounts.models import KeyAccount
    from bench import dashboard_data, data
    from controlling.models import GoalState, RunKind, RunState
    from controlling.services.runs import run_start
    from kam.fiscal import fiscal_year_for

    fiscal_year = fiscal_year_for(datetime_today())
    if args.reuse_data and KeyAccount.objects.count() == accounts and GoalState.objects.exists():
        note(f"\n== {accounts} accounts (reused) ==")
        return {"reused": True, "fiscal_year": fiscal_year}
    note(f"\n== {accounts} accounts ==")
    figures: dict = {"reused": False, "fiscal_year": fiscal_year}
    data.reset()
    dashboard_data.reset()
    dataset = data.generate(accounts=accounts, fiscal_year=fiscal_year)
    figures["generate_s"] = dataset.total_seconds
    note(
        f"generated {dataset.goals} goals and {dataset.targets} targets "
        f"in {dataset.total_seconds:.0f} s"
    )
    steps = dashboard_data.enrich(fiscal_year=fiscal_year)
    figures["enrich_s"] = sum(steps.values())
    note(f"enriched in {figures['enrich_s']:.0f} s: {steps}")

    started = time.perf_counter()
    run = run_start(kind=RunKind.FULL)
    run.refresh_from_db()
    figures["run_s"] = time.perf_counter() - started
    if run.state != RunState.FINISHED or run.errors:
        sys.exit(f"The controlling run did not finish cleanly: {run.state} {run.errors}")
    note(f"controlling run: {run.goals_done} goals in {figures['run_s']:.0f} s")
    figures["aged"] = dashboard_data.age(fiscal_year=fiscal_year)
    note(f"deviations aged: {figures['aged']}")
    return figures


def datetime_today():
    from django.utils import timezone

    return timezone.localdate()


def inventory() -> dict[str, int]:
    """What the pages read, counted."""
    from accounts.models import KeyAccount, Site, Stakeholder
    from controlling.models import Deviation, GoalResult, GoalState, Notification
    from goals.models import AccountPlan, Goal, Measure, PlanStatus, SellingPosition

    return {
        "accounts": KeyAccount.objects.count(),
        "sites": Site.objects.count(),
        "plans": AccountPlan.objects.count(),
        "submitted plans": AccountPlan.objects.filter(status=PlanStatus.SUBMITTED).count(),
        "goals": Goal.objects.count(),
        "goal results": GoalResult.objects.count(),
        "goal states": GoalState.objects.count(),
        "deviations": Deviation.objects.count(),
        "open deviations": Deviation.objects.filter(closed_at__isnull=True).count(),
        "notifications": Notification.objects.count(),
        "measures": Measure.objects.count(),
        "selling positions": SellingPosition.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
    }


# --- one number of accounts ------------------------------------------------------------------


def measure(accounts: int, args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.test import Client

    from accounts.models import KeyAccount
    from kam.models import User

    figures = {"accounts": accounts, **prepare(accounts, args)}
    figures["inventory"] = inventory()
    note(f"inventory: {figures['inventory']}")
    manager = User.objects.get(username=MANAGER)
    figures["manager_accounts"] = KeyAccount.objects.visible_to(manager).count()

    clients, cookies = {}, {}
    for username in (LEADER, MANAGER):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        clients[username] = client
        cookies[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    clients[""] = Client(HTTP_HOST="127.0.0.1")

    chosen = [p for p in pages() if not args.only or p.key in args.only or p.key == "floor"]
    figures["in_process"] = {
        page.key: in_process(clients[page.user], page, explain_dir=args.explain, accounts=accounts)
        for page in chosen
    }
    if any(page.key == "export" for page in chosen):
        figures["export_build_s"] = export_build(User.objects.get(username=LEADER))
    figures["http"] = http_timings(chosen, cookies, args)
    return figures


def export_build(user, repeat: int = 3) -> float:
    """Seconds the worker takes to write the dashboard workbook, unfiltered (the fastest of
    `repeat`): controlling.services.exports.dashboard_export, as build_dashboard_export calls it."""
    from django.http import QueryDict

    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        exports.dashboard_export(user=user, data=QueryDict(""))
        timings.append(time.perf_counter() - started)
    return min(timings)


class Statements:
    """Counts and times every SQL statement (connection.execute_wrapper: no DEBUG needed)."""

    def __init__(self):
        self.timings: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - started, sql, params))


def in_process(client, page: Page, *, explain_dir: str | None, accounts: int) -> dict:
    """One warm request through the test client: queries, SQL time, total time, size."""
    from django.db import connection

    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in page.headers.items()}
    client.get(page.path, **headers)  # warm: templates, translations, first connection
    before_request(page)
    statements = Statements()
    started = time.perf_counter()
    with connection.execute_wrapper(statements):
        response = client.get(page.path, **headers)
    total = time.perf_counter() - started
    if response.status_code not in (200, 302):
        sys.exit(f"{page.path} answered {response.status_code}")
    slowest = sorted(statements.timings, key=lambda t: -t[0])[:5]
    figures = {
        "status": response.status_code,
        "queries": len(statements.timings),
        "sql_s": sum(t[0] for t in statements.timings),
        "total_s": total,
        "bytes": len(response.content),
        "slowest": [{"s": s, "sql": " ".join(sql.split())[:300]} for s, sql, _p in slowest],
    }
    if explain_dir and slowest:
        seconds, sql, params = slowest[0]
        path = Path(explain_dir) / f"{accounts}-{page.key}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        path.write_text(f"{seconds:.3f} s\n{sql}\n\nparams: {params}\n\n{plan}\n")
    return figures


# --- over HTTP -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_timings(chosen: list[Page], cookies: dict[str, str], args: argparse.Namespace) -> dict:
    """Start gunicorn, request every page in turn for warm-up plus timed rounds, stop it, and
    read each request's server time from its access log."""
    from django.conf import settings

    port = args.port or free_port()
    log = Path(tempfile.mkdtemp(prefix="kam_bench_dash_")) / "access.log"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "kam.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "600",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%({x-bench-page}i)s %({x-bench-round}i)s %(s)s %(D)s %(B)s",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    client_seconds: dict[str, list[float]] = defaultdict(list)
    try:
        wait_for(port)
        rounds = args.warmup + args.requests
        # Pages that raise versions go last, in rounds of their own: a raise before
        # any other page would make that page compute what it otherwise reads kept.
        groups = [[p for p in chosen if not p.before], [p for p in chosen if p.before]]
        for group, number in ((g, n) for g in groups if g for n in range(rounds)):
            for page in group:
                headers = {"X-Bench-Page": page.key, "X-Bench-Round": str(number), **page.headers}
                if page.user:
                    headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookies[page.user]}"
                before_request(page)
                started = time.perf_counter()
                status, _size = get(port, page.path, headers)
                if number >= args.warmup:
                    client_seconds[page.key].append(time.perf_counter() - started)
                if status not in (200, 302):
                    sys.exit(f"{page.path} answered {status} over HTTP")
            if number == args.warmup - 1 or (number + 1) % 10 == 0:
                note(f"round {number + 1}/{rounds}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_seconds: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, int] = {}
    for line in log.read_text().splitlines():
        key, number, _status, micros, size = line.split()
        if key != "-" and int(number) >= args.warmup:  # "-": the start-up probe
            server_seconds[key].append(int(micros) / 1e6)
            sizes[key] = int(size)
    return {
        page.key: {
            "label": page.label,
            "server": summary(server_seconds[page.key]),
            "client": summary(client_seconds[page.key]),
            "bytes": sizes.get(page.key, 0),
        }
        for page in chosen
    }


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(port, "/health/", {})
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def get(port: int, path: str, headers: dict) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        # With 30 samples the 95th percentile lies between the 28th and the 29th slowest.
        "p95": statistics.quantiles(ordered, n=100, method="inclusive")[94],
        "max": ordered[-1],
    }


# --- the report ------------------------------------------------------------------------------


def report(results: list[dict], args: argparse.Namespace) -> None:
    for r in results:
        http = r["http"]
        floor = http["floor"]["server"]
        inventory_line = ", ".join(f"{k} {v:,}" for k, v in r["inventory"].items())
        print(f"\n{r['accounts']:,} accounts (FY {r['fiscal_year']}): {inventory_line}")
        print(
            f"manager {MANAGER} sees {r['manager_accounts']} accounts; "
            f"{args.requests} timed requests per page after {args.warmup} warm-up rounds"
        )
        rows = []
        for key, figures in http.items():
            server, client = figures["server"], figures["client"]
            process = r["in_process"][key]
            rows.append(
                (
                    figures["label"],
                    f"{server['median'] * 1000:.1f}",
                    f"{server['p95'] * 1000:.1f}",
                    f"{server['p95'] / floor['p95']:.1f}x",
                    f"{client['median'] * 1000:.1f}",
                    str(process["queries"]),
                    f"{process['sql_s'] * 1000:.1f}",
                    f"{figures['bytes'] / 1024:.0f}",
                )
            )
        header = (
            "page",
            "median ms",
            "p95 ms",
            "p95/floor",
            "client ms",
            "queries",
            "SQL ms",
            "KiB",
        )
        table(header, rows)
        if "export_build_s" in r:
            print(
                f"dashboard workbook, written by the worker (unfiltered, fastest of 3): "
                f"{r['export_build_s']:.2f} s"
            )
        if args.profile:
            for key, process in r["in_process"].items():
                print(
                    f"\n{key}: {process['queries']} queries, SQL {process['sql_s'] * 1000:.1f} ms "
                    f"of {process['total_s'] * 1000:.1f} ms in process"
                )
                for entry in process["slowest"]:
                    print(f"  {entry['s'] * 1000:8.1f} ms  {entry['sql'][:200]}")


def report_notes() -> None:
    print(
        "\nmedian, p95: gunicorn's time per request (1 sync worker), floor = the floor's p95; "
        "client ms: median at the client (connect, request, read);\nqueries, SQL ms: one "
        "in-process request through the test client; KiB: response body."
    )


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(
        " | ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(header)
        )
    )
    print("-|-".join("-" * width for width in widths))
    for row in rows:
        print(
            " | ".join(
                cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )


if __name__ == "__main__":
    main()
