"""Goals: how a goal is classified (shared with goal templates), the goals of a plan and
their monthly targets."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .plans import money_field


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
        "goals.KPIDefinition",
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
        "goals.AccountPlan",
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        related_name="goals",
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
