from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Actual


@admin.register(Actual)
class ActualAdmin(SimpleHistoryAdmin):
    list_display = ["account", "kpi", "month", "value", "source", "entered_by", "updated_at"]
    list_filter = ["kpi", "source"]
    search_fields = ["account__name", "account__customer_number"]
    list_select_related = ["account", "kpi", "entered_by"]
    raw_id_fields = ["account"]
    date_hierarchy = "month"
