from django.urls import path

from . import views

app_name = "goals"

urlpatterns = [
    path("account/<int:account_pk>/", views.plan_list, name="plan_list"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/status-quo/", views.status_quo_edit, name="status_quo_edit"),
    path("<int:pk>/swot/new/", views.swot_edit, name="swot_create"),
    path("<int:pk>/swot/<int:item_pk>/edit/", views.swot_edit, name="swot_edit"),
    path("<int:pk>/swot/<int:item_pk>/delete/", views.swot_delete, name="swot_delete"),
]
