import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Tier


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


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


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
    budget = money_field(
        _("expense limit"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("What the plan's measures may cost in total (Aufwandsvorgabe)."),
    )
    revision = models.PositiveSmallIntegerField(
        _("revision"), default=1, help_text=_("Counts up each time an approved plan is reopened.")
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

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

    history = HistoricalRecords()

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


# --- Goals --------------------------------------------------------------------------------


class GoalKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("Quantitative")
    QUALITATIVE = "qualitative", _("Qualitative")


class Perspective(models.TextChoices):
    """The four balanced-scorecard perspectives a manager's goals are integrated in."""

    FINANCE = "finance", _("Finance")
    CUSTOMER = "customer", _("Customer and market")
    PROCESS = "process", _("Process")
    PEOPLE = "people", _("People")


class GoalArea(models.TextChoices):
    COMPETITIVE_POSITION = "competitive_position", _("Competitive position")
    BUSINESS_RELATIONSHIP = "business_relationship", _("Business relationship")
    MARKET_POSITION = "market_position", _("Vertical market position (market share)")
    COORDINATION_EFFORT = "coordination_effort", _("Coordination effort")
    CUSTOMER_SATISFACTION = "customer_satisfaction", _("Customer satisfaction")
    CARE_QUALITY = "care_quality", _("Care quality")
    CUSTOMER_VALUE = "customer_value", _("Customer value")


class RelationshipPerspective(models.TextChoices):
    """Rows of the relationship-goal matrix after Schütze (1992)."""

    MUTUAL = "mutual", _("Mutual")
    SUPPLIER = "supplier", _("Supplier's view")
    CUSTOMER = "customer", _("Customer's view")


class Horizon(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    OPERATIVE = "operative", _("Operative")


class SellingDimension(models.IntegerChoices):
    PRODUCT = 1, _("1: product cross-selling")
    ORGANISATION = 2, _("2: cross-selling to other sites, regions and countries")
    SOLUTION = 3, _("3: up-selling of solutions and joint development")


class GoalShape(models.Model):
    """What a goal and a goal template share: what is measured and how it is classified."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=GoalKind.choices, default=GoalKind.QUANTITATIVE
    )
    kpi = models.ForeignKey(
        KPIDefinition,
        verbose_name=_("KPI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    target_rating = models.PositiveSmallIntegerField(
        _("target rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("On the rating scale 1 (poor) to 5 (excellent)."),
    )
    criteria = models.TextField(_("criteria"), blank=True, help_text=_("How the rating is judged."))
    perspective = models.CharField(
        _("scorecard perspective"), max_length=20, choices=Perspective.choices
    )
    goal_area = models.CharField(_("KAM goal area"), max_length=30, choices=GoalArea.choices)
    relationship_perspective = models.CharField(
        _("relationship perspective"),
        max_length=20,
        choices=RelationshipPerspective.choices,
        blank=True,
    )
    horizon = models.CharField(_("horizon"), max_length=20, choices=Horizon.choices, blank=True)
    selling_dimension = models.PositiveSmallIntegerField(
        _("selling dimension"), choices=SellingDimension.choices, null=True, blank=True
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Relative importance, 1 to 100."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=GoalKind.QUALITATIVE)
                | Q(target_rating__gte=1, target_rating__lte=5),
                name="%(class)s_qualitative_has_rating_1_5",
                violation_error_message=_("A qualitative goal needs a target rating from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=Q(relationship_perspective="", horizon="")
                | (~Q(relationship_perspective="") & ~Q(horizon="")),
                name="%(class)s_relationship_cell_complete",
                violation_error_message=_(
                    "A relationship goal needs both a relationship perspective and a horizon."
                ),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="%(class)s_weight_1_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_quantitative(self) -> bool:
        return self.kind == GoalKind.QUANTITATIVE


class Goal(GoalShape):
    """A goal of a plan: a KPI with monthly targets, or a rating against criteria."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="goals"
    )
    baseline = money_field(_("baseline"), null=True, blank=True)
    annual_target = money_field(_("annual target"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="goals",
    )
    stakeholders = models.ManyToManyField(
        "accounts.Stakeholder",
        verbose_name=_("key stakeholders"),
        related_name="goals",
        blank=True,
        help_text=_("The people this goal is about; a relationship goal names its key player."),
    )
    template = models.ForeignKey(
        "GoalTemplate",
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="goals",
    )

    history = HistoricalRecords(m2m_fields=[stakeholders])

    class Meta(GoalShape.Meta):
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            *GoalShape.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(kind=GoalKind.QUANTITATIVE)
                | Q(kpi__isnull=False, annual_target__isnull=False),
                name="goal_quantitative_has_kpi_and_target",
                violation_error_message=_("A quantitative goal needs a KPI and an annual target."),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("goals:goal_detail", args=[self.plan_id, self.pk])


class MonthlyTarget(models.Model):
    """The target of a quantitative goal for one calendar month of the plan's fiscal year."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="targets")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    value = money_field(_("target"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monthly target")
        verbose_name_plural = _("monthly targets")
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "month"], name="monthlytarget_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthlytarget_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.month:%Y-%m} {self.value}"


# --- Measures (Maßnahmenplan) -------------------------------------------------------------


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
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="measures"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    goals = models.ManyToManyField(
        Goal, verbose_name=_("goals"), related_name="measures", blank=True
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


# --- Goal templates and seasonal profiles ---------------------------------------------------


def twelve_weights_validator(value) -> None:
    if (
        not isinstance(value, list)
        or len(value) != 12
        or not all(isinstance(v, int | float) and v >= 0 for v in value)
        or not sum(value)
    ):
        raise ValidationError(
            _("A seasonal profile needs 12 non-negative weights, one per month, not all zero.")
        )


class SeasonalProfile(models.Model):
    """How an annual target spreads over the fiscal year's months (weights, first month first)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    weights = models.JSONField(_("monthly weights"), validators=[twelve_weights_validator])

    class Meta:
        verbose_name = _("seasonal profile")
        verbose_name_plural = _("seasonal profiles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GoalTemplateSet(models.Model):
    """The default goals for plans of accounts of one tier."""

    name = models.CharField(_("name"), max_length=120)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("goal template set")
        verbose_name_plural = _("goal template sets")
        ordering = ["tier", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "name"], name="goaltemplateset_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_tier_display()})"


class GoalTemplate(GoalShape):
    """A default goal for new plans of accounts of the template set's tier."""

    template_set = models.ForeignKey(
        GoalTemplateSet,
        verbose_name=_("template set"),
        on_delete=models.CASCADE,
        related_name="templates",
    )
    growth_percent = models.DecimalField(
        _("default growth (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Default annual target = baseline × (1 + growth %)."),
    )
    seasonal_profile = models.ForeignKey(
        SeasonalProfile,
        verbose_name=_("seasonal profile"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("Empty: the annual target is spread evenly."),
    )

    class Meta(GoalShape.Meta):
        verbose_name = _("goal template")
        verbose_name_plural = _("goal templates")
        constraints = [
            *GoalShape.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(kind=GoalKind.QUANTITATIVE) | Q(kpi__isnull=False),
                name="goaltemplate_quantitative_has_kpi",
                violation_error_message=_("A quantitative template needs a KPI."),
            ),
        ]


# --- The strategic frame -------------------------------------------------------------------


class FrameRuleKind(models.TextChoices):
    TARGET_BOUNDS = "target_bounds", _("Target bounds for a KPI")
    COST_CAP = "cost_cap", _("Cap on planned measure costs per plan")
    MANDATORY_GOAL = "mandatory_goal", _("Mandatory goal for a KPI")


class FrameRule(models.Model):
    """A rule of the corporate strategy that every submitted plan is checked against."""

    kind = models.CharField(_("kind"), max_length=20, choices=FrameRuleKind.choices)
    tier = models.CharField(
        _("tier"),
        max_length=20,
        choices=Tier.choices,
        blank=True,
        help_text=_("Empty: the rule applies to accounts of every tier."),
    )
    kpi = models.ForeignKey(
        KPIDefinition, verbose_name=_("KPI"), on_delete=models.PROTECT, null=True, blank=True
    )
    min_change_percent = models.DecimalField(
        _("minimum change of target vs baseline (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "For example 3 for at least 3 percent growth, or -2 for at most 2 percent reduction."
        ),
    )
    max_change_percent = models.DecimalField(
        _("maximum change of target vs baseline (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cost_cap = money_field(_("cost cap"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("strategic frame rule")
        verbose_name_plural = _("strategic frame")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=FrameRuleKind.TARGET_BOUNDS)
                | (
                    Q(kpi__isnull=False)
                    & (Q(min_change_percent__isnull=False) | Q(max_change_percent__isnull=False))
                ),
                name="framerule_bounds_complete",
                violation_error_message=_(
                    "Target bounds need a KPI and a minimum or maximum change."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind=FrameRuleKind.COST_CAP) | Q(cost_cap__gte=0),
                name="framerule_cost_cap_complete",
                violation_error_message=_("A cost cap needs an amount of 0 or more."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=FrameRuleKind.MANDATORY_GOAL) | Q(kpi__isnull=False),
                name="framerule_mandatory_goal_has_kpi",
                violation_error_message=_("A mandatory goal needs a KPI."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.kpi or self.cost_cap}"


# --- Workflow transitions --------------------------------------------------------------------


class PlanTransition(models.Model):
    """A change of a plan's status: who moved it, when, why. The approval history."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=20, choices=PlanStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=PlanStatus.choices)
    revision = models.PositiveSmallIntegerField(_("revision"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("plan status change")
        verbose_name_plural = _("plan status changes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.from_status} → {self.to_status}"


# --- Offerings and selling positions ---------------------------------------------------------


def _name_in_language(obj) -> str:
    language = (get_language() or "").split("-")[0]
    if language == "de" and obj.name_de:
        return obj.name_de
    return obj.name_en


class ProductGroup(models.Model):
    """A group of the supplier's products; cross-selling moves from one group to the next."""

    code = models.CharField(_("code"), max_length=50, validators=[code_validator])
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="productgroup_unique_code",
                violation_error_message=_("Another product group already has this code."),
            )
        ]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        """The name in the active language; English when German is missing or not active."""
        return _name_in_language(self)


class OfferingKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    SOLUTION = "solution", _("Solution")


class Offering(models.Model):
    """What the supplier sells: a product, a service, or a solution bundling both."""

    code = models.CharField(
        _("code"),
        max_length=50,
        validators=[code_validator],
        help_text=_("A stable identifier for imports and the API, e.g. gear_motors."),
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferingKind.choices)
    product_group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        on_delete=models.PROTECT,
        related_name="offerings",
        null=True,
        blank=True,
        help_text=_("Required for products."),
    )
    components = models.ManyToManyField(
        "self",
        verbose_name=_("components"),
        symmetrical=False,
        related_name="solutions",
        blank=True,
        help_text=_("For a solution: the products and services it bundles."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive offerings cannot be chosen for new selling positions."),
    )
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="offering_unique_code",
                violation_error_message=_("Another offering already has this code."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OfferingKind.values), name="offering_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=OfferingKind.PRODUCT) | Q(product_group__isnull=False),
                name="offering_product_has_group",
                violation_error_message=_("A product needs a product group."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def get_absolute_url(self) -> str:
        # Configured by administrators only, so its page is the admin's change form.
        return reverse("admin:goals_offering_change", args=[self.pk])

    @property
    def name(self) -> str:
        """The name in the active language; English when German is missing or not active."""
        return _name_in_language(self)

    @property
    def is_solution(self) -> bool:
        return self.kind == OfferingKind.SOLUTION

    def clean_components(self, components: Iterable["Offering"]) -> None:
        """Only a solution has components, and a component is a product or a service.

        Many-to-many rows are saved after the offering, so the admin form calls this with the
        chosen components; it is not part of clean()."""
        components = list(components)
        if components and not self.is_solution:
            raise ValidationError(
                {"components": _("Only a solution can have components.")}, code="not_a_solution"
            )
        if any(c.is_solution for c in components):
            raise ValidationError(
                {"components": _("A component must be a product or a service, not a solution.")},
                code="component_is_solution",
            )
        if self.pk and any(c.pk == self.pk for c in components):
            raise ValidationError(
                {"components": _("An offering cannot be its own component.")},
                code="own_component",
            )

    def clean(self) -> None:
        if self.kind == OfferingKind.PRODUCT and self.product_group_id is None:
            raise ValidationError(
                {"product_group": _("A product needs a product group.")}, code="no_group"
            )
        # A solution whose components are already saved may not become a product or service.
        if self.pk and not self.is_solution and self.components.exists():
            raise ValidationError(
                {"kind": _("Only a solution can have components.")}, code="not_a_solution"
            )
        # An offering that is some solution's component must stay a product or service.
        if self.pk and self.is_solution and self.solutions.exists():
            raise ValidationError(
                {"kind": _("This offering is a component of a solution, so it cannot be one.")},
                code="component_is_solution",
            )


class SellingStage(models.TextChoices):
    NOT_SOLD = "not_sold", _("Not sold")
    POTENTIAL = "potential", _("Potential identified")
    OFFERED = "offered", _("Offered")
    SOLD = "sold", _("Sold")
    BUNDLED = "bundled", _("Part of a solution bundle")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")


# Stages at which the customer buys the offering: what the dimension metrics count as sold.
SOLD_STAGES = (SellingStage.SOLD, SellingStage.BUNDLED, SellingStage.JOINT_DEVELOPMENT)
# Stages with open potential: what the pipeline counts.
OPEN_STAGES = (SellingStage.POTENTIAL, SellingStage.OFFERED)


class PathStage(models.TextChoices):
    """Where an account stands on the path of the three selling dimensions (highest reached)."""

    SINGLE = "single", _("Single product")
    CROSS_PRODUCT = "cross_product", _("Cross-selling (products)")
    CROSS_ORGANISATION = "cross_organisation", _("Cross-selling (organisation)")
    UP_SELLING = "up_selling", _("Up-selling (solutions)")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")


BUNDLE_NEEDS_SOLUTION = _("A position in a solution bundle needs a solution offering.")
SITE_OF_OTHER_ACCOUNT = _("The site must belong to this key account.")
POSITION_EXISTS = _("This account already has a position for this offering at this site.")
ACCOUNT_POSITION_EXISTS = _(
    "This account already has a position for this offering for the whole account."
)
REVENUE_ABOVE_SPEND = _("The current revenue cannot exceed the customer's total spend.")


class SellingPosition(models.Model):
    """One cell of the account's whitespace matrix: an offering at a site (or the whole account),
    at a stage of the three selling dimensions, with current and potential revenue."""

    account = models.ForeignKey(
        "accounts.KeyAccount",
        verbose_name=_("key account"),
        on_delete=models.CASCADE,
        related_name="selling_positions",
    )
    offering = models.ForeignKey(
        Offering,
        verbose_name=_("offering"),
        on_delete=models.PROTECT,
        related_name="selling_positions",
    )
    site = models.ForeignKey(
        "accounts.Site",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        related_name="selling_positions",
        null=True,
        blank=True,
        help_text=_("Empty: the whole account."),
    )
    # Joint development (the third dimension) sits on the account level or at one site, once per
    # offering: a rule across rows, checked by goals.services.selling.
    stage = models.CharField(
        _("stage"), max_length=20, choices=SellingStage.choices, default=SellingStage.NOT_SOLD
    )
    current_revenue = money_field(
        _("current revenue"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    customer_spend = money_field(
        _("customer's annual spend"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("What the customer spends per year on this offering in total (the wallet)."),
    )
    main_competitor = models.CharField(_("main competitor"), max_length=200, blank=True)
    potential_revenue = money_field(
        _("potential revenue"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_month = models.DateField(
        _("expected month"),
        null=True,
        blank=True,
        help_text=_("The month the potential is expected to be won."),
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="selling_positions",
    )

    class Meta:
        verbose_name = _("selling position")
        verbose_name_plural = _("selling positions")
        ordering = ["offering__order", "offering__code", "site__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "offering", "site"],
                name="sellingposition_unique_per_site",
                violation_error_message=POSITION_EXISTS,
            ),
            # NULL never equals NULL in a unique index, so the whole-account position needs
            # its own partial constraint.
            models.UniqueConstraint(
                fields=["account", "offering"],
                condition=Q(site__isnull=True),
                name="sellingposition_unique_per_account",
                violation_error_message=ACCOUNT_POSITION_EXISTS,
            ),
            models.CheckConstraint(
                condition=Q(stage__in=SellingStage.values), name="sellingposition_stage_valid"
            ),
            models.CheckConstraint(
                condition=(
                    (Q(current_revenue__isnull=True) | Q(current_revenue__gte=0))
                    & (Q(customer_spend__isnull=True) | Q(customer_spend__gte=0))
                    & (Q(potential_revenue__isnull=True) | Q(potential_revenue__gte=0))
                ),
                name="sellingposition_money_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="sellingposition_probability_0_100",
                violation_error_message=_("The probability must be from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offering} · {self.site or _('whole account')}"

    def get_absolute_url(self) -> str:
        return reverse("goals:selling_positions", args=[self.account_id])

    def clean(self) -> None:
        errors = {}
        if (
            self.site_id is not None
            and self.account_id is not None
            and self.site.account_id != self.account_id
        ):
            errors["site"] = ValidationError(SITE_OF_OTHER_ACCOUNT, code="foreign_site")
        if (
            self.stage == SellingStage.BUNDLED
            and self.offering_id is not None
            and not self.offering.is_solution
        ):
            errors["stage"] = ValidationError(BUNDLE_NEEDS_SOLUTION, code="bundle_needs_solution")
        if (
            self.current_revenue is not None
            and self.customer_spend is not None
            and self.current_revenue > self.customer_spend
        ):
            errors["current_revenue"] = ValidationError(
                REVENUE_ABOVE_SPEND, code="revenue_above_spend"
            )
        if self.expected_month is not None and self.expected_month.day != 1:
            self.expected_month = self.expected_month.replace(day=1)
        if errors:
            raise ValidationError(errors)

    @property
    def share_of_wallet(self) -> Decimal | None:
        """Current revenue as a percentage of the customer's total spend on the offering."""
        if self.current_revenue is None or not self.customer_spend:
            return None
        return self.current_revenue / self.customer_spend * 100

    @property
    def weighted_potential(self) -> Decimal | None:
        if self.potential_revenue is None:
            return None
        return self.potential_revenue * self.probability / 100
