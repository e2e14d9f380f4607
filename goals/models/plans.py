"""Account plans: the plan of an account for a fiscal year with its status quo, the rated
SWOT findings and the history of its status changes."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.fiscal import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR, fiscal_year_bounds
from kam.models import User


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
    # Who makes the next change, set before saving; simple-history records it.
    _history_user: User

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
