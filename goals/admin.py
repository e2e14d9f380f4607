from django import forms
from django.contrib import admin

from .models import (
    AccountPlan,
    FrameRule,
    GoalTemplate,
    GoalTemplateSet,
    KPIDefinition,
    Offering,
    ProductGroup,
    SeasonalProfile,
    SwotItem,
)


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


@admin.register(SeasonalProfile)
class SeasonalProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "weights"]
    search_fields = ["name"]


class GoalTemplateInline(admin.StackedInline):
    model = GoalTemplate
    extra = 0
    fields = [
        ("title", "kind", "order"),
        ("kpi", "growth_percent", "seasonal_profile"),
        ("target_rating", "criteria"),
        ("perspective", "goal_area", "weight"),
        ("relationship_perspective", "horizon", "selling_dimension"),
    ]


@admin.register(GoalTemplateSet)
class GoalTemplateSetAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "active"]
    list_filter = ["tier", "active"]
    search_fields = ["name"]
    inlines = [GoalTemplateInline]


@admin.register(FrameRule)
class FrameRuleAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "tier",
        "kpi",
        "min_change_percent",
        "max_change_percent",
        "cost_cap",
        "active",
    ]
    list_filter = ["kind", "tier", "active"]
    list_select_related = ["kpi"]


@admin.register(ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_de", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name_en", "name_de"]


class OfferingAdminForm(forms.ModelForm):
    class Meta:
        model = Offering
        fields = [
            "code",
            "name_en",
            "name_de",
            "kind",
            "product_group",
            "components",
            "order",
            "active",
        ]

    def clean(self):
        cleaned = super().clean()
        if "components" in cleaned and "kind" in cleaned:
            try:
                # The instance gets the form's values only after clean(), so check a copy.
                offering = Offering(pk=self.instance.pk, kind=cleaned["kind"])
                offering.clean_components(cleaned["components"])
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    form = OfferingAdminForm
    list_display = ["code", "name_en", "name_de", "kind", "product_group", "order", "active"]
    list_display_links = ["code"]
    list_editable = ["order", "active"]
    list_filter = ["kind", "product_group", "active"]
    search_fields = ["code", "name_en", "name_de"]
    list_select_related = ["product_group"]
    filter_horizontal = ["components"]
    fieldsets = [
        (None, {"fields": ["code", "name_en", "name_de", "kind", "product_group"]}),
        (None, {"fields": ["components"]}),
        (None, {"fields": ["order", "active"]}),
    ]
