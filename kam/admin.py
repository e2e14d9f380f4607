from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User
from .services import user_role_apply


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

    # Only a superuser hands out superuser, staff, groups and single permissions; the staff
    # flag and the administrators' group follow the role (kam.services.user_role_apply).
    superuser_fields = ["is_superuser", "is_staff", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += self.superuser_fields
        return fields

    def has_change_permission(self, request, obj=None):
        # An administrator who could change a superuser's password could become one.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        # After the form's groups are saved, which would otherwise undo the role's group.
        super().save_related(request, form, formsets, change)
        user_role_apply(user=form.instance)


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
