"""The nightly controlling run as a database periodic task (django-celery-beat), so that
administrators can move it in the admin; created once, never overwritten by a later deploy."""

import zoneinfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

NAME = "controlling-nightly-run"
TASK = "controlling.tasks.nightly_run"


def create_nightly_task(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    # 02:30 local time: after the ERP's nightly export, before anyone opens a dashboard.
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
    )
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        crontab=crontab,
        description="Refresh computed actuals, then compute every goal's deviations.",
    )
    # Historical models skip PeriodicTask.save(), which tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_nightly_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("controlling", "0004_run_chunks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_nightly_task, delete_nightly_task)]
