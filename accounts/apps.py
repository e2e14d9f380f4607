from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Key accounts")
    # What no kept page reads (kam.kept), so its writes keep them: contacts and the portfolio
    # scoring (the dashboard reads the scores the account holds).
    unkept_models = [
        "Stakeholder",
        "Interaction",
        "Interaction.stakeholders",
        "MarketStage",
        "PortfolioCriterion",
        "PortfolioScoring",
        "PortfolioScore",
    ]

    def ready(self) -> None:
        from accounts.selectors import audit_sources
        from kam import audit

        audit.register(*audit_sources())
