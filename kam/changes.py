"""The change number: it goes up whenever data a kept page shows may have changed.

A page that keeps its rendering (the leadership dashboard) puts the number in the key of what
it keeps, so a change to any of its inputs shows on the next request and nothing has to be
invalidated. The number is not raised by each feature that writes: every statement that
writes a watched table raises it (`watch`, an execute wrapper on every connection), so a
service, a bulk import, the controlling run, the Django admin and a raw `UPDATE` all count.

Watched are the tables of the project's apps (users, accounts, goals, controlling), except
the ones no kept page reads (`IGNORED`). A transaction raises the number at its first
watched write (and at the next one after each read of the number), so later reads in the
same transaction miss what was kept; and again after it commits, so that a page another
request computed from the data before the commit is never read again. A rolled-back
transaction only leaves a gap.

On PostgreSQL the number is a sequence: `nextval` never waits for another transaction, so
writers are not queued on it. On SQLite, which lets one writer in at a time anyway, it is
the row of `ChangeNumber`.
"""

import functools
import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

SEQUENCE = "kam_change_number"
APPS = ("kam", "accounts", "goals", "controlling")
# Tables no kept page reads, so their writes leave the number: sessions and notifications
# (the header's unread count is read live), history, bookkeeping, and what reaches the
# dashboard only through the controlling run (actuals, targets, ratings: the run writes
# results, states and figures, which are watched) or not at all (contacts, SWOT, templates,
# offerings). Entering actuals all day long thus keeps leadership's page until the run.
# tests/controlling/test_dashboard_kept.py renders every variant of the dashboard and fails
# when it reads one.
IGNORED = {
    "django_session",
    "kam_changenumber",
    "kam_user_groups",
    "kam_user_user_permissions",
    "accounts_interaction",
    "accounts_interaction_stakeholders",
    "accounts_marketstage",
    "accounts_portfoliocriterion",
    "accounts_portfolioscore",
    "accounts_portfolioscoring",
    "accounts_stakeholder",
    "controlling_actual",
    "controlling_actualimport",
    "controlling_actualimportchange",
    "controlling_controllingrun",
    "controlling_controllingrunchunk",
    "controlling_dashboardexport",
    "controlling_deviationcomment",
    "controlling_goalrating",
    "controlling_healthweights",
    "controlling_notification",
    "controlling_recomputemark",
    "goals_goal_stakeholders",
    "goals_goaltemplate",
    "goals_goaltemplateset",
    "goals_measure_goals",
    "goals_monthlytarget",
    "goals_offering",
    "goals_offering_components",
    "goals_productgroup",
    "goals_seasonalprofile",
    "goals_sellingposition",
    "goals_swotitem",
}
# An entry nobody reads for this long leaves the cache; a raised number never reads it.
TIMEOUT = 60 * 60

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_paused = False  # while migrations run: the sequence may not exist yet
# Marks set by name on Django's objects: on a connection, that the number was read in the
# current transaction; on a callback queued for after commit, that it raises the number.
_READ_MARK = "kam_change_read"
_CALLBACK_MARK = "kam_change"

T = TypeVar("T")


@functools.cache
def watched_tables() -> frozenset[str]:
    tables = frozenset(
        model._meta.db_table
        for name in APPS
        for model in apps.get_app_config(name).get_models(include_auto_created=True)
        if not (model._meta.model_name or "").startswith("historical")
    )
    return tables - IGNORED


def current(connection: BaseDatabaseWrapper | None = None) -> int:
    """The change number now. One query."""
    from django.db import connection as default

    connection = connection or default
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value FROM {SEQUENCE}")
        else:
            cursor.execute("SELECT number FROM kam_changenumber WHERE id = 1")
        row = cursor.fetchone()
    setattr(connection, _READ_MARK, True)
    return row[0] if row else 0


def bump(connection: BaseDatabaseWrapper | None = None) -> None:
    """Raise the number. `watch` does for every write; by hand only where data comes from
    outside the database."""
    from django.db import connection as default

    connection = connection or default
    connection.ensure_connection()
    # On the driver's own cursor: not a statement of the page or view that wrote, so it
    # neither passes through `watch` again nor counts in a test's query count.
    cursor = connection.connection.cursor()
    try:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        else:
            cursor.execute("UPDATE kam_changenumber SET number = number + 1 WHERE id = 1")
            if cursor.rowcount == 0:  # emptied by a flush (a transactional test's teardown)
                cursor.execute("INSERT INTO kam_changenumber (id, number) VALUES (1, 1)")
    finally:
        cursor.close()


def _raise_after_commit(connection: BaseDatabaseWrapper) -> Callable[[], None]:
    def after_commit() -> None:
        bump(connection)

    setattr(after_commit, _CALLBACK_MARK, True)
    return after_commit


def watch(execute, sql, params, many, context):
    """Execute wrapper: raise the number when `sql` wrote a watched table."""
    result = execute(sql, params, many, context)
    if _paused:
        return result
    match = _WRITE.match(sql)
    if match is None or match.group(1) not in watched_tables():
        return result
    connection = context["connection"]
    if not connection.in_atomic_block:
        bump(connection)
        return result
    first = not any(getattr(f, _CALLBACK_MARK, False) for _s, f, _r in connection.run_on_commit)
    if first or getattr(connection, _READ_MARK, False):
        # Again after a read in this transaction: what it kept showed none of these writes.
        bump(connection)
        setattr(connection, _READ_MARK, False)
    if first:
        transaction.on_commit(_raise_after_commit(connection), using=connection.alias, robust=True)
    return result


def connection_created_receiver(sender, connection, **kwargs) -> None:
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def pre_migrate_receiver(**kwargs) -> None:
    global _paused
    _paused = True


def post_migrate_receiver(**kwargs) -> None:
    global _paused
    _paused = False


@functools.cache
def _code() -> str:
    """A digest of the code, templates and catalogues this process serves."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder in (*APPS, "templates", "locale"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".mo") and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def release() -> str:
    """What this process serves: its code and the app's settings. A cache shared by several
    processes (Redis) keeps entries across a deploy; none of another release is read."""
    names = sorted(name for name in dir(settings) if name.startswith("KAM_"))
    kam_settings = [(name, getattr(settings, name)) for name in names]
    return hashlib.sha256(f"{_code()}{kam_settings!r}".encode()).hexdigest()


def setting_changed_receiver(**kwargs) -> None:
    release.cache_clear()


def remembered(name: str, version: str, compute: Callable[[], T], *inputs) -> T:
    """`compute()`, or what it returned before for this name, version and inputs (and the
    active language and the release). `version`: what says the inputs' data is unchanged,
    e.g. the change number. Values are kept in Django's cache for `TIMEOUT` after their last
    write."""
    raw = repr((name, version, inputs, get_language(), release()))
    key = "kam:kept:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
