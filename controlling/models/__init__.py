"""The controlling app's models, one module per subdomain; import them from here."""

# In dependency order, which is also the order the models register in.
# isort: off
from .actuals import Actual, ActualImport, ActualImportChange, ActualSource, ImportStatus
from .results import (
    DEFAULT_AT_RISK_PERCENT,
    DEFAULT_OFF_TRACK_PERCENT,
    STATUS_SEVERITY,
    GoalRating,
    GoalResult,
    GoalState,
    GoalStatus,
    Threshold,
    amount_field,
    percent_field,
    ratio_field,
)
from .runs import ChunkState, ControllingRun, ControllingRunChunk, RecomputeMark, RunKind, RunState
from .figures import SERIES_CODES, AccountFigures, SellingFigures, series_field
from .alerts import (
    PLAN_KINDS,
    Deviation,
    DeviationComment,
    Notification,
    NotificationKind,
    NotificationMode,
    NotificationPreference,
)
from .health import HealthWeights, weight_field
from .exports import EXPORT_START_WITHIN, DashboardExport, ExportState
# isort: on

__all__ = [
    # actuals
    "ActualSource",
    "Actual",
    "ImportStatus",
    "ActualImport",
    "ActualImportChange",
    # results
    "GoalStatus",
    "STATUS_SEVERITY",
    "DEFAULT_AT_RISK_PERCENT",
    "DEFAULT_OFF_TRACK_PERCENT",
    "percent_field",
    "Threshold",
    "amount_field",
    "ratio_field",
    "GoalResult",
    "GoalState",
    "GoalRating",
    # runs
    "RunKind",
    "RunState",
    "ControllingRun",
    "RecomputeMark",
    "ChunkState",
    "ControllingRunChunk",
    # figures
    "AccountFigures",
    "SERIES_CODES",
    "series_field",
    "SellingFigures",
    # alerts
    "Deviation",
    "DeviationComment",
    "NotificationKind",
    "NotificationMode",
    "NotificationPreference",
    "PLAN_KINDS",
    "Notification",
    # health
    "weight_field",
    "HealthWeights",
    # exports
    "ExportState",
    "EXPORT_START_WITHIN",
    "DashboardExport",
]
