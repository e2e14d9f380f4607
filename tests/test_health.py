"""/health/ for load balancers: 503 when the database or the cache fails; 200 "degraded" when
only the broker or the workers do, so busy workers never take the web out of the pool."""

import time

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection

from kam import health
from kam.celery import app
from tests.conftest import TEST_BROKER_URL, redis_reachable, require_service

# Nothing listens on port 1: connections are refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


class BrokenConnection:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError("connection refused")


@pytest.fixture
def broker(settings):
    """Point the Celery app at a broker for one test, and put the old one back."""
    saved = app.conf.broker_url
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def use(url: str) -> None:
        app.conf.broker_url = url

    yield use
    app.conf.broker_url = saved


def test_it_reports_healthy_with_database_cache_and_eager_celery(client, db):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": {"ok": True, "detail": connection.vendor},
        "cache": {"ok": True, "detail": caches["default"].__class__.__name__},
        "broker": {"ok": True, "detail": "eager (no broker configured)"},
        "workers": {"ok": True, "detail": "eager"},
    }


def test_it_is_never_cached(client, db):
    response = client.get("/health/")

    assert "no-cache" in response["Cache-Control"]


def test_it_needs_no_login(client, db):
    assert client.get("/health/").status_code == 200


def test_it_returns_503_when_the_database_does_not_answer(client, db, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "detail": "OperationalError"}
    assert body["checks"]["cache"]["ok"] is True


def test_it_returns_503_when_the_cache_backend_does_not_answer(client, db, settings):
    settings.CACHES = UNREACHABLE_CACHE

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"] == {"ok": False, "detail": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True


def test_it_returns_503_when_the_cache_loses_what_it_was_given(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "detail": "value not read back"}


def test_an_unreachable_broker_is_degraded_not_unavailable_and_answers_quickly(client, db, broker):
    broker(UNREACHABLE_BROKER)

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 2
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": False, "detail": "OperationalError"}
    assert body["checks"]["workers"] == {"ok": False, "detail": "not asked: broker unreachable"}


def test_a_reachable_broker_without_workers_is_degraded(client, db, broker):
    require_service("Redis", redis_reachable(TEST_BROKER_URL), f"no broker at {TEST_BROKER_URL}")
    broker(TEST_BROKER_URL)

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 2
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {"ok": True, "detail": "redis"}
    assert body["checks"]["workers"] == {"ok": False, "detail": "no worker answered"}


@pytest.mark.services
def test_a_running_worker_answers_and_makes_it_ok(client, celery_worker):
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["broker"] == {"ok": True, "detail": "redis"}
    assert body["checks"]["workers"] == {"ok": True, "detail": "1 answered"}
    assert body["status"] == "ok"


def test_only_get_is_allowed(client, db):
    assert client.post("/health/").status_code == 405
