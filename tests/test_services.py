"""Tests against the real services: PostgreSQL and a Celery worker on Redis."""

from datetime import timedelta

from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.tasks import send_contact_reminders
from tests import factories


def test_suite_runs_on_postgresql(postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


def test_an_eager_run_before_does_not_break_the_real_worker(db):
    # Runs first in this module: an eager call caches "no result backend" on this thread.
    assert send_contact_reminders.delay().get() == 0


def test_a_real_worker_sends_contact_reminders(celery_worker):
    owner = factories.UserFactory(username="worker-owner", email="owner@example.com")
    account = factories.KeyAccountFactory(owner=owner)
    stale = factories.StakeholderFactory(account=account, name="Jens Albrecht")
    factories.InteractionFactory(
        account=account,
        stakeholders=[stale],
        date=timezone.localdate() - timedelta(days=stale.contact_interval_days + 1),
    )

    result = send_contact_reminders.delay()

    assert result.get(timeout=30) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    assert "Jens Albrecht" in mail.outbox[0].body
