"""Notifications about plans' workflow and measures' due dates, each person's choice of how
they are mailed, and the daily jobs as database periodic tasks (django-celery-beat), created
once and changeable in the admin."""

import zoneinfo

import django.db.models.deletion

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# name, task, hour, minute, description
JOBS = [
    # 06:45 local time: reminders are in the mailbox when the day starts.
    (
        "controlling-measure-reminders",
        "controlling.tasks.remind_measures",
        "6",
        "45",
        "Notify owners of measures due soon or overdue, once per measure and due date.",
    ),
    # 17:30 local time: at the end of the working day, with what the day brought.
    (
        "controlling-notification-digest",
        "controlling.tasks.send_notification_digest",
        "17",
        "30",
        "Mail each person one digest of the notifications they want daily.",
    ),
]


def create_jobs(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, hour, minute, description in JOBS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        )
        PeriodicTask.objects.create(
            name=name, task=task, crontab=crontab, description=description
        )
    # Historical models skip PeriodicTask.save(), which tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_jobs(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[job[0] for job in JOBS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('controlling', '0013_history_of_thresholds'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
        ('goals', '0006_history_of_selling_templates_frame_kpis'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('worsened', 'Status worsened'), ('escalated', 'Escalated'), ('plan_submitted', 'Plan submitted'), ('plan_returned', 'Plan returned'), ('plan_approved', 'Plan approved'), ('measure_due', 'Measure due soon'), ('measure_overdue', 'Measure overdue')], max_length=20, verbose_name='kind')),
                ('mode', models.CharField(choices=[('immediately', 'Immediately'), ('digest', 'Daily digest'), ('off', 'Off')], default='immediately', max_length=12, verbose_name='e-mail')),
            ],
            options={
                'verbose_name': 'notification preference',
                'verbose_name_plural': 'notification preferences',
            },
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_kind_valid',
        ),
        migrations.AddField(
            model_name='notification',
            name='due_date',
            field=models.DateField(blank=True, help_text="The measure's due date when notified.", null=True, verbose_name='due'),
        ),
        migrations.AddField(
            model_name='notification',
            name='measure',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='goals.measure', verbose_name='measure'),
        ),
        migrations.AddField(
            model_name='notification',
            name='transition',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='goals.plantransition', verbose_name='plan status change'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='deviation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='controlling.deviation', verbose_name='deviation'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('worsened', 'Status worsened'), ('escalated', 'Escalated'), ('plan_submitted', 'Plan submitted'), ('plan_returned', 'Plan returned'), ('plan_approved', 'Plan approved'), ('measure_due', 'Measure due soon'), ('measure_overdue', 'Measure overdue')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(fields=('recipient', 'transition', 'kind'), name='notification_once_per_transition'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(fields=('recipient', 'measure', 'kind', 'due_date'), name='notification_once_per_due_date'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('deviation__isnull', False), ('measure__isnull', True), ('transition__isnull', True)), models.Q(('deviation__isnull', True), ('measure__isnull', True), ('transition__isnull', False)), models.Q(('deviation__isnull', True), ('measure__isnull', False), ('transition__isnull', True)), _connector='OR'), name='notification_one_target'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['worsened', 'escalated', 'plan_submitted', 'plan_returned', 'plan_approved', 'measure_due', 'measure_overdue'])), name='notification_kind_valid'),
        ),
        migrations.AddField(
            model_name='notificationpreference',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preferences', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddConstraint(
            model_name='notificationpreference',
            constraint=models.UniqueConstraint(fields=('user', 'kind'), name='notification_preference_once'),
        ),
        migrations.AddConstraint(
            model_name='notificationpreference',
            constraint=models.CheckConstraint(condition=models.Q(('mode__in', ['immediately', 'digest', 'off'])), name='notification_mode_valid'),
        ),
        migrations.RunPython(create_jobs, delete_jobs),
    ]
