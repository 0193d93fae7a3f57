"""Administration of alarm sources (with their alarm types), devices, and the alarms and clusters
(read-only: only the webhook and the processing write them). A source's secret is shown once, when it
is made or reset, never in a form or a list."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from . import services
from .models import Alarm, AlarmCluster, AlarmType, Device, Source


class AlarmTypeInline(admin.TabularInline):
    model = AlarmType
    extra = 1
    fields = [
        "code",
        "name",
        "category",
        "urgent",
        "threshold",
        "threshold_window_minutes",
        "quiet_from",
        "quiet_to",
        "active",
    ]


def _show_secret(request, source, secret: str) -> None:
    messages.warning(
        request,
        _("The secret of %(name)s, shown this once (the source signs its requests with it): %(secret)s")
        % {"name": source.name, "secret": secret},
    )


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "department", "rate_limit_count", "max_events_per_hour", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    readonly_fields = ["account", "created_at"]
    inlines = [AlarmTypeInline]
    actions = ["reset_secret"]

    def save_model(self, request, obj, form, change):
        secret = services.source_save(source=obj)
        if secret:
            _show_secret(request, obj, secret)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.config_forget()

    @admin.action(description=_("Reset the secret (shown once)"))
    def reset_secret(self, request, queryset):
        for source in queryset:
            _show_secret(request, source, services.source_secret_reset(source=source))


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "source", "grid", "center", "active"]
    list_filter = ["source", "active"]
    search_fields = ["code", "name", "address"]
    readonly_fields = ["grid", "center"]
    list_select_related = ["source", "grid", "center"]

    def save_model(self, request, obj, form, change):
        services.device_save(device=obj)
        if obj.center_id is None:
            messages.warning(request, _("This device lies outside every grid: its alarms will make no event."))


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["id", "source", "external_id", "device", "alarm_type", "occurred_at", "status"]
    list_filter = ["status", "source"]
    search_fields = ["external_id"]
    list_select_related = ["source", "device", "alarm_type"]


@admin.register(AlarmCluster)
class AlarmClusterAdmin(ReadOnlyAdmin):
    list_display = ["id", "device", "alarm_type", "event", "count", "first_seen_at", "last_seen_at"]
    list_select_related = ["device", "alarm_type", "event"]
