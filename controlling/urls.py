from django.urls import path

from . import views

app_name = "controlling"

urlpatterns = [
    path("plans/<int:pk>/actuals/", views.plan_actuals, name="plan_actuals"),
]
