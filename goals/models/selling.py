"""Offerings and selling positions: the product groups and offerings catalogue and the
account's whitespace matrix along the three selling dimensions."""

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.models import name_in_language

from .kpis import code_validator
from .plans import money_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
        return name_in_language(self.name_en, self.name_de)


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
        return name_in_language(self.name_en, self.name_de)

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

    # Set on the positions of a page by `goals.selectors.pipeline.with_dimensions`.
    dimension: int
    dimension_label: "StrOrPromise"

    history = HistoricalRecords()

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
            and self.site is not None
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
