"""The dashboard figures: per-account sums the leadership dashboard adds up, and the
version counter of their writes."""

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from goals.models import PathStage


class AccountFigures(models.Model):
    """What the leadership dashboard adds up, per account and fiscal year, as of the account's
    last controlling run (controlling.services.figures.figures_refresh): the dashboard sums one
    row per account instead of every goal, target, actual and measure of the portfolio.

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
