from datetime import date, timedelta
from decimal import Decimal
from typing import overload

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from kam.models import name_in_language


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic account")
    KEY = "key", _("Key account")
    DEVELOPMENT = "development", _("Development account")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    ARCHIVED = "archived", _("Archived")


class Currency(models.TextChoices):
    EUR = "EUR", _("Euro (EUR)")
    USD = "USD", _("US dollar (USD)")
    GBP = "GBP", _("Pound sterling (GBP)")
    CHF = "CHF", _("Swiss franc (CHF)")
    SEK = "SEK", _("Swedish krona (SEK)")
    PLN = "PLN", _("Polish złoty (PLN)")
    CNY = "CNY", _("Chinese yuan (CNY)")
    JPY = "JPY", _("Japanese yen (JPY)")


def score_field(verbose_name, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class KeyAccountQuerySet(models.QuerySet["KeyAccount"]):
    def visible_to(self, user) -> "KeyAccountQuerySet":
        """The one visibility rule: leadership and admins see all, a manager their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self
        team = AccountTeamMember.objects.filter(user=user).values("account_id")
        return self.filter(Q(owner=user) | Q(pk__in=team))

    def editable_by(self, user) -> "KeyAccountQuerySet":
        if not user.is_authenticated or user.is_read_only:
            return self.none()
        return self.visible_to(user)

    def not_archived(self) -> "KeyAccountQuerySet":
        return self.exclude(status=AccountStatus.ARCHIVED)

    def with_customer_numbers(self, numbers) -> "KeyAccountQuerySet":
        """The accounts with these customer numbers, trimmed and regardless of case (through
        the index of the unique constraint); key the result by `customer_number_key`."""
        keys = {customer_number_key(n) for n in numbers}
        return self.alias(number_key=Lower("customer_number")).filter(number_key__in=keys)


def customer_number_key(number: str) -> str:
    """What makes two customer numbers the same: no surrounding spaces, case ignored (as the
    database's LOWER, which the unique constraint uses)."""
    return number.strip().lower()


# The one answer to a customer number that is taken, whether or not the user can see the
# account holding it, so the form reveals nothing about accounts outside the user's reach.
CUSTOMER_NUMBER_UNUSABLE = _("This customer number cannot be used.")


class KeyAccount(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # Unique regardless of case (a constraint on its lower case, below); stored trimmed.
    customer_number = models.CharField(_("customer number"), max_length=40)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.KEY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("key account manager"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="AccountTeamMember",
        related_name="team_accounts",
        verbose_name=_("account team"),
        blank=True,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The customer group this account belongs to."),
    )
    country = CountryField(_("country"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    attractiveness = score_field(
        _("account attractiveness"), _("Portfolio score 0-100: how attractive the account is.")
    )
    relative_strength = score_field(
        _("relative strength"),
        _("Portfolio score 0-100: our strength at this account relative to competitors."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = KeyAccountQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("key account")
        verbose_name_plural = _("key accounts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attractiveness__isnull=True) | Q(attractiveness__lte=100),
                name="keyaccount_attractiveness_0_100",
            ),
            models.CheckConstraint(
                condition=Q(relative_strength__isnull=True) | Q(relative_strength__lte=100),
                name="keyaccount_relative_strength_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="keyaccount_not_own_parent"
            ),
            models.UniqueConstraint(
                Lower("customer_number"),
                name="keyaccount_customer_number_unique",
                violation_error_message=CUSTOMER_NUMBER_UNUSABLE,
            ),
        ]
        # Lists and the dashboard page through accounts by name, case-insensitively.
        indexes = [models.Index(Lower("name"), models.F("id"), name="keyaccount_name_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_number})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:detail", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.status == AccountStatus.ARCHIVED

    def clean(self) -> None:
        super().clean()
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("An account cannot be its own parent, directly or indirectly.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class TeamRole(models.TextChoices):
    SALES = "sales", _("Sales support")
    INSIDE_SALES = "inside_sales", _("Inside sales")
    TECHNICAL = "technical", _("Application engineering")
    SERVICE = "service", pgettext_lazy("account team role", "Service")
    LOGISTICS = "logistics", _("Logistics")
    EXECUTIVE = "executive", _("Executive sponsor")


class AccountTeamMember(models.Model):
    account = models.ForeignKey(KeyAccount, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
    )
    role = models.CharField(_("role on the team"), max_length=20, choices=TeamRole.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"],
                name="unique_team_member",
                violation_error_message=_("This user is already on the account team."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:team", args=[self.account_id])


class Site(models.Model):
    """A site of the customer: the basis of cross-selling to other sites, regions, countries."""

    account = models.ForeignKey(KeyAccount, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True)
    country = CountryField(_("country"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer site")
        verbose_name_plural = _("customer sites")
        ordering = ["country", "region", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"],
                name="unique_site_name_per_account",
                violation_error_message=_("This account already has a site with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:sites", args=[self.account_id])


class BuyingCentreRole(models.TextChoices):
    DECISION_MAKER = "decider", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", pgettext_lazy("buying-centre role", "User")
    BUYER = "buyer", _("Buyer")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Attitude(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class InteractionLevel(models.TextChoices):
    OPERATIVE = "operative", _("Operative")
    TACTICAL = "tactical", _("Tactical")
    STRATEGIC = "strategic", _("Strategic")


class StakeholderQuerySet(models.QuerySet["Stakeholder"]):
    def with_last_contact(self) -> "StakeholderQuerySet":
        return self.annotate(last_contact=models.Max("interactions__date"))


class Stakeholder(models.Model):
    """A person in the customer's buying centre."""

    account = models.ForeignKey(KeyAccount, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    buying_role = models.CharField(
        _("buying-centre role"), max_length=20, choices=BuyingCentreRole.choices
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (low) to 5 (decisive)."),
    )
    attitude = models.CharField(
        _("attitude"), max_length=20, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    interaction_level = models.CharField(
        _("interaction level"),
        max_length=20,
        choices=InteractionLevel.choices,
        default=InteractionLevel.OPERATIVE,
    )
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_relationships",
    )
    contact_interval_days = models.PositiveSmallIntegerField(
        _("desired contact interval (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    notes = models.TextField(_("notes"), blank=True)

    # The date of the latest interaction, set on the rows of `with_last_contact()` only.
    last_contact: date | None

    objects = StakeholderQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        ordering = ["-influence", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1, influence__lte=5),
                name="stakeholder_influence_1_5",
            ),
            models.CheckConstraint(
                condition=Q(contact_interval_days__gte=1), name="stakeholder_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:stakeholder_detail", args=[self.account_id, self.pk])

    @overload
    def next_contact_due(self, last_contact: date) -> date: ...
    @overload
    def next_contact_due(self, last_contact: None) -> None: ...
    def next_contact_due(self, last_contact: date | None) -> date | None:
        if last_contact is None:
            return None
        return last_contact + timedelta(days=self.contact_interval_days)

    def contact_overdue(self, last_contact: date | None, today: date | None = None) -> bool:
        """Overdue when the interval has passed since the last contact, or there was none."""
        if last_contact is None:
            return True
        return (today or timezone.localdate()) > self.next_contact_due(last_contact)

    @property
    def is_contact_overdue(self) -> bool:
        """Needs `with_last_contact()`; pages annotate so a list costs one query."""
        return self.contact_overdue(self.last_contact)


class InteractionKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Site visit")
    CALL = "call", _("Phone call")
    VIDEO = "video", _("Video call")
    EMAIL = "email", _("E-mail")
    EVENT = "event", _("Event")


class Interaction(models.Model):
    account = models.ForeignKey(KeyAccount, on_delete=models.CASCADE, related_name="interactions")
    date = models.DateField(_("date"), default=timezone.localdate)
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    stakeholders = models.ManyToManyField(
        Stakeholder, verbose_name=_("stakeholders met"), related_name="interactions"
    )
    summary = models.TextField(_("summary"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-date", "-created_at"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:interactions", args=[self.account_id])


class MarketStage(models.Model):
    """A market stage after the customer (its customers, end users): the pull side."""

    account = models.ForeignKey(KeyAccount, on_delete=models.CASCADE, related_name="market_stages")
    position = models.PositiveSmallIntegerField(
        _("position"), default=1, help_text=_("1 = the customer's direct customers.")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    pull_activities = models.TextField(
        _("our pull activities"),
        blank=True,
        help_text=_("How we market to this stage so it asks the key account for our products."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("downstream market stage")
        verbose_name_plural = _("downstream market stages")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:market_stages", args=[self.account_id])


class PortfolioAxis(models.TextChoices):
    """The two dimensions of McDonald's key account portfolio; values name the account field."""

    ATTRACTIVENESS = "attractiveness", _("Account attractiveness")
    RELATIVE_STRENGTH = "relative_strength", _("Relative strength")


class PortfolioQuadrant(models.TextChoices):
    """McDonald and Woodburn's four key account categories; the axes split at the midpoint."""

    STRATEGIC = "strategic", _("Key strategic accounts")
    DEVELOPMENT = "development", _("Key development accounts")
    STATUS = "status", _("Key status accounts")
    STREAMLINE = "streamline", _("Key streamline accounts")

    @classmethod
    def of(cls, attractiveness: int | None, strength: int | None) -> "PortfolioQuadrant | None":
        """The quadrant of a position; a value on the midpoint counts as high."""
        if attractiveness is None or strength is None:
            return None
        attractive = attractiveness >= PORTFOLIO_MIDPOINT
        strong = strength >= PORTFOLIO_MIDPOINT
        if attractive:
            return cls.STRATEGIC if strong else cls.DEVELOPMENT
        return cls.STATUS if strong else cls.STREAMLINE


PORTFOLIO_MIDPOINT = 50


class PortfolioCriterion(models.Model):
    """A factor that managers score per account (1-10); weighted, it moves one portfolio axis."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120, blank=True)
    axis = models.CharField(_("axis"), max_length=20, choices=PortfolioAxis.choices)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Relative to the other criteria of the same axis; only the ratio counts."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Only active criteria are scored and count towards the axis."),
    )
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What a 1 and a 10 mean, shown when scoring.")
    )

    class Meta:
        verbose_name = _("portfolio criterion")
        verbose_name_plural = _("portfolio criteria")
        ordering = ["axis", "order", "name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="portfoliocriterion_weight_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(axis__in=PortfolioAxis.values), name="portfoliocriterion_axis_valid"
            ),
            models.UniqueConstraint(
                fields=["axis", "name_en"],
                name="portfoliocriterion_unique_name",
                violation_error_message=_("This axis already has a criterion with this name."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def get_absolute_url(self) -> str:
        # Configured by administrators only, so its page is the admin's change form.
        return reverse("admin:accounts_portfoliocriterion_change", args=[self.pk])

    @property
    def name(self) -> str:
        """The name in the active language; English when German is missing or not active."""
        return name_in_language(self.name_en, self.name_de)


class PortfolioScoring(models.Model):
    """One scoring of an account on every active criterion; kept, so the history shows moves."""

    account = models.ForeignKey(
        KeyAccount, on_delete=models.CASCADE, related_name="portfolio_scorings"
    )
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scored by"),
        on_delete=models.PROTECT,
        related_name="portfolio_scorings",
    )
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # The weighted results as computed at the time, so later changes of weights or criteria
    # do not rewrite history; empty when the axis had no active criterion.
    attractiveness = score_field(_("account attractiveness"), "")
    relative_strength = score_field(_("relative strength"), "")

    class Meta:
        verbose_name = _("portfolio scoring")
        verbose_name_plural = _("portfolio scorings")
        ordering = ["-scored_at", "-pk"]
        indexes = [models.Index(fields=["account", "-scored_at"], name="portfolioscoring_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(attractiveness__isnull=True) | Q(attractiveness__lte=100),
                name="portfolioscoring_attractiveness_0_100",
            ),
            models.CheckConstraint(
                condition=Q(relative_strength__isnull=True) | Q(relative_strength__lte=100),
                name="portfolioscoring_relative_strength_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.name} {self.scored_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:scoring", args=[self.account_id])


class PortfolioScore(models.Model):
    scoring = models.ForeignKey(PortfolioScoring, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        PortfolioCriterion,
        verbose_name=_("criterion"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    # The criterion's weight when scored, so the history can be explained later.
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("portfolio score")
        verbose_name_plural = _("portfolio scores")
        ordering = ["criterion__axis", "criterion__order", "criterion__name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=10), name="portfolioscore_score_1_10"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="portfolioscore_weight_gt_0"),
            models.UniqueConstraint(
                fields=["scoring", "criterion"], name="portfolioscore_unique_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"
