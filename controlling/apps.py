from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControllingConfig(AppConfig):
    name = "controlling"
    verbose_name = _("Controlling")
    # What no kept page reads (kam.kept), so its writes keep them: actuals and ratings (they
    # reach the dashboard only through the run, which writes results, states and figures), run
    # bookkeeping, comments, exports and notifications (the header's unread count is read
    # live). Entering actuals all day long thus keeps leadership's page until the run.
    unkept_models = [
        "Actual",
        "ActualImport",
        "ActualImportChange",
        "GoalRating",
        "ControllingRun",
        "ControllingRunChunk",
        "RecomputeMark",
        "DeviationComment",
        "HealthWeights",
        "DashboardExport",
        "Notification",
    ]

    def ready(self) -> None:
        from controlling.selectors.audit import audit_sources
        from controlling.services import alerts, runs
        from goals.signals import figures_changed, measures_changed, plan_transitioned
        from kam import audit

        audit.register(*audit_sources())

        # goals announces changed plan figures without importing controlling.
        figures_changed.connect(runs.figures_changed_receiver, dispatch_uid="controlling.runs")

        # A countermeasure recorded in goals closes the deviations of its goals.
        measures_changed.connect(
            alerts.measures_changed_receiver, dispatch_uid="controlling.alerts"
        )

        # A plan's submission, return or approval notifies who acts on it next.
        plan_transitioned.connect(
            alerts.plan_transitioned_receiver, dispatch_uid="controlling.notifications"
        )
