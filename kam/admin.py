from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    search_fields = ["username", "first_name", "last_name", "email"]
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Key account management"), {"fields": ["role", "language"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Key account management"), {"fields": ["role", "first_name", "last_name", "email"]}),
    ]
