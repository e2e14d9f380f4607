from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Role, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    search_fields = ["username", "first_name", "last_name", "email"]
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (_("Key account management"), {"fields": ["role", "language"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Key account management"), {"fields": ["role", "first_name", "last_name", "email"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The administrator role is what opens this admin site; keep the flag in step.
        if obj.role == Role.ADMIN:
            obj.is_staff = True
        super().save_model(request, obj, form, change)


class AdministratorsOnly:
    """Login throttling's records are the administrators' (role admin, or superuser), whatever
    model permissions their login holds: they read them, and lift a lock by deleting its
    access attempts."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_administrator

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessLog)


@admin.register(AccessAttempt)
class LockoutAdmin(AdministratorsOnly, AccessAttemptAdmin):
    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(AccessLog)
class LoginLogAdmin(AdministratorsOnly, AccessLogAdmin):
    def has_delete_permission(self, request, obj=None):
        return False
