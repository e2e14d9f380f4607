from celery import shared_task

from . import services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=300)
def send_contact_reminders() -> int:
    return services.contact_reminders_send()
