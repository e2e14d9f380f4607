"""Actuals: what an account reached on a KPI per month, and the ERP imports that wrote them."""

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


class ImportStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class ActualImport(models.Model):
    """One applied ERP file of actuals: who, when, which file, and what it changed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255)
    row_count = models.PositiveIntegerField(_("rows"))
    created_count = models.PositiveIntegerField(_("created"))
    updated_count = models.PositiveIntegerField(_("updated"))
    unchanged_count = models.PositiveIntegerField(_("unchanged"))
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.APPLIED
    )
    rolled_back_at = models.DateTimeField(_("rolled back"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rolled back by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("actuals import")
        verbose_name_plural = _("actuals imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="actualimport_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_rolled_back(self) -> bool:
        return self.status == ImportStatus.ROLLED_BACK


class ActualImportChange(models.Model):
    """One actual an import created (old_value null) or changed, so a rollback can undo it."""

    actual_import = models.ForeignKey(
        ActualImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="changes"
    )
    account = models.ForeignKey(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kpi = models.ForeignKey(
        "goals.KPIDefinition", verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    old_value = models.DecimalField(
        _("old value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("imported change")
        verbose_name_plural = _("imported changes")
        ordering = ["actual_import", "account", "kpi", "month"]

    def __str__(self) -> str:
        month = f"{self.month:%Y-%m}"
        return f"{self.account_id}/{self.kpi_id} {month}: {self.old_value} -> {self.new_value}"
