"""Controlling runs: what was asked for and how far it got, the accounts waiting for one,
and the chunks a run is split into."""

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    FULL = "full", _("Full run")
    ACCOUNTS = "accounts", _("Affected accounts")
    NIGHTLY = "nightly", _("Nightly run")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class ControllingRun(models.Model):
    """One controlling run: what was asked for, how far it got and what went wrong."""

    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED
    )
    goals_total = models.PositiveIntegerField(_("goals"), default=0)
    goals_done = models.PositiveIntegerField(_("goals done"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    account_ids = models.JSONField(
        _("accounts"), default=list, blank=True, help_text=_("Empty: all accounts.")
    )

    class Meta:
        verbose_name = _("controlling run")
        verbose_name_plural = _("controlling runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RunKind.values), name="controllingrun_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=RunState.values), name="controllingrun_state_valid"
            ),
            # At most one full (or nightly) run at a time, even when two "run now" arrive at
            # once: the second insert fails and run_start returns the first run.
            models.UniqueConstraint(
                Value(1),
                condition=Q(
                    kind__in=[RunKind.FULL, RunKind.NIGHTLY],
                    state__in=[RunState.QUEUED, RunState.RUNNING],
                ),
                name="controllingrun_one_full_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("controlling:run_detail", args=[self.pk])


class RecomputeMark(models.Model):
    """An account whose goals wait for the next controlling run, e.g. because the broker was
    down when its actuals changed."""

    account = models.OneToOneField(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="recompute_mark",
    )
    marked_at = models.DateTimeField(_("marked"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("account waiting for recomputation")
        verbose_name_plural = _("accounts waiting for recomputation")
        ordering = ["marked_at"]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.marked_at:%Y-%m-%d %H:%M})"


class ChunkState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ControllingRunChunk(models.Model):
    """One slice of a run's accounts, computed by one task. A chunk is counted into its run
    once, by the task that moves it out of "pending" (a conditional UPDATE), so a retried,
    re-delivered or requeued task recomputes its accounts without counting them twice."""

    run = models.ForeignKey(
        ControllingRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="chunks"
    )
    number = models.PositiveIntegerField(_("number"))
    account_ids = models.JSONField(_("accounts"), default=list)
    goals_total = models.PositiveIntegerField(_("goals"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=ChunkState.choices, default=ChunkState.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    # Set when a worker starts the chunk and refreshed while it computes; a pending chunk whose
    # heartbeat stopped lost its worker (see controlling.services.runs.runs_reconcile).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    requeued = models.PositiveSmallIntegerField(_("queued again"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("chunk of a controlling run")
        verbose_name_plural = _("chunks of a controlling run")
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="runchunk_unique_number"),
            models.CheckConstraint(
                condition=Q(state__in=ChunkState.values), name="runchunk_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.number} ({self.state})"
