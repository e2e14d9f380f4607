"""/health/ for load balancers: 200 when the database and broker answer, 503 otherwise."""

import pytest
from django.db import OperationalError, connection

from kam import health
from kam.celery import app
from tests.conftest import TEST_BROKER_URL, redis_reachable, require_service

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


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


def test_it_reports_healthy_with_database_and_eager_broker(client, db):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "detail": connection.vendor}
    assert body["checks"]["broker"] == {"ok": True, "detail": "eager (no broker configured)"}


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
    assert body["checks"]["broker"]["ok"] is True


def test_it_returns_503_when_the_configured_broker_is_unreachable(client, db, broker):
    broker(UNREACHABLE_BROKER)

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False


def test_it_reports_a_reachable_broker(client, db, broker):
    require_service("Redis", redis_reachable(TEST_BROKER_URL), f"no broker at {TEST_BROKER_URL}")
    broker(TEST_BROKER_URL)

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "redis"}


def test_only_get_is_allowed(client, db):
    assert client.post("/health/").status_code == 405
