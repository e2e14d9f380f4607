"""Reachability of what the app depends on, for load balancers and monitoring."""

from django.conf import settings
from django.db import connection

from kam.celery import app


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; the text goes to the report
        return False, exc.__class__.__name__
    return True, connection.vendor


def broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager (no broker configured)"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return False, exc.__class__.__name__
    return True, app.conf.broker_url.split("://", 1)[0]
