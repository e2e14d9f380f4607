from django.urls import path

from .views import plans

# area imports: GOALS
# area imports: MEASURES
# area imports: WORKFLOW
# area imports: TEMPLATES

app_name = "goals"

urlpatterns = [
    path("account/<int:account_pk>/", plans.plan_list, name="plan_list"),
    path("<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("<int:pk>/status-quo/", plans.status_quo_edit, name="status_quo_edit"),
    path("<int:pk>/swot/new/", plans.swot_edit, name="swot_create"),
    path("<int:pk>/swot/<int:item_pk>/edit/", plans.swot_edit, name="swot_edit"),
    path("<int:pk>/swot/<int:item_pk>/delete/", plans.swot_delete, name="swot_delete"),
]

# area urls: GOALS
# area urls: MEASURES
# area urls: WORKFLOW
# area urls: TEMPLATES
