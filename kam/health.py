"""Reachability of what the app depends on, for load balancers and monitoring.

Each check answers (ok, detail). The database and the cache are critical: a web process that
cannot reach them fails the requests that use them, so /health/ answers 503 and a load
balancer should stop sending it traffic. The broker and the workers are not: without them
the pages still work and background work waits (what must be computed again is marked in the
database, see "The controlling run" in docs/operations.md), so /health/ reports them as
"degraded" with 200, for monitoring to alert on, rather than have a load balancer take every
web process out because Redis restarts or all workers are busy.
"""

import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from kam.celery import app

EAGER = "eager (no broker configured)"


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; the text goes to the report
        return False, exc.__class__.__name__
    return True, connection.vendor


def cache_ok() -> tuple[bool, str]:
    """Writes, reads back and deletes a key of its own, so concurrent probes do not meet."""
    key = f"kam:health:{uuid.uuid4().hex}"
    cache = caches["default"]
    try:
        cache.set(key, "ok", timeout=10)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        return False, exc.__class__.__name__
    if value != "ok":
        return False, "value not read back"
    return True, cache.__class__.__name__


def broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, EAGER
    try:
        # One attempt, no retry: a refused connection answers at once, a silent host after 1 s.
        with app.connection_for_write(connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
    except Exception as exc:
        return False, exc.__class__.__name__
    return True, app.conf.broker_url.split("://", 1)[0]


def workers_ok(*, broker_reachable: bool) -> tuple[bool, str]:
    """Whether at least one Celery worker answers a ping within half a second."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager"
    if not broker_reachable:
        return False, "not asked: broker unreachable"
    try:
        replies = app.control.ping(timeout=0.5)
    except Exception as exc:
        return False, exc.__class__.__name__
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} answered"


def report() -> tuple[str, dict[str, dict[str, object]]]:
    """The overall status ("ok", "degraded" or "unavailable") and each check's answer."""
    checks: dict[str, dict[str, object]] = {}
    for name, check in (("database", database_ok), ("cache", cache_ok), ("broker", broker_ok)):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    ok, detail = workers_ok(broker_reachable=bool(checks["broker"]["ok"]))
    checks["workers"] = {"ok": ok, "detail": detail}
    if not (checks["database"]["ok"] and checks["cache"]["ok"]):
        return "unavailable", checks
    if not (checks["broker"]["ok"] and checks["workers"]["ok"]):
        return "degraded", checks
    return "ok", checks
