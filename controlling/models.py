from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ActualSource(models.TextChoices):
    ENTERED = "entered", _("Entered by hand")
    IMPORTED = "imported", _("Imported")
    COMPUTED = "computed", _("Computed by the app")


class Actual(models.Model):
    """What an account really reached on a KPI in one calendar month."""

    account = models.ForeignKey(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        related_name="actuals",
    )
    kpi = models.ForeignKey("goals.KPIDefinition", verbose_name=_("KPI"), on_delete=models.PROTECT)
    # The first day of the month, like goals.MonthlyTarget, so actuals join targets on it.
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    value = models.DecimalField(_("actual"), max_digits=14, decimal_places=2)
    source = models.CharField(
        _("source"), max_length=10, choices=ActualSource.choices, default=ActualSource.ENTERED
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        ordering = ["account", "kpi", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kpi", "month"],
                name="actual_unique_account_kpi_month",
                violation_error_message=_(
                    "This account already has an actual for this KPI and month."
                ),
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="actual_month_first_day"),
            models.CheckConstraint(
                condition=Q(source__in=ActualSource.values), name="actual_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.kpi_id} {self.month:%Y-%m}: {self.value}"
