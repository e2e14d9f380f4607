import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from goals.models import PathStage


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


# --- The controlling run: thresholds, computed results, ratings, runs ----------------------


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


STATUS_SEVERITY = {
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
    controlling.engine.compute_goals; pages read them instead of recomputing."""

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


class AccountFigures(models.Model):
    """What the leadership dashboard adds up, per account and fiscal year, as of the account's
    last controlling run (controlling.figures.figures_refresh): the dashboard sums one row per
    account instead of every goal, target, actual and measure of the portfolio.

    Rows exist for the years an account has a plan or revenue actuals in. The cumulative
    plan-vs-actual figures follow dashboards.cumulative_series' like-with-like rule already:
    a KPI's monthly plan is kept only when the account reported on the KPI in the year, its
    monthly actuals only when the plan has a goal on the KPI (see SERIES_CODES below)."""

    account = models.ForeignKey(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        related_name="figures",
        db_index=False,  # the unique (account, fiscal year) index serves it
    )
    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    plan = models.OneToOneField(
        "goals.AccountPlan",
        verbose_name=_("account plan"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="figures",
    )
    # Goal attainment: sum of capped attainment x weight, and of the weights, of the measured
    # goals (dashboards.Attainment divides them).
    attainment_weighted = models.DecimalField(
        _("weighted attainment"), max_digits=24, decimal_places=2, default=Decimal(0)
    )
    attainment_weights = models.PositiveIntegerField(_("weights of measured goals"), default=0)
    revenue = models.DecimalField(
        _("revenue"),
        max_digits=20,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("Sum of the revenue actuals of the fiscal year's months."),
    )
    planned_cost = models.DecimalField(
        _("planned cost"), max_digits=20, decimal_places=2, default=Decimal(0)
    )
    actual_cost = models.DecimalField(
        _("actual cost"), max_digits=20, decimal_places=2, default=Decimal(0)
    )
    budget = models.DecimalField(
        _("expense limit"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    margin_gained = models.DecimalField(
        _("contribution margin gained"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    open_deviations = models.PositiveIntegerField(_("open deviations"), default=0)
    uncountered_deviations = models.PositiveIntegerField(
        _("open deviations without countermeasure"), default=0
    )
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("figures of an account")
        verbose_name_plural = _("figures of accounts")
        ordering = ["account", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fiscal_year"], name="accountfigures_unique_year"
            ),
        ]
        indexes = [
            models.Index(fields=["fiscal_year", "account"], name="accountfigures_year"),
            # The portfolio chart's largest accounts by revenue.
            models.Index(fields=["fiscal_year", "-revenue"], name="accountfigures_revenue"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} FY {self.fiscal_year}"


# The KPIs of the dashboard's cumulative plan-vs-actual charts, by code: per code a flag for
# "the plan has a goal on it", one for "the account reported on it in the year", and twelve
# monthly plans and actuals (month 1 = the fiscal year's first month) in cents: the database
# adds up 48 integer columns over 10,000 rows three times faster than as decimals, as exact.
# Added in a loop: 52 fields spelled out would hide the rule they follow.
SERIES_CODES = ("revenue", "contribution_margin")


def series_field(code: str, kind: str, index: int) -> str:
    """Name of a monthly figure in cents: kind "plan" or "actual", index 1-12."""
    return f"{code}_{kind}_{index:02}"


for _code in SERIES_CODES:
    AccountFigures.add_to_class(f"{_code}_goal", models.BooleanField(default=False))
    AccountFigures.add_to_class(f"{_code}_reported", models.BooleanField(default=False))
    for _index in range(1, 13):
        for _kind in ("plan", "actual"):
            AccountFigures.add_to_class(
                series_field(_code, _kind, _index), models.BigIntegerField(null=True, blank=True)
            )


class SellingFigures(models.Model):
    """An account's place on the path of the selling dimensions and its open potential, as of
    its last controlling run: the dashboard's funnel and whitespace add these up."""

    account = models.OneToOneField(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="selling_figures",
    )
    path_stage = models.CharField(_("path stage"), max_length=20, choices=PathStage.choices)
    open_potential = models.DecimalField(
        _("open potential"), max_digits=20, decimal_places=2, default=Decimal(0)
    )
    # Potential x probability / 100, unrounded so that sums are exact.
    weighted_potential = models.DecimalField(
        _("weighted potential"), max_digits=22, decimal_places=4, default=Decimal(0)
    )
    open_positions = models.PositiveIntegerField(_("open positions"), default=0)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("selling figures of an account")
        verbose_name_plural = _("selling figures of accounts")
        ordering = ["account"]
        # The whitespace's largest open potential.
        indexes = [models.Index(fields=["-open_potential"], name="sellingfigures_potential")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.path_stage}"


class ChunkState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ControllingRunChunk(models.Model):
    """One slice of a run's accounts, computed by one task. A chunk is counted into its run
    once, by the task that moves it out of "pending" (a conditional UPDATE), so a retried or
    re-delivered task recomputes its accounts without counting them twice."""

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


# --- Alerts: deviations that demand a countermeasure, and notifications ----------------------


class Deviation(models.Model):
    """One worsening of a goal's status, open until a countermeasure is recorded for the goal.

    Opened by controlling.alerts.alerts_raise for the status change the controlling run
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


class Notification(models.Model):
    """An alert for one person about one deviation: shown in the app, and mailed once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NotificationKind.choices)
    deviation = models.ForeignKey(
        Deviation,
        verbose_name=_("deviation"),
        on_delete=models.CASCADE,
        related_name="notifications",
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
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.deviation_id}"

    def get_absolute_url(self) -> str:
        return self.deviation.get_absolute_url()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# --- Account health: how the score's components are weighted --------------------------------


def weight_field(verbose_name, default: int, help_text):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


class HealthWeights(models.Model):
    """How much each component counts in the account health score (only the ratio matters).

    One row (primary key 1, a check constraint), created by the migration; administrators
    edit it in the admin. See controlling.health for the components."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    goal_attainment = weight_field(
        _("goal attainment"), 35, _("Weighted attainment of the current plan's goals.")
    )
    plan_completeness = weight_field(
        _("plan completeness"), 20, _("Share of the five planning steps filled in.")
    )
    stakeholder_coverage = weight_field(
        _("stakeholder coverage"), 15, _("Share of the five buying-centre roles covered.")
    )
    contact_freshness = weight_field(
        _("contact freshness"),
        15,
        _("Share of stakeholders contacted within their contact interval."),
    )
    customer_satisfaction = weight_field(
        _("customer satisfaction"), 15, _("The latest customer satisfaction rating (1-5).")
    )

    class Meta:
        verbose_name = _("health score weights")
        verbose_name_plural = _("health score weights")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="healthweights_single_row"),
            models.CheckConstraint(
                condition=Q(
                    goal_attainment__gte=0,
                    plan_completeness__gte=0,
                    stakeholder_coverage__gte=0,
                    contact_freshness__gte=0,
                    customer_satisfaction__gte=0,
                ),
                name="healthweights_not_negative",
                violation_error_message=_("Weights cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(goal_attainment__gt=0)
                | Q(plan_completeness__gt=0)
                | Q(stakeholder_coverage__gt=0)
                | Q(contact_freshness__gt=0)
                | Q(customer_satisfaction__gt=0),
                name="healthweights_not_all_zero",
                violation_error_message=_("At least one weight must be above zero."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Health score weights"))

    def get_absolute_url(self) -> str:
        # Configured by administrators only, so its page is the admin's change form.
        return reverse("admin:controlling_healthweights_change", args=[self.pk])

    @classmethod
    def load(cls) -> "HealthWeights":
        """The configured weights; the defaults (unsaved) should the row be missing."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls()


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


# A queued export no worker has taken by then is shown as not started.
EXPORT_START_WITHIN = datetime.timedelta(minutes=15)


class DashboardExport(models.Model):
    """The leadership dashboard's tables as a workbook, written in the background: at
    10,000 accounts it takes longer than a request should (controlling.exports)."""

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
