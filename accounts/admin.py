from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    PortfolioCriterion,
    PortfolioScore,
    PortfolioScoring,
    Site,
    Stakeholder,
)


class TeamInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class MarketStageInline(admin.TabularInline):
    model = MarketStage
    extra = 0


@admin.register(KeyAccount)
class KeyAccountAdmin(SimpleHistoryAdmin):
    list_display = ["name", "customer_number", "tier", "owner", "country", "status"]
    list_filter = ["tier", "status", "country"]
    search_fields = ["name", "customer_number"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "parent"]
    inlines = [TeamInline, SiteInline, MarketStageInline]

    def has_delete_permission(self, request, obj=None):
        # Accounts are archived, never deleted: plans and actuals hang on them.
        return False

    def get_readonly_fields(self, request, obj=None):
        # An axis with active criteria comes from the portfolio scoring, as in the app's form.
        scored = PortfolioCriterion.objects.filter(active=True).values_list("axis", flat=True)
        return [*super().get_readonly_fields(request, obj), *sorted(set(scored))]


@admin.register(Stakeholder)
class StakeholderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "account", "buying_role", "influence", "attitude"]
    list_filter = ["buying_role", "attitude", "interaction_level"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "relationship_owner"]


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "account", "author"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    list_select_related = ["account", "author"]
    autocomplete_fields = ["account", "author", "stakeholders"]


@admin.register(PortfolioCriterion)
class PortfolioCriterionAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_de", "axis", "weight", "order", "active"]
    list_display_links = ["name_en"]
    list_editable = ["weight", "order", "active"]
    list_filter = ["axis", "active"]
    search_fields = ["name_en", "name_de", "description"]

    def has_delete_permission(self, request, obj=None):
        # Scored criteria stay for the history (the scores protect them); deactivate instead.
        if obj is not None and obj.scores.exists():
            return False
        return super().has_delete_permission(request, obj)


class PortfolioScoreInline(admin.TabularInline):
    model = PortfolioScore
    extra = 0
    fields = ("criterion", "score", "weight")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PortfolioScoring)
class PortfolioScoringAdmin(admin.ModelAdmin):
    """History, read-only: scorings are made on the account's scoring page by the service."""

    list_display = ["account", "scored_at", "scored_by", "attractiveness", "relative_strength"]
    list_select_related = ["account", "scored_by"]
    date_hierarchy = "scored_at"
    search_fields = ["account__name", "account__customer_number"]
    inlines = [PortfolioScoreInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
