from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControllingConfig(AppConfig):
    name = "controlling"
    verbose_name = _("Controlling")

    def ready(self) -> None:
        from controlling.services import runs
        from goals.signals import figures_changed

        # goals announces changed plan figures without importing controlling.
        figures_changed.connect(runs.figures_changed_receiver, dispatch_uid="controlling.runs")

        # A countermeasure recorded in goals closes the deviations of its goals.
        from django.db.models.signals import m2m_changed, post_save

        from controlling.services import alerts
        from goals.models import Measure

        post_save.connect(
            alerts.measure_saved_receiver, sender=Measure, dispatch_uid="controlling.alerts.save"
        )
        m2m_changed.connect(
            alerts.measure_goals_changed_receiver,
            sender=Measure.goals.through,
            dispatch_uid="controlling.alerts.goals",
        )
