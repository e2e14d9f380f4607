from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from controlling.models import (
    Actual,
    ControllingRun,
    ControllingRunChunk,
    Deviation,
    DeviationComment,
    GoalRating,
    GoalResult,
    GoalState,
    HealthWeights,
    Notification,
    RecomputeMark,
    Threshold,
)


@admin.register(Actual)
class ActualAdmin(SimpleHistoryAdmin):
    list_display = ["account", "kpi", "month", "value", "source", "entered_by", "updated_at"]
    list_filter = ["kpi", "source"]
    search_fields = ["account__name", "account__customer_number"]
    list_select_related = ["account", "kpi", "entered_by"]
    raw_id_fields = ["account"]
    date_hierarchy = "month"


@admin.register(Threshold)
class ThresholdAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "kpi", "at_risk_percent", "off_track_percent"]
    list_select_related = ["kpi"]

    def has_delete_permission(self, request, obj=None):
        # The engine falls back to the global default for every KPI without an override.
        if obj is not None and obj.is_global:
            return False
        return super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the controlling run writes; editing them by hand would be overwritten anyway."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GoalResult)
class GoalResultAdmin(ReadOnlyAdmin):
    list_display = [
        "goal",
        "month",
        "plan",
        "actual",
        "deviation",
        "deviation_percent",
        "ytd_plan",
        "ytd_actual",
        "forecast",
        "attainment_percent",
        "status",
        "computed_at",
    ]
    list_filter = ["status"]
    list_select_related = ["goal"]
    search_fields = ["goal__title", "goal__plan__account__name"]
    date_hierarchy = "month"


@admin.register(GoalState)
class GoalStateAdmin(ReadOnlyAdmin):
    list_display = [
        "goal",
        "status",
        "as_of",
        "ytd_plan",
        "ytd_actual",
        "forecast",
        "attainment_percent",
        "previous_status",
        "status_changed_at",
    ]
    list_filter = ["status"]
    list_select_related = ["goal"]
    search_fields = ["goal__title", "goal__plan__account__name"]


@admin.register(GoalRating)
class GoalRatingAdmin(admin.ModelAdmin):
    list_display = ["goal", "month", "rating", "rated_by", "updated_at"]
    list_select_related = ["goal", "rated_by"]
    raw_id_fields = ["goal"]
    search_fields = ["goal__title", "goal__plan__account__name"]
    date_hierarchy = "month"


class ControllingRunChunkInline(admin.TabularInline):
    """A run's chunks, read-only: when each was queued, its last heartbeat and how often the
    reconciler queued it again."""

    model = ControllingRunChunk
    fields = ["number", "state", "queued_at", "heartbeat_at", "requeued", "finished_at", "error"]
    readonly_fields = [
        "number",
        "state",
        "queued_at",
        "heartbeat_at",
        "requeued",
        "finished_at",
        "error",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ControllingRun)
class ControllingRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "state",
        "requested_by",
        "started_at",
        "finished_at",
        "goals_done",
        "goals_total",
        "chunks_done",
        "chunks_total",
    ]
    list_filter = ["kind", "state"]
    list_select_related = ["requested_by"]
    readonly_fields = ["created_at"]
    inlines = [ControllingRunChunkInline]


@admin.register(RecomputeMark)
class RecomputeMarkAdmin(admin.ModelAdmin):
    list_display = ["account", "marked_at", "reason"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    search_fields = ["account__name", "account__customer_number"]


class DeviationCommentInline(admin.TabularInline):
    model = DeviationComment
    extra = 0
    fields = ["author", "text", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["author"]


@admin.register(Deviation)
class DeviationAdmin(admin.ModelAdmin):
    """Opened by alerts_raise and closed by countermeasures; the admin may correct the state
    (e.g. close a deviation whose countermeasure was recorded outside the app)."""

    list_display = [
        "goal",
        "from_status",
        "to_status",
        "opened_at",
        "closed_at",
        "countermeasure",
        "escalated_at",
    ]
    list_filter = ["to_status", ("closed_at", admin.EmptyFieldListFilter), "escalated_at"]
    list_select_related = ["goal", "countermeasure"]
    search_fields = ["goal__title", "goal__plan__account__name"]
    raw_id_fields = ["goal", "countermeasure"]
    readonly_fields = ["goal", "from_status", "to_status", "opened_for", "as_of", "opened_at"]
    date_hierarchy = "opened_at"
    inlines = [DeviationCommentInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "deviation", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "deviation__goal"]
    search_fields = ["recipient__username", "deviation__goal__title"]


@admin.register(HealthWeights)
class HealthWeightsAdmin(admin.ModelAdmin):
    """The one row of weights of the account health score (created by the migration)."""

    list_display = [
        "__str__",
        "goal_attainment",
        "plan_completeness",
        "stakeholder_coverage",
        "contact_freshness",
        "customer_satisfaction",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not HealthWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        # The score reads the row; without it the defaults apply, which the admin would hide.
        return False
