import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    Site,
    Stakeholder,
)
from goals.models import (
    AccountPlan,
    FrameRule,
    Goal,
    GoalKind,
    GoalTemplate,
    GoalTemplateSet,
    KPIDefinition,
    Measure,
    MonthlyTarget,
    SeasonalProfile,
    SwotItem,
)
from kam.models import Role, User
from kam.services import user_role_apply


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.MANAGER
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class LeadershipFactory(UserFactory):
    role = Role.LEADERSHIP


class AdminFactory(UserFactory):
    """An administrator by role, not a superuser: the admin site opens through the group
    "Administrators", which the role brings (kam.services.user_role_apply)."""

    role = Role.ADMIN

    @factory.post_generation
    def role_access(self, create, extracted, **kwargs):
        if create:
            user_role_apply(user=self)


class SuperuserFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class KeyAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyAccount

    name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    customer_number = factory.Sequence(lambda n: f"K-{n:05d}")
    industry = "Mechanical engineering"
    tier = "key"
    owner = factory.SubFactory(UserFactory)
    country = "DE"
    currency = "EUR"
    attractiveness = 60
    relative_strength = 40


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(KeyAccountFactory)
    user = factory.SubFactory(UserFactory)
    role = "technical"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    account = factory.SubFactory(KeyAccountFactory)
    name = factory.Sequence(lambda n: f"Plant {n}")
    city = "Bremen"
    region = "North"
    country = "DE"


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    account = factory.SubFactory(KeyAccountFactory)
    name = factory.Faker("name")
    title = "Head of Purchasing"
    department = "Purchasing"
    buying_role = "buyer"
    influence = 3
    attitude = "neutral"
    interaction_level = "tactical"
    contact_interval_days = 30


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction
        skip_postgeneration_save = True

    account = factory.SubFactory(KeyAccountFactory)
    date = factory.LazyFunction(timezone.localdate)
    kind = "meeting"
    summary = "Quarterly review."
    author = factory.SelfAttribute("account.owner")

    @factory.post_generation
    def stakeholders(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.stakeholders.set(extracted)


class MarketStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketStage

    account = factory.SubFactory(KeyAccountFactory)
    position = 1
    name = factory.Sequence(lambda n: f"End market {n}")
    description = "Machine builders"
    pull_activities = "Application days"


class AccountPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountPlan

    account = factory.SubFactory(KeyAccountFactory)
    fiscal_year = factory.Sequence(lambda n: 2030 + n % 70)
    created_by = factory.SelfAttribute("account.owner")


class SwotItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SwotItem

    plan = factory.SubFactory(AccountPlanFactory)
    kind = "strength"
    text = factory.Sequence(lambda n: f"Finding {n}")
    impact = 3
    probability = 3


def revenue_kpi() -> KPIDefinition:
    """The starter catalogue's revenue KPI; recreated where a transactional test flushed it."""
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="revenue",
        defaults={
            "name_en": "Revenue",
            "name_de": "Umsatz",
            "unit": "currency",
            "direction": "higher",
            "rollup": "sum",
            "source": "entered",
        },
    )
    return kpi


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal
        skip_postgeneration_save = True

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Grow revenue {n}")
    kind = GoalKind.QUANTITATIVE
    kpi = factory.LazyFunction(revenue_kpi)
    baseline = Decimal("1000000.00")
    annual_target = Decimal("1200000.00")
    perspective = "finance"
    goal_area = "competitive_position"
    owner = factory.SelfAttribute("plan.account.owner")
    weight = 10


class QualitativeGoalFactory(GoalFactory):
    kind = GoalKind.QUALITATIVE
    kpi = None
    baseline = None
    annual_target = None
    target_rating = 4
    criteria = "Customer rates our care in the annual survey."
    perspective = "customer"
    goal_area = "care_quality"


class MonthlyTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyTarget

    goal = factory.SubFactory(GoalFactory)
    month = datetime.date(2027, 1, 1)
    value = Decimal("100000.00")


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure
        skip_postgeneration_save = True

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Application day {n}")
    instrument = "communication"
    owner = factory.SelfAttribute("plan.account.owner")
    start_date = datetime.date(2027, 1, 15)
    due_date = datetime.date(2027, 3, 31)
    planned_cost = Decimal("5000.00")
    actual_cost = Decimal("0.00")

    @factory.post_generation
    def goals(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.goals.set(extracted)


class SeasonalProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonalProfile

    name = factory.Sequence(lambda n: f"Profile {n}")
    weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


class GoalTemplateSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoalTemplateSet

    name = factory.Sequence(lambda n: f"Standard set {n}")
    tier = "key"


class GoalTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoalTemplate

    template_set = factory.SubFactory(GoalTemplateSetFactory)
    title = factory.Sequence(lambda n: f"Revenue growth {n}")
    kind = GoalKind.QUANTITATIVE
    kpi = factory.LazyFunction(revenue_kpi)
    growth_percent = Decimal("5.00")
    perspective = "finance"
    goal_area = "competitive_position"


class FrameRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrameRule

    kind = "target_bounds"
    kpi = factory.LazyFunction(revenue_kpi)
    min_change_percent = Decimal("3.00")


class ActualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "controlling.Actual"

    account = factory.SubFactory(KeyAccountFactory)
    kpi = factory.LazyFunction(revenue_kpi)
    month = datetime.date(2027, 1, 1)
    value = Decimal("100000.00")


class ProductGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.ProductGroup"

    code = factory.Sequence(lambda n: f"group_{n}")
    name_en = factory.Sequence(lambda n: f"Drive group {n}")
    name_de = factory.Sequence(lambda n: f"Antriebsgruppe {n}")


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.Offering"

    code = factory.Sequence(lambda n: f"offering_{n}")
    name_en = factory.Sequence(lambda n: f"Gear motor {n}")
    name_de = factory.Sequence(lambda n: f"Getriebemotor {n}")
    kind = "product"
    product_group = factory.SubFactory(ProductGroupFactory)


class SellingPositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.SellingPosition"

    account = factory.SubFactory(KeyAccountFactory)
    offering = factory.SubFactory(OfferingFactory)
    stage = "sold"
    current_revenue = Decimal("40000.00")
    customer_spend = Decimal("100000.00")
    potential_revenue = Decimal("30000.00")
    probability = 50


class PortfolioCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.PortfolioCriterion"

    name_en = factory.Sequence(lambda n: f"Criterion {n}")
    name_de = factory.Sequence(lambda n: f"Kriterium {n}")
    axis = "attractiveness"
    weight = Decimal("1.00")
