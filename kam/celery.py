import logging.config
import os

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.production")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: object) -> None:
    """Workers and beat log through Django's LOGGING (kam.logs), like the web processes,
    instead of Celery's own format. Celery leaves logging alone when this signal has a
    receiver, so the level is DJANGO_LOG_LEVEL, not the `-l` option."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def task(name: str) -> Task:
    """The registered task called `name`. A service queues its app's tasks by name: tasks.py
    imports the services it wraps, so a service importing tasks.py would close a circle."""
    if name not in app.tasks:
        # A web process imports the apps' tasks modules only on demand, a worker at start.
        app.loader.import_default_modules()
    return app.tasks[name]
