"""The KPI catalogue: key figures with their unit, direction and roll-up, and the rules
that combine and compare their values."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.models import name_in_language


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

    history = HistoricalRecords()

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
        return name_in_language(self.name_en, self.name_de)

    @property
    def is_computed(self) -> bool:
        return self.source == Source.COMPUTED

    def roll_up(self, values: Iterable[Decimal | None]) -> Decimal | None:
        return roll_up(self.rollup, values)

    def is_better(self, actual: Decimal | None, target: Decimal | None) -> bool:
        return is_better(self.direction, actual, target)

    def meets(self, actual: Decimal | None, target: Decimal | None) -> bool:
        return meets(self.direction, actual, target)
