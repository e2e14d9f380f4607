import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    CURRENCY = "currency", _("Currency")
    # Percentage points; a percent KPI may be negative (the Net Promoter Score runs -100..100).
    PERCENT = "percent", _("Percent")
    COUNT = "count", _("Count")
    HOURS = "hours", _("Hours")
    # A rating scale such as 1-5, for qualitative goals.
    RATING = "rating", _("Rating")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Rollup(models.TextChoices):
    SUM = "sum", _("Sum")
    AVERAGE = "average", _("Average")
    LAST = "last", _("Last value")


class Source(models.TextChoices):
    ENTERED = "entered", _("Entered or imported")
    COMPUTED = "computed", _("Computed by the app")


def roll_up(rollup: str, values: Iterable[Decimal | None]) -> Decimal | None:
    """Combine monthly values into one value for a quarter or a year.

    A missing month (None) is a gap, not a zero: it is left out of sums and averages, and
    "last value" is the last month that has one. With no value at all the result is None,
    so "nothing reported" stays distinguishable from "reported zero".
    """
    present = [value for value in values if value is not None]
    if not present:
        return None
    if rollup == Rollup.SUM:
        return sum(present, Decimal(0))
    if rollup == Rollup.AVERAGE:
        return sum(present, Decimal(0)) / len(present)
    if rollup == Rollup.LAST:
        return present[-1]
    raise ValueError(f"Unknown rollup {rollup!r}")


def is_better(direction: str, actual: Decimal | None, target: Decimal | None) -> bool:
    """Whether actual is strictly better than target; equal is not better, unknown never is."""
    if actual is None or target is None:
        return False
    if direction == Direction.HIGHER:
        return actual > target
    if direction == Direction.LOWER:
        return actual < target
    raise ValueError(f"Unknown direction {direction!r}")


def meets(direction: str, actual: Decimal | None, target: Decimal | None) -> bool:
    """Whether actual reaches target: equal or better."""
    if actual is None or target is None:
        return False
    return actual == target or is_better(direction, actual, target)


code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _(
        "Use lowercase letters, digits and underscores only, starting with a letter "
        "(for example: contribution_margin)."
    ),
    code="invalid_kpi_code",
)


class KPIDefinition(models.Model):
    """A key figure (Kennzahl) that goals are set on and actuals are reported for."""

    code = models.CharField(
        _("code"),
        max_length=50,
        validators=[code_validator],
        help_text=_("A stable identifier for imports and the API, e.g. revenue."),
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    rollup = models.CharField(
        _("roll-up"),
        max_length=10,
        choices=Rollup.choices,
        help_text=_("How monthly values combine into a quarter and a year."),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.ENTERED
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive KPIs cannot be chosen for new goals.")
    )
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="kpidefinition_unique_code",
                violation_error_message=_("Another KPI already has this code."),
            ),
            models.CheckConstraint(
                condition=Q(unit__in=Unit.values), name="kpidefinition_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="kpidefinition_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(rollup__in=Rollup.values), name="kpidefinition_rollup_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="kpidefinition_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def get_absolute_url(self) -> str:
        # Configured by administrators only, so its page is the admin's change form.
        return reverse("admin:goals_kpidefinition_change", args=[self.pk])

    @property
    def name(self) -> str:
        """The name in the active language; English when German is missing or not active."""
        language = (get_language() or "").split("-")[0]
        if language == "de" and self.name_de:
            return self.name_de
        return self.name_en

    @property
    def is_computed(self) -> bool:
        return self.source == Source.COMPUTED

    def roll_up(self, values: Iterable[Decimal | None]) -> Decimal | None:
        return roll_up(self.rollup, values)

    def is_better(self, actual: Decimal | None, target: Decimal | None) -> bool:
        return is_better(self.direction, actual, target)

    def meets(self, actual: Decimal | None, target: Decimal | None) -> bool:
        return meets(self.direction, actual, target)


# --- account plans ---------------------------------------------------------------------------

MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2100


def fiscal_year_for(day: datetime.date, start_month: int | None = None) -> int:
    """The fiscal year a date falls in, named by the calendar year the fiscal year ends in.

    With the fiscal year starting in January (start month 1) it is the calendar year. With a
    later start month the fiscal year spans two calendar years and takes the number of the
    second: starting in April, 1 Apr 2026 to 31 Mar 2027 is FY 2027, so 31 Mar 2026 belongs
    to FY 2026 and 1 Apr 2026 to FY 2027. The start month defaults to the setting
    KAM_FISCAL_YEAR_START_MONTH.
    """
    if start_month is None:
        start_month = settings.KAM_FISCAL_YEAR_START_MONTH
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def fiscal_year_bounds(
    fiscal_year: int, start_month: int | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first day of the first month and the first day of the last month of a fiscal year."""
    if start_month is None:
        start_month = settings.KAM_FISCAL_YEAR_START_MONTH
    start_year = fiscal_year if start_month == 1 else fiscal_year - 1
    end_month = (start_month - 2) % 12 + 1
    return datetime.date(start_year, start_month, 1), datetime.date(fiscal_year, end_month, 1)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


PLAN_EXISTS_MESSAGE = _("This account already has a plan for this fiscal year.")


class AccountPlan(models.Model):
    """The plan for one key account and one fiscal year, walked through the planning steps."""

    account = models.ForeignKey(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        related_name="plans",
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"),
        validators=[MinValueValidator(MIN_FISCAL_YEAR), MaxValueValidator(MAX_FISCAL_YEAR)],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="created_plans",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Status quo: where are we, as of the plan's start.
    prior_year_revenue = models.DecimalField(
        _("prior-year revenue"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    contribution_margin = models.DecimalField(
        _("contribution margin"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    share_of_wallet = models.DecimalField(
        _("share of wallet"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Our share of the customer's total spend in our categories, in percent."),
    )
    product_groups_served = models.TextField(_("product groups served"), blank=True)
    sites_served = models.TextField(_("sites served"), blank=True)
    relationship_summary = models.TextField(_("state of the relationship"), blank=True)
    narrative = models.TextField(_("Where are we?"), blank=True)

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fiscal_year"],
                name="accountplan_unique_account_year",
                violation_error_message=PLAN_EXISTS_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(share_of_wallet__isnull=True)
                | Q(share_of_wallet__gte=0, share_of_wallet__lte=100),
                name="accountplan_share_of_wallet_0_100",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=MIN_FISCAL_YEAR, fiscal_year__lte=MAX_FISCAL_YEAR),
                name="accountplan_fiscal_year_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="accountplan_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.name}: {self.period_label}"

    def get_absolute_url(self) -> str:
        return reverse("goals:plan_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        """Submitted and approved plans are frozen; a returned plan is open for rework."""
        return self.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)

    @property
    def period_label(self) -> str:
        """For example "FY 2027 (Apr 2026 – Mar 2027)" with the fiscal year starting in April."""
        start, end = fiscal_year_bounds(self.fiscal_year)
        return _("FY %(year)s (%(start)s – %(end)s)") % {
            "year": self.fiscal_year,
            "start": date_format(start, "M Y"),
            "end": date_format(end, "M Y"),
        }


class SwotKind(models.TextChoices):
    STRENGTH = "strength", _("Strength")
    WEAKNESS = "weakness", _("Weakness")
    OPPORTUNITY = "opportunity", _("Opportunity")
    THREAT = "threat", _("Threat")


def rating_field(verbose_name, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=help_text,
    )


class SwotItem(models.Model):
    """One rated finding of the opportunities-and-risks analysis (SWOT)."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="swot_items"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SwotKind.choices)
    text = models.TextField(_("description"))
    impact = rating_field(_("impact"), _("1 (minor) to 5 (decisive)."))
    probability = rating_field(_("probability"), _("1 (unlikely) to 5 (certain)."))

    class Meta:
        verbose_name = _("SWOT item")
        verbose_name_plural = _("SWOT items")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SwotKind.values), name="swotitem_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="swotitem_impact_1_5"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5),
                name="swotitem_probability_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("goals:plan_detail", args=[self.plan_id])

    @property
    def score(self) -> int:
        return self.impact * self.probability
