"""The goals app's models, one module per subdomain; import them from here."""

# In dependency order, which is also the order the models register in.
# isort: off
from .kpis import (
    Direction,
    KPIDefinition,
    Rollup,
    Source,
    Unit,
    code_validator,
    is_better,
    meets,
    roll_up,
)
from .plans import (
    PLAN_EXISTS_MESSAGE,
    AccountPlan,
    PlanStatus,
    PlanTransition,
    SwotItem,
    SwotKind,
    money_field,
    rating_field,
)
from .goals import (
    Goal,
    GoalArea,
    GoalKind,
    GoalShape,
    Horizon,
    MonthlyTarget,
    Perspective,
    RelationshipPerspective,
    SellingDimension,
)
from .measures import Instrument, Measure, MeasureStatus
from .templates import (
    FrameRule,
    FrameRuleKind,
    GoalTemplate,
    GoalTemplateSet,
    PlanPart,
    SeasonalProfile,
    twelve_weights_validator,
)
from .selling import (
    ACCOUNT_POSITION_EXISTS,
    BUNDLE_NEEDS_SOLUTION,
    OPEN_STAGES,
    POSITION_EXISTS,
    REVENUE_ABOVE_SPEND,
    SITE_OF_OTHER_ACCOUNT,
    SOLD_STAGES,
    Offering,
    OfferingKind,
    PathStage,
    ProductGroup,
    SellingPosition,
    SellingStage,
)
# isort: on

__all__ = [
    # kpis
    "Unit",
    "Direction",
    "Rollup",
    "Source",
    "roll_up",
    "is_better",
    "meets",
    "code_validator",
    "KPIDefinition",
    # plans
    "money_field",
    "PlanStatus",
    "PLAN_EXISTS_MESSAGE",
    "AccountPlan",
    "SwotKind",
    "rating_field",
    "SwotItem",
    "PlanTransition",
    # goals
    "GoalKind",
    "Perspective",
    "GoalArea",
    "RelationshipPerspective",
    "Horizon",
    "SellingDimension",
    "GoalShape",
    "Goal",
    "MonthlyTarget",
    # measures
    "Instrument",
    "MeasureStatus",
    "Measure",
    # templates
    "twelve_weights_validator",
    "SeasonalProfile",
    "GoalTemplateSet",
    "GoalTemplate",
    "FrameRuleKind",
    "FrameRule",
    "PlanPart",
    # selling
    "ProductGroup",
    "OfferingKind",
    "Offering",
    "SellingStage",
    "SOLD_STAGES",
    "OPEN_STAGES",
    "PathStage",
    "BUNDLE_NEEDS_SOLUTION",
    "SITE_OF_OTHER_ACCOUNT",
    "POSITION_EXISTS",
    "ACCOUNT_POSITION_EXISTS",
    "REVENUE_ABOVE_SPEND",
    "SellingPosition",
]
