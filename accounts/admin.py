from django.contrib import admin

from .models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
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
class KeyAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_number", "tier", "owner", "country", "status"]
    list_filter = ["tier", "status", "country"]
    search_fields = ["name", "customer_number"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "parent"]
    inlines = [TeamInline, SiteInline, MarketStageInline]

    def has_delete_permission(self, request, obj=None):
        # Accounts are archived, never deleted: plans and actuals hang on them.
        return False


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "buying_role", "influence", "attitude"]
    list_filter = ["buying_role", "attitude", "interaction_level"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "relationship_owner"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "account", "author"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    list_select_related = ["account", "author"]
    autocomplete_fields = ["account", "author", "stakeholders"]
