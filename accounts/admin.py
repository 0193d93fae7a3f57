from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds API tokens, from which client, until when; deleting one revokes it. Keys cannot
    be made or shown here: only their digests are stored (POST /api/auth/token/ issues them)."""

    list_display = ["user", "client", "created_at", "expires_at", "digest_prefix"]
    list_select_related = ["user"]
    search_fields = ["user__username", "client"]
    readonly_fields = ["digest_prefix", "user", "client", "created_at", "expires_at"]
    exclude = ["digest"]

    @admin.display(description=_("key digest"))
    def digest_prefix(self, token: ApiToken) -> str:
        return f"{token.digest[:8]}…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
