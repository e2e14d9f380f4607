"""The audit page lives at /audit/, outside the accounts' URLs, because it spans every app."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [path("", views.audit, name="list")]
