from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .forms.selling import SellingPositionForm
from .models import (
    AccountPlan,
    FrameRule,
    GoalTemplate,
    GoalTemplateSet,
    KPIDefinition,
    Offering,
    ProductGroup,
    SeasonalProfile,
    SellingPosition,
    SwotItem,
)
from .services.selling import (
    JOINT_DEVELOPMENT_ELSEWHERE,
    joint_development_conflict,
    joint_development_where,
    selling_position_delete,
    selling_position_save,
)


@admin.register(KPIDefinition)
class KPIDefinitionAdmin(SimpleHistoryAdmin):
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
class GoalTemplateSetAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tier", "active"]
    list_filter = ["tier", "active"]
    search_fields = ["name"]
    inlines = [GoalTemplateInline]


@admin.register(FrameRule)
class FrameRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "kind",
        "tier",
        "kpi",
        "min_change_percent",
        "max_change_percent",
        "cost_cap",
        "plan_part",
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


class SellingPositionAdminForm(forms.ModelForm):
    class Meta:
        model = SellingPosition
        fields = ["account", *SellingPositionForm.Meta.fields]

    def clean(self):
        cleaned = super().clean()
        # The instance carries the form's values once ModelForm's _post_clean has run, which is
        # after clean(); check a copy with the chosen account, offering, site and stage.
        copy = SellingPosition(
            pk=self.instance.pk,
            account=cleaned.get("account"),
            offering=cleaned.get("offering"),
            stage=cleaned.get("stage"),
        )
        other = joint_development_conflict(copy) if copy.account_id and copy.offering_id else None
        if other is not None:
            where = joint_development_where(other.site)
            self.add_error("stage", JOINT_DEVELOPMENT_ELSEWHERE % {"where": where})
        return cleaned


@admin.register(SellingPosition)
class SellingPositionAdmin(SimpleHistoryAdmin):
    """For corrections by administrators; managers work in the whitespace matrix."""

    form = SellingPositionAdminForm
    list_display = [
        "account",
        "offering",
        "site",
        "stage",
        "current_revenue",
        "potential_revenue",
        "probability",
        "expected_month",
    ]
    list_filter = ["stage", "offering__kind", "offering__product_group"]
    search_fields = ["account__name", "account__customer_number", "offering__code", "site__name"]
    list_select_related = ["account", "offering", "site"]
    raw_id_fields = ["account", "site", "owner"]

    def save_model(self, request, obj, form, change):
        selling_position_save(position=obj, user=request.user)

    def delete_model(self, request, obj):
        selling_position_delete(position=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for position in queryset:
            selling_position_delete(position=position, user=request.user)
