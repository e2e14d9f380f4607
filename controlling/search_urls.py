"""The global search lives at /search/, outside the controlling URLs, because it spans every
app (controlling is the lowest app that may import them all)."""

from django.urls import path

from controlling.views import search

app_name = "search"

urlpatterns = [path("", search.search, name="results")]
