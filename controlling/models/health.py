"""Account health: how the score's components are weighted."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


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
    edit it in the admin. See controlling.selectors.health for the components."""

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
