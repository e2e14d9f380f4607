from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControllingConfig(AppConfig):
    name = "controlling"
    verbose_name = _("Controlling")

    def ready(self) -> None:
        from controlling.services import alerts, runs
        from goals.signals import figures_changed, measures_changed

        # goals announces changed plan figures without importing controlling.
        figures_changed.connect(runs.figures_changed_receiver, dispatch_uid="controlling.runs")

        # A countermeasure recorded in goals closes the deviations of its goals.
        measures_changed.connect(
            alerts.measures_changed_receiver, dispatch_uid="controlling.alerts"
        )
