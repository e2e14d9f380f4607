"""Goal templates with seasonal profiles, the default goals of new plans per tier, and the
strategic frame every submitted plan is checked against."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Tier

from .goals import GoalKind, GoalShape
from .plans import money_field


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

    history = HistoricalRecords()

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

    history = HistoricalRecords()

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
    COMPLETE_PART = "complete_part", _("Mandatory part of the plan")


class PlanPart(models.TextChoices):
    """The parts of a plan the completeness check looks at (see `goals.services.frame`)."""

    STATUS_QUO = "status_quo", _("Status quo")
    SWOT = "swot", _("SWOT (opportunities and risks)")
    GOALS = "goals", _("Goals")
    TARGETS = "targets", _("Monthly targets of quantitative goals")
    MEASURES = "measures", _("Measures")


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
        "goals.KPIDefinition",
        verbose_name=_("KPI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
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
    plan_part = models.CharField(
        _("plan part"),
        max_length=20,
        choices=PlanPart.choices,
        blank=True,
        help_text=_("For a mandatory part: which part of the plan must not be missing."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("reason"), max_length=300, blank=True)

    history = HistoricalRecords()

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
            models.CheckConstraint(
                condition=~Q(kind=FrameRuleKind.COMPLETE_PART) | Q(plan_part__in=PlanPart.values),
                name="framerule_complete_part_names_part",
                violation_error_message=_("A mandatory part needs the part of the plan."),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == FrameRuleKind.COMPLETE_PART:
            return f"{self.get_kind_display()}: {self.get_plan_part_display()}"
        return f"{self.get_kind_display()}: {self.kpi or self.cost_cap}"
