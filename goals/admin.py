from django.contrib import admin

from .models import KPIDefinition


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
