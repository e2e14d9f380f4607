"""The project's URLs and one view that fails, for tests/test_error_pages.py."""

from django.urls import path

from kam.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("a failing view")


urlpatterns = [*project_urlpatterns, path("broken/", broken)]
