from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "center", "department", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "department"]
    search_fields = ["username", "last_name", "first_name", "phone"]
    autocomplete_fields = ["center", "department"]
    list_select_related = ["center", "department"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Platform"), {"fields": ["role", "center", "department", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Platform"), {"fields": ["role", "center", "department", "phone"]}),
    ]
