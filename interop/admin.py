from django.contrib import admin, messages
from django.utils.translation import gettext as _

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from . import open311
from .models import HotlineAttempt, HotlineCallback, HotlineOrder, Open311Client, Open311Request


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Applications allowed to post Open311 requests. Adding one makes its service account and API
    key; the key is shown once, on the page after saving."""

    list_display = ["name", "key_prefix", "account", "active", "created_at"]
    list_filter = ["active"]
    fields = ["name", "active"]
    readonly_fields = ["key_prefix", "account", "created_at"]

    def get_fields(self, request, obj=None):
        return ["name", "active"] if obj is None else ["name", "key_prefix", "account", "active", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        client, key = open311.client_create(name=obj.name)
        obj.pk = client.pk
        obj.__dict__.update(client.__dict__)
        messages.warning(
            request, _("The API key of %(name)s, shown this once: %(key)s") % {"name": client.name, "key": key}
        )

    def has_delete_permission(self, request, obj=None):
        return False  # its requests name it: deactivate it instead


@admin.register(Open311Request)
class Open311RequestAdmin(ReadOnlyAdmin):
    list_display = ["token", "client", "event", "created_at"]
    list_filter = ["client"]
    raw_id_fields = ["event"]


class AttemptInline(admin.TabularInline):
    model = HotlineAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "error", "ms"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HotlineCallback)
class HotlineCallbackAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "created_at", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    list_filter = ["kind", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["order__number"]
    inlines = [AttemptInline]


@admin.register(HotlineOrder)
class HotlineOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "event", "received_at", "rating", "rated_at"]
    list_filter = ["rating"]
    search_fields = ["number"]
    raw_id_fields = ["event"]
