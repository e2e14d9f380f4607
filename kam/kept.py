"""Kept values: what a page computes from the database, kept in Django's cache until one of the
tables it reads is written.

1. Every table of the apps that declare `unkept_models` in their AppConfig has a version, but
   those models' (tables no kept page reads) and simple-history's.
2. Every statement that writes a watched table raises its version (`watch`, an execute wrapper
   on every connection, finds INSERT, UPDATE, DELETE, MERGE, TRUNCATE and COPY anywhere in the
   statement): services, bulk writes, raw SQL, the admin and the controlling run all count.
3. In autocommit the version goes up at once; in a transaction once it has committed (each
   writing statement registers an on_commit callback, the first to run raises them all), so a
   page another request computed from the data before is never read again. Django drops the
   callbacks of a rolled-back transaction or savepoint: they raise nothing.
4. Until then the transaction reads the tables it wrote under versions of its own (its written
   statements counted), so it sees its own writes and nobody else sees its uncommitted pages.
5. `value(name, compute, tables=..., inputs=...)` keeps `compute()` in Django's cache under the
   name, the inputs, the versions of the tables it reads, the language and the release.
6. Nothing is ever invalidated: a raised version is a new key, unread entries expire.

PostgreSQL keeps a version in a sequence per table, and one more (`_all`) that every write
raises for the values kept on all tables (`nextval` never waits for another transaction, so
writers are not queued); SQLite in rows of `kam_tableversion`.
"""

import functools
import hashlib
import re
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name
from django.utils.translation import get_language
from simple_history.models import HistoricalChanges

ALL = "all watched tables"
# An entry nobody reads for this long leaves the cache; a raised version never reads it.
TIMEOUT = 60 * 60

T = TypeVar("T")

# A table name as written: bare, "quoted" or `quoted`, maybe after a schema.
_NAME = r'(?:(?:"[^"]+"|`[^`]+`|\w+)\s*\.\s*)?(?:"[^"]+"|`[^`]+`|\w+)'
# Every statement that writes rows, wherever it stands (a WITH's data-modifying parts).
_WRITE = re.compile(
    rf"""
    \b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)
        \s+(?:ONLY\s+)?(?P<one>{_NAME})
    | \bTRUNCATE\s+(?:TABLE\s+)?
        (?P<list>(?:ONLY\s+)?{_NAME}\s*\*?(?:\s*,\s*(?:ONLY\s+)?{_NAME}\s*\*?)*)
    | \bCOPY\s+(?P<copied>{_NAME})\s*(?:\([^)]*\)\s*)?FROM\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_BARE = re.compile(r'(?:"([^"]+)"|`([^`]+)`|(\w+))\s*\*?\s*$')
# A statement that starts by writing writes only that table (a WITH's writing parts stand
# before its main statement), so the rest of a bulk insert's long text needs no scan.
_WRITING_HEAD = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|REPLACE)\b", re.I)
# Raised with every write: the one version a value kept on ALL reads.
EVERY = "_all"

_paused = False  # while migrations run: a new table has no version yet


# --- what is watched ----------------------------------------------------------------------------


def _tables_of(config, names: Iterable[str]) -> set[str]:
    """`Model` or `Model.m2m_field` (its auto-created through table) of an app."""
    tables = set()
    for name in names:
        model_name, _dot, field = name.partition(".")
        model = config.get_model(model_name)
        if field:
            model = model._meta.get_field(field).remote_field.through
        tables.add(model._meta.db_table)
    return tables


@functools.cache
def watched_tables() -> frozenset[str]:
    """The tables of every app whose config declares `unkept_models`, less those models and
    the historical tables."""
    tables: set[str] = set()
    for config in apps.get_app_configs():
        unkept = getattr(config, "unkept_models", None)
        if unkept is None:
            continue
        tables |= {
            model._meta.db_table
            for model in config.get_models(include_auto_created=True)
            if not issubclass(model, HistoricalChanges)
        } - _tables_of(config, unkept)
    return frozenset(tables)


def table_names(tables) -> list[str]:
    """`ALL`, or models and table names, as sorted table names; each must be watched, or a
    value kept on it would never see its writes."""
    if tables == ALL:
        return sorted(watched_tables())
    names = {t if isinstance(t, str) else t._meta.db_table for t in tables}
    if unwatched := names - watched_tables():
        raise ValueError(f"Not watched, so never raised: {sorted(unwatched)}")
    return sorted(names)


def written_tables(sql: str) -> set[str]:
    """The tables a statement writes, as far as its text tells (more rather than fewer)."""
    if sql.lstrip()[:6].upper() == "SELECT":
        return set()
    if _WRITING_HEAD.match(sql) and ";" not in sql.rstrip().rstrip(";"):
        matches = [m] if (m := _WRITE.match(sql.lstrip())) else []
    else:  # WITH, several statements, anything else: everywhere
        matches = list(_WRITE.finditer(sql))
    tables = set()
    for match in matches:
        names = match["one"] or match["copied"] or match["list"]
        for name in names.split(",") if match["list"] else [names]:
            bare = _BARE.search(name.strip())
            if bare:
                tables.add(next(part for part in bare.groups() if part).lower())
    return tables


# --- versions -----------------------------------------------------------------------------------


def _sequence(connection: BaseDatabaseWrapper, table: str) -> str:
    return truncate_name(f"kam_version_{table}", connection.ops.max_name_length())


def raise_versions(tables, using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise the versions of `tables` (`ALL`, models or names) now. `watch` does for every
    write; by hand only for data that changes outside the database."""
    _raise(connections[using], table_names(tables))


def _raise(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> None:
    tables = sorted(tables)
    if not tables:
        return
    tables.append(EVERY)
    connection.ensure_connection()
    # On the driver's own cursor: not a statement of the page or service that wrote, so it
    # neither passes through `watch` again nor counts in a test's query count.
    cursor = connection.connection.cursor()
    try:
        if connection.vendor == "postgresql":
            calls = ", ".join(f"nextval('{_sequence(connection, t)}')" for t in tables)
            cursor.execute(f"SELECT {calls}")
        else:
            cursor.executemany(
                "INSERT INTO kam_tableversion (name, number) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET number = number + 1",
                [(t,) for t in tables],
            )
    finally:
        cursor.close()


def _version_names(tables) -> list[str]:
    """What a value kept on `tables` reads: for ALL the one version every write raises
    (a sixth of the time of reading each table's)."""
    return [EVERY] if tables == ALL else table_names(tables)


def versions(tables=ALL, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The committed versions of `tables` (models or names; for `ALL` the one that every write
    raises). One query."""
    return _read(connections[using], _version_names(tables))


def _read(connection: BaseDatabaseWrapper, tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s, last_value FROM {_sequence(connection, t)}" for t in tables
                ),
                tables,
            )
        else:
            places = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, number FROM kam_tableversion WHERE name IN ({places})", tables
            )
        found = dict(cursor.fetchall())
    return {table: found.get(table, 0) for table in tables}


# --- writes -------------------------------------------------------------------------------------


class _Pending:
    """What the open transaction of a connection wrote: its tables, with how many statements
    wrote each, under an id of its own, and the callbacks that raise them after its commit
    (held weakly: Django drops those of a rolled-back transaction or savepoint)."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.writes: Counter[str] = Counter()
        self.callbacks: weakref.WeakSet[Callable[[], None]] = weakref.WeakSet()
        self.done = False

    def after_commit(self, connection: BaseDatabaseWrapper) -> Callable[[], None]:
        def after_commit() -> None:
            if not self.done:  # the first of the transaction's callbacks raises them all
                self.done = True
                _raise(connection, self.writes)

        self.callbacks.add(after_commit)
        return after_commit


_pending: "weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Pending]" = weakref.WeakKeyDictionary()


def pending(connection: BaseDatabaseWrapper) -> _Pending | None:
    """What the connection's open transaction wrote and has not yet raised, if anything."""
    state = _pending.get(connection) if connection.in_atomic_block else None
    # No callback left: its writes were rolled back.
    return state if state is not None and not state.done and state.callbacks else None


def _written(connection: BaseDatabaseWrapper, tables: set[str]) -> None:
    state = pending(connection)
    if state is None:
        state = _pending[connection] = _Pending()
    state.writes.update(tables)
    # One callback per statement, registered where it ran: whichever savepoints roll back,
    # a statement that stays has its callback, and the first to run raises every table.
    transaction.on_commit(state.after_commit(connection), using=connection.alias, robust=True)


def watch(execute, sql, params, many, context):
    """Execute wrapper: raise the versions of the watched tables `sql` wrote."""
    result = execute(sql, params, many, context)
    if _paused:
        return result
    tables = written_tables(sql if isinstance(sql, str) else str(sql)) & watched_tables()
    if not tables:
        return result
    connection = context["connection"]
    if connection.in_atomic_block:
        _written(connection, tables)
    else:
        _raise(connection, tables)
    return result


def connection_created_receiver(sender, connection, **kwargs) -> None:
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def pre_migrate_receiver(**kwargs) -> None:
    global _paused
    _paused = True


def post_migrate_receiver(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After migrations (and a flush): every watched table has its sequence, and every
    version goes up, for whatever the migrations wrote while `watch` was paused."""
    global _paused
    _paused = False
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in [EVERY, *sorted(watched_tables())]:
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_sequence(connection, table)}")
    elif "kam_tableversion" not in connection.introspection.table_names():
        return  # kam not migrated yet
    _raise(connection, watched_tables())


# --- kept values --------------------------------------------------------------------------------


@functools.cache
def _code() -> str:
    """A digest of the code, templates and catalogues this process serves."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    folders = [
        Path(config.path) for config in apps.get_app_configs() if hasattr(config, "unkept_models")
    ]
    for folder in (*folders, root / "templates", root / "locale"):
        for path in sorted(folder.rglob("*")):
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


def value(
    name: str,
    compute: Callable[[], T],
    *,
    tables: str | Iterable[type[models.Model] | str] = ALL,
    inputs: Mapping[str, object] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> T:
    """`compute()`, or what it returned before for this name and these inputs while none of
    `tables` (`ALL` or the models it reads) was written; per language and release. `inputs`:
    everything else the value depends on, normalised by the caller (their repr is the key).
    Reads the versions in one query."""
    connection = connections[using]
    now = _read(connection, _version_names(tables))
    state = pending(connection)
    if state is not None:
        # Own writes count: a version of this transaction's own, seen by nobody else.
        writes = {**state.writes, EVERY: state.writes.total()}
        versions: dict[str, object] = {
            t: (v, state.id, writes[t]) if writes.get(t) else v for t, v in now.items()
        }
    else:
        versions = dict(now)
    raw = repr((name, sorted((inputs or {}).items()), versions, get_language(), release()))
    key = "kam:kept:" + hashlib.sha256(raw.encode()).hexdigest()
    kept = cache.get(key)
    if kept is None:
        kept = compute()
        cache.set(key, kept, TIMEOUT)
    return kept
