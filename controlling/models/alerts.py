"""Alerts: deviations that demand a countermeasure, comments on them, and notifications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .results import GoalStatus


class Deviation(models.Model):
    """One worsening of a goal's status, open until a countermeasure is recorded for the goal.

    Opened by controlling.services.alerts.alerts_raise for the status change the controlling run
    recorded in GoalState; `opened_for` is that change's time, so one worsening opens one
    deviation however often the run repeats."""

    goal = models.ForeignKey(
        "goals.Goal", verbose_name=_("goal"), on_delete=models.CASCADE, related_name="deviations"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=GoalStatus.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=GoalStatus.choices)
    opened_for = models.DateTimeField(
        _("status changed"), help_text=_("When the controlling run saw the status worsen.")
    )
    as_of = models.DateField(
        _("as of"), null=True, blank=True, help_text=_("The latest month with an actual.")
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    countermeasure = models.ForeignKey(
        "goals.Measure",
        verbose_name=_("countermeasure"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "opened_for"], name="deviation_one_per_worsening"
            ),
            models.CheckConstraint(
                condition=Q(from_status__in=GoalStatus.values, to_status__in=GoalStatus.values),
                name="deviation_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="deviation_closed_after_opened",
            ),
        ]
        indexes = [
            models.Index(fields=["closed_at", "opened_at"], name="deviation_open_age"),
            # The dashboard's worst open deviations and those without countermeasure, oldest
            # first: read in index order, LIMIT 10 stops early instead of sorting them all.
            models.Index(
                GoalStatus.severity_expression("to_status").desc(),
                models.F("opened_at"),
                models.F("id"),
                condition=Q(closed_at__isnull=True),
                name="deviation_open_worst",
            ),
            models.Index(
                models.F("opened_at"),
                models.F("id"),
                condition=Q(closed_at__isnull=True, countermeasure__isnull=True),
                name="deviation_uncountered_age",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_from_status_display()} → {self.get_to_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("controlling:deviation_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def severity(self) -> int:
        return GoalStatus.severity(self.to_status)

    def age_days(self, now=None) -> int:
        """Calendar days since it opened, up to its closing (or now while open): the same all
        day long, so a page kept for the day shows it right."""
        end = self.closed_at or now or timezone.now()
        return max((timezone.localdate(end) - timezone.localdate(self.opened_at)).days, 0)


class DeviationComment(models.Model):
    """A manager's note on a deviation: why it happened, what is being done."""

    deviation = models.ForeignKey(
        Deviation, verbose_name=_("deviation"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment on a deviation")
        verbose_name_plural = _("comments on deviations")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.deviation_id}: {self.text[:40]}"


class NotificationKind(models.TextChoices):
    WORSENED = "worsened", _("Status worsened")
    ESCALATED = "escalated", _("Escalated")
    PLAN_SUBMITTED = "plan_submitted", _("Plan submitted")
    PLAN_RETURNED = "plan_returned", _("Plan returned")
    PLAN_APPROVED = "plan_approved", _("Plan approved")
    MEASURE_DUE = "measure_due", _("Measure due soon")
    MEASURE_OVERDUE = "measure_overdue", _("Measure overdue")


# The kinds about a plan's workflow point at a PlanTransition, those about a measure at a
# Measure (and its due date then), the others at a Deviation.
PLAN_KINDS = (
    NotificationKind.PLAN_SUBMITTED,
    NotificationKind.PLAN_RETURNED,
    NotificationKind.PLAN_APPROVED,
)


class NotificationMode(models.TextChoices):
    """How a person wants one kind of notification by e-mail; in the app it is always shown."""

    IMMEDIATELY = "immediately", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class Notification(models.Model):
    """An alert for one person about one deviation or one plan status change: shown in the
    app, and mailed once (at once or in the daily digest, as the person prefers)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    deviation = models.ForeignKey(
        Deviation,
        verbose_name=_("deviation"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    transition = models.ForeignKey(
        "goals.PlanTransition",
        verbose_name=_("plan status change"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    measure = models.ForeignKey(
        "goals.Measure",
        verbose_name=_("measure"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    due_date = models.DateField(
        _("due"), null=True, blank=True, help_text=_("The measure's due date when notified.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "deviation", "kind"], name="notification_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["recipient", "transition", "kind"],
                name="notification_once_per_transition",
            ),
            # A measure's reminder once per due date: moving the date reminds again.
            models.UniqueConstraint(
                fields=["recipient", "measure", "kind", "due_date"],
                name="notification_once_per_due_date",
            ),
            models.CheckConstraint(
                condition=Q(deviation__isnull=False, transition__isnull=True, measure__isnull=True)
                | Q(deviation__isnull=True, transition__isnull=False, measure__isnull=True)
                | Q(deviation__isnull=True, transition__isnull=True, measure__isnull=False),
                name="notification_one_target",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.deviation_id or self.transition_id}"

    def get_absolute_url(self) -> str:
        if self.transition is not None:
            return reverse("goals:plan_detail", args=[self.transition.plan_id])
        if self.measure is not None:
            return self.measure.get_absolute_url()
        assert self.deviation is not None  # one target (notification_one_target)
        return self.deviation.get_absolute_url()

    @property
    def is_about_plan(self) -> bool:
        return self.transition_id is not None

    @property
    def is_about_measure(self) -> bool:
        return self.measure_id is not None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one person wants one kind of notification mailed; without a row: immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    mode = models.CharField(
        _("e-mail"),
        max_length=12,
        choices=NotificationMode.choices,
        default=NotificationMode.IMMEDIATELY,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
            models.CheckConstraint(
                condition=Q(mode__in=NotificationMode.values), name="notification_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"
