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
