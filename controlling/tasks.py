"""The controlling run's tasks: thin wrappers around controlling.services.runs.

Each acknowledges late and is rejected when its worker is lost, so a killed worker's task
is delivered again; each is idempotent, so that second delivery just repeats the work."""

import logging
from typing import Any

from celery import Task, shared_task

from controlling.services import alerts, notifications, runs
from controlling.services.exports import dashboard_export_build

logger = logging.getLogger(__name__)


class ChunkTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are used up or for an error not worth retrying: the run
        # records it, and the chunk's accounts keep their marks for the next run.
        chunk_id = kwargs["chunk_id"] if "chunk_id" in kwargs else args[0]
        try:
            runs.chunk_fail(chunk_id=chunk_id, error=exc)
        except Exception:
            logger.exception("Could not record the failure of controlling chunk %s", chunk_id)


# No result: nothing waits for a chunk (its run counts it), and a web process that queues one
# would otherwise subscribe to the result store first.
@shared_task(
    base=ChunkTask,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=runs.TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=5,  # seconds: 5, 10, 20, 40, 80, with jitter
    retry_backoff_max=300,
    retry_jitter=True,
)
def compute_chunk(chunk_id: int) -> int:
    return runs.chunk_run(chunk_id=chunk_id)


# The options of the scheduled jobs: a transient error is retried three times, then the job
# waits for its next turn.
SCHEDULED: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": runs.TRANSIENT_ERRORS,
    "max_retries": 3,
    "retry_backoff": 60,  # seconds: 60, 120, 240, with jitter
}


# Scheduled by the periodic task "controlling-nightly-run" (django-celery-beat, 02:30 by
# default, created by migration controlling/0005 and changeable in the admin).
@shared_task(**SCHEDULED)
def nightly_run() -> int:
    return runs.nightly_run().pk


# Scheduled by the periodic task "controlling-escalate-deviations" (django-celery-beat, daily
# at 07:00 by default, created by migration controlling/0006 and changeable in the admin).
# Escalation claims its rows, so a second delivery escalates nothing twice.
@shared_task(**SCHEDULED)
def escalate_deviations() -> int:
    escalated = alerts.deviations_escalate()
    alerts.notifications_email()  # alert mails that failed before
    return escalated


# Scheduled by the periodic task "controlling-measure-reminders" (django-celery-beat, daily
# at 06:45 by default, created by migration controlling/0014 and changeable in the admin).
# Idempotent: one notification per measure, kind and due date.
@shared_task(**SCHEDULED)
def remind_measures() -> int:
    return alerts.measures_remind()


# Scheduled by the periodic task "controlling-notification-digest" (django-celery-beat, daily
# at 17:30 by default, created by migration controlling/0014 and changeable in the admin).
# The digest claims its rows first, so a second delivery mails nothing twice.
@shared_task(**SCHEDULED)
def send_notification_digest() -> int:
    return notifications.notifications_digest_send()


# Queued by controlling.services.exports.dashboard_export_request once its transaction commits.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_dashboard_export(export_id: int) -> str:
    return dashboard_export_build(export_id)


# Scheduled by the periodic task "controlling-reconcile" (django-celery-beat, every five
# minutes by default, created by migration controlling/0012 and changeable in the admin).
# It claims what it repairs, so two at once (or a second delivery) repair nothing twice.
@shared_task(**SCHEDULED)
def reconcile() -> dict[str, int]:
    return runs.runs_reconcile()
