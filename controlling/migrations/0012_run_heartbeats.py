"""Heartbeats on a run's chunks, one full run at a time, and the reconciler as a database
periodic task (django-celery-beat), every five minutes; created once, never overwritten by a
later deploy, so an interval changed in the admin stays changed."""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

NAME = "controlling-reconcile"
TASK = "controlling.tasks.reconcile"


def fail_extra_full_runs(apps, schema_editor):
    """Before the constraint: of several active full runs, keep the newest."""
    ControllingRun = apps.get_model("controlling", "ControllingRun")
    active = ControllingRun.objects.filter(
        kind__in=["full", "nightly"], state__in=["queued", "running"]
    ).order_by("-created_at", "-pk")
    extra = list(active.values_list("pk", flat=True)[1:])
    ControllingRun.objects.filter(pk__in=extra).update(state="failed", finished_at=timezone.now())


def create_reconcile_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    # Every five minutes: a lost chunk or a mark no run took is repaired within minutes.
    every, _created = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=every,
        description="Queue lost chunks again and run accounts whose marks no run has taken.",
    )
    # Historical models skip PeriodicTask.save(), which tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_reconcile_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('controlling', '0011_delete_figuresversion'),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='controllingrunchunk',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last heartbeat'),
        ),
        migrations.AddField(
            model_name='controllingrunchunk',
            name='queued_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='queued'),
        ),
        migrations.AddField(
            model_name='controllingrunchunk',
            name='requeued',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='queued again'),
        ),
        migrations.RunPython(fail_extra_full_runs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='controllingrun',
            constraint=models.UniqueConstraint(models.Value(1), condition=models.Q(('kind__in', ['full', 'nightly']), ('state__in', ['queued', 'running'])), name='controllingrun_one_full_run'),
        ),
        migrations.RunPython(create_reconcile_task, delete_reconcile_task),
    ]
