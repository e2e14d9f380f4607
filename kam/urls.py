from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("Key account planning: administration")
admin.site.site_title = _("KAM administration")

user_patterns = [
    path("", views.user_list, name="list"),
    path("new/", views.user_create, name="create"),
    path("<int:pk>/", views.user_edit, name="edit"),
    path("<int:pk>/deactivate/", views.user_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", views.user_reactivate, name="reactivate"),
    path("<int:pk>/password-reset/", views.user_password_reset, name="password_reset"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("auth/", include("django.contrib.auth.urls")),
    path("users/", include((user_patterns, "users"))),
    path("accounts/", include("accounts.urls")),
    path("plans/", include("goals.urls")),
    path("controlling/", include("controlling.urls")),
    path("audit/", include("accounts.audit_urls")),
    path("search/", include("controlling.search_urls")),
    path("admin/", admin.site.urls),
]
