from django.urls import path

from . import views

app_name = "controlling"

urlpatterns = [
    path("plans/<int:pk>/actuals/", views.plan_actuals, name="plan_actuals"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rollback/", views.import_rollback, name="import_rollback"),
]
