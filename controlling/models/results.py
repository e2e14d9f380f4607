"""What the controlling run computes per goal: statuses, thresholds, monthly results, the
current state, and the manager's ratings of qualitative goals."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class GoalStatus(models.TextChoices):
    """A goal's status, from best to worst; compare with `severity`, not the values."""

    NO_DATA = "no_data", _("No data")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")

    @classmethod
    def severity(cls, status: str) -> int:
        """0 for no data up to 3 for off track, so "worse" is a comparison of integers."""
        return STATUS_SEVERITY[status]

    @classmethod
    def is_worse(cls, status: str, than: str) -> bool:
        return STATUS_SEVERITY[status] > STATUS_SEVERITY[than]

    @classmethod
    def severity_expression(cls, field: str) -> models.Case:
        """The severity of a status column in SQL, for set-based comparisons."""
        return models.Case(
            *(
                models.When(**{field: status}, then=rank)
                for status, rank in STATUS_SEVERITY.items()
            ),
            output_field=models.IntegerField(),
        )


STATUS_SEVERITY: dict[str, int] = {
    GoalStatus.NO_DATA: 0,
    GoalStatus.ON_TRACK: 1,
    GoalStatus.AT_RISK: 2,
    GoalStatus.OFF_TRACK: 3,
}

DEFAULT_AT_RISK_PERCENT = Decimal(5)
DEFAULT_OFF_TRACK_PERCENT = Decimal(15)


def percent_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **kwargs,
    )


class Threshold(models.Model):
    """How far a goal may fall short of its year-to-date plan before it is at risk or off
    track: one global default (no KPI) and optional overrides per KPI."""

    kpi = models.ForeignKey(
        "goals.KPIDefinition",
        verbose_name=_("KPI"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thresholds",
        help_text=_("Empty: the global default for every KPI without an override."),
    )
    at_risk_percent = percent_field(
        _("at risk from (percent short)"),
        help_text=_("Shortfall against the year-to-date plan above which a goal is at risk."),
    )
    off_track_percent = percent_field(
        _("off track from (percent short)"),
        help_text=_("Shortfall against the year-to-date plan above which a goal is off track."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = [models.F("kpi").asc(nulls_first=True)]
        constraints = [
            # NULLs never collide in a unique index, so the global row (kpi NULL) is made
            # unique by indexing COALESCE(kpi, 0); KPI ids start at 1. Works on SQLite and
            # PostgreSQL alike.
            models.UniqueConstraint(
                Coalesce("kpi", models.Value(0)),
                name="threshold_one_per_kpi_and_one_global",
                violation_error_message=_(
                    "There already is a threshold for this KPI (or a global default)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=0, off_track_percent__lte=100),
                name="threshold_percent_0_100",
                violation_error_message=_("Thresholds are percentages from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__lt=models.F("off_track_percent")),
                name="threshold_at_risk_below_off_track",
                violation_error_message=_(
                    "The at-risk threshold must be below the off-track threshold."
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = self.kpi if self.kpi_id else _("Global default")
        return f"{scope}: {self.at_risk_percent} % / {self.off_track_percent} %"

    def get_absolute_url(self) -> str:
        # Configured by administrators only, so its page is the admin's change form.
        return reverse("admin:controlling_threshold_change", args=[self.pk])

    @property
    def is_global(self) -> bool:
        return self.kpi_id is None


def amount_field(verbose_name, **kwargs):
    # Year-to-date sums of 12 months of 14-digit amounts need two more digits.
    return models.DecimalField(
        verbose_name, max_digits=16, decimal_places=2, null=True, blank=True, **kwargs
    )


def ratio_field(verbose_name):
    # Percentages of tiny plans can be huge; wide enough for any two actuals' quotient.
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=2, null=True, blank=True)


class GoalResult(models.Model):
    """The controlling run's figures of one goal in one month. Written only by
    controlling.services.engine.compute_goals; pages read them instead of recomputing."""

    # The unique (goal, month) index serves reads by goal; a second index on goal alone
    # would only slow down the run's bulk writes.
    goal = models.ForeignKey(
        "goals.Goal",
        verbose_name=_("goal"),
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    plan = amount_field(_("plan"))
    actual = amount_field(_("actual"))
    deviation = amount_field(_("deviation"), help_text=_("Actual minus plan."))
    deviation_percent = ratio_field(_("deviation (%)"))
    ytd_plan = amount_field(_("plan year to date"))
    ytd_actual = amount_field(_("actual year to date"))
    forecast = amount_field(_("year-end forecast"))
    attainment_percent = ratio_field(_("attainment (%)"))
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.NO_DATA
    )
    computed_at = models.DateTimeField(
        _("computed"), help_text=_("When the controlling run last changed these figures.")
    )

    class Meta:
        verbose_name = _("goal result")
        verbose_name_plural = _("goal results")
        ordering = ["goal", "month"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "month"], name="goalresult_unique_month"),
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goalresult_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.month:%Y-%m}: {self.status}"

    @property
    def severity(self) -> int:
        return GoalStatus.severity(self.status)


class GoalState(models.Model):
    """A goal's current status: its figures as of the latest month with an actual (or
    rating). Alerts compare a newly computed status with this one."""

    goal = models.OneToOneField(
        "goals.Goal",
        verbose_name=_("goal"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="state",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.NO_DATA
    )
    as_of = models.DateField(
        _("as of"), null=True, blank=True, help_text=_("The latest month with an actual.")
    )
    ytd_plan = amount_field(_("plan year to date"))
    ytd_actual = amount_field(_("actual year to date"))
    forecast = amount_field(_("year-end forecast"))
    attainment_percent = ratio_field(_("attainment (%)"))
    previous_status = models.CharField(
        _("previous status"), max_length=10, choices=GoalStatus.choices, blank=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("goal state")
        verbose_name_plural = _("goal states")
        ordering = ["goal"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goalstate_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="goalstate_status")]

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.status}"

    @property
    def severity(self) -> int:
        return GoalStatus.severity(self.status)


class GoalRating(models.Model):
    """The manager's rating of a qualitative goal in one month, on the goal's 1-5 scale."""

    goal = models.ForeignKey(
        "goals.Goal", verbose_name=_("goal"), on_delete=models.CASCADE, related_name="ratings"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (poor) to 5 (excellent)."),
    )
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("goal rating")
        verbose_name_plural = _("goal ratings")
        ordering = ["goal", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "month"],
                name="goalrating_unique_month",
                violation_error_message=_("This goal already has a rating for this month."),
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5),
                name="goalrating_rating_1_5",
                violation_error_message=_("The rating must be from 1 to 5."),
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="goalrating_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.month:%Y-%m}: {self.rating}"
