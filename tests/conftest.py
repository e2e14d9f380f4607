"""Shared fixtures: the five personas of every access test (with the anonymous visitor; see
tests/access.py), and the real services.

Service tests skip on a machine without PostgreSQL or Redis, and fail when CI=true, so CI
cannot go green by skipping them.
"""

import os

import pytest

from tests import factories

IN_CI = os.environ.get("CI") == "true"
TEST_BROKER_URL = os.environ.get("KAM_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def require_service(name: str, available: bool, reason: str) -> None:
    if available:
        return
    message = f"{name} needed: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true turns this skip into a failure)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rolled-back tests restart the versions of the
    tables on SQLite (kam.kept), so a key could otherwise match an earlier test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def owner(db):
    return factories.UserFactory(username="owner")


@pytest.fixture
def team_member(db):
    return factories.UserFactory(username="teammate")


@pytest.fixture
def outsider(db):
    return factories.UserFactory(username="outsider")


@pytest.fixture
def leadership(db):
    return factories.LeadershipFactory(username="leader")


@pytest.fixture
def administrator(db):
    return factories.AdminFactory(username="administrator")


@pytest.fixture
def user_of(request):
    """The user of a persona of tests.access.PERSONAS, by name (None for "anonymous")."""

    def user(persona: str):
        return None if persona == "anonymous" else request.getfixturevalue(persona)

    return user


@pytest.fixture
def login_as(client, user_of):
    """Log the test client in as a persona of tests.access.PERSONAS (out, for "anonymous");
    returns the persona's user."""

    def login(persona: str):
        user = user_of(persona)
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        return user

    return login


@pytest.fixture
def account(owner, team_member):
    account = factories.KeyAccountFactory(owner=owner, name="Nordwerk Antriebe")
    factories.TeamMemberFactory(account=account, user=team_member)
    return account


@pytest.fixture
def postgresql(db):
    """The suite's database when it is PostgreSQL (CI runs the whole suite on it)."""
    from django.db import connection

    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://..."
    )
    return connection


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A real Celery worker, in a thread, consuming from Redis.

    transactional_db because the worker reads through its own database connection and must
    see what the test committed.
    """
    require_service("Redis", redis_reachable(TEST_BROKER_URL), f"no broker at {TEST_BROKER_URL}")
    from celery.contrib.testing.worker import start_worker

    from kam.celery import app

    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=TEST_BROKER_URL,
        result_backend=TEST_BROKER_URL,
        task_always_eager=False,
        # A queue of this run's own, so two runs on one Redis never take each other's tasks.
        task_default_queue=f"kam-test-{os.getpid()}",
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Celery caches the result backend and the producer pool; an earlier eager test cached
    # them for "no broker", which would send this test's tasks to the default amqp host.
    forget_connections(app)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        forget_connections(app)


def forget_connections(app) -> None:
    app._local.__dict__.pop("backend", None)
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture(scope="session", autouse=True)
def no_session_left_on_the_test_database(django_db_setup, django_db_blocker):
    """At the end, close what threads of the suite left open on PostgreSQL's test database
    (a real worker's or a live server's connection), so that dropping it cannot fail."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
