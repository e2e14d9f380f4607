"""Dashboard exports: the leadership dashboard's tables as a workbook, written in the
background."""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


# A queued export no worker has taken by then is shown as not started.
EXPORT_START_WITHIN = datetime.timedelta(minutes=15)


class DashboardExport(models.Model):
    """The leadership dashboard's tables as a workbook, written in the background: at
    10,000 accounts it takes longer than a request should (controlling.services.exports)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="dashboard_exports",
    )
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=10)
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(_("content"), null=True, editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard export")
        verbose_name_plural = _("dashboard exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="dashboardexport_user")]

    def __str__(self) -> str:
        return self.file_name or f"{_('dashboard export')} {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("controlling:dashboard_export_download", args=[self.pk])

    @property
    def not_started(self) -> bool:
        """Still queued long after it was asked for: the broker lost it, or no worker runs."""
        return self.state == ExportState.QUEUED and (
            self.created_at < timezone.now() - EXPORT_START_WITHIN
        )
