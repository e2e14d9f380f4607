from django.contrib import admin

from .models import AccountPlan, KPIDefinition, SwotItem


@admin.register(KPIDefinition)
class KPIDefinitionAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_en",
        "name_de",
        "unit",
        "direction",
        "rollup",
        "source",
        "order",
        "active",
    ]
    list_display_links = ["code"]
    list_editable = ["order", "active"]
    list_filter = ["unit", "direction", "rollup", "source", "active"]
    search_fields = ["code", "name_en", "name_de", "description"]
    fieldsets = [
        (None, {"fields": ["code", "name_en", "name_de", "description"]}),
        (None, {"fields": ["unit", "direction", "rollup", "source"]}),
        (None, {"fields": ["order", "active"]}),
    ]


class SwotItemInline(admin.TabularInline):
    model = SwotItem
    extra = 0


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ["account", "fiscal_year", "status", "updated_at"]
    list_filter = ["status", "fiscal_year"]
    search_fields = ["account__name", "account__customer_number"]
    raw_id_fields = ["account", "created_by"]
    inlines = [SwotItemInline]
