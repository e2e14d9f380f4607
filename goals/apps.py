from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = _("Account plans and goals")
    # What no kept page reads (kam.kept), so its writes keep them: what reaches the dashboard
    # only through the controlling run (selling positions: the run writes states and figures)
    # or not at all (templates, offerings, contacts of goals). SWOT items and monthly targets
    # are watched: the dashboard's approval queue checks plans for completeness.
    unkept_models = [
        "Goal.stakeholders",
        "Measure.goals",
        "SeasonalProfile",
        "GoalTemplateSet",
        "GoalTemplate",
        "ProductGroup",
        "Offering",
        "Offering.components",
        "SellingPosition",
    ]

    def ready(self) -> None:
        from goals.selectors.audit import audit_sources
        from kam import audit

        audit.register(*audit_sources())
