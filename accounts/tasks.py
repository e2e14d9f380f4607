from celery import shared_task

from . import services


# A mail server that is briefly away (SMTP errors are OSErrors) is worth a few retries.
@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=60)
def send_contact_reminders() -> int:
    return services.contact_reminders_send()
