"""Measures (Maßnahmenplan): what a plan does to reach its goals, with cost and progress."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.models import User

from .plans import money_field


class Instrument(models.TextChoices):
    """The marketing-mix instrument a measure uses."""

    PRODUCT = "product", _("Product policy")
    PRICING = "pricing", _("Pricing and contract policy")
    DISTRIBUTION = "distribution", _("Distribution policy")
    COMMUNICATION = "communication", _("Communication policy")
    PERSONNEL = "personnel", _("Personnel policy")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Measure(models.Model):
    plan = models.ForeignKey(
        "goals.AccountPlan",
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    goals = models.ManyToManyField(
        "goals.Goal", verbose_name=_("goals"), related_name="measures", blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="measures",
    )
    start_date = models.DateField(_("start"))
    due_date = models.DateField(_("due"))
    planned_cost = money_field(
        _("planned cost"), default=Decimal(0), validators=[MinValueValidator(0)]
    )
    actual_cost = money_field(
        _("actual cost"), default=Decimal(0), validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_countermeasure = models.BooleanField(
        _("countermeasure"),
        default=False,
        help_text=_("Taken to steer against a deviation of its goals."),
    )

    history = HistoricalRecords(m2m_fields=[goals])
    # Who makes the next change, set before saving; simple-history records it.
    _history_user: User

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("start_date")),
                name="measure_due_after_start",
                violation_error_message=_("The due date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(planned_cost__gte=0, actual_cost__gte=0),
                name="measure_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="measure_progress_0_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("goals:measures", args=[self.plan_id])

    @property
    def is_open(self) -> bool:
        return self.status in (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)

    def overdue_on(self, today: datetime.date) -> bool:
        return self.is_open and self.due_date < today

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())
