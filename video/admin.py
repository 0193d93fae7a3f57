"""The video app's admin: the registry, servers, walls and tours are edited here (the registry
through video.services.camera_clean, so the admin and the API agree); the status history, viewings
snapshots and alarm responses are written only by the platform."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from . import services
from .models import (
    AlarmResponse,
    Camera,
    CameraGroup,
    CameraStatusChange,
    Consent,
    GroupMember,
    MediaServer,
    Snapshot,
    Tour,
    TourStep,
    Viewing,
    Wall,
    WallLayout,
    WallSlot,
)


@admin.register(MediaServer)
class MediaServerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "hls_url", "active", "last_polled_at", "last_error"]
    list_filter = ["kind", "active"]


class CameraForm(forms.ModelForm):
    lat = forms.FloatField(label="lat")
    lng = forms.FloatField(label="lng")

    class Meta:
        model = Camera
        fields = ["code", "name", "network", "address", "ptz", "codec", "media_server", "stream", "device_code",
                  "owner_kind", "owner", "owner_org", "active"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["lat"].initial = self.instance.point.y
            self.fields["lng"].initial = self.instance.point.x

    def clean(self):
        data = super().clean()
        try:
            self.placed = services.camera_clean(
                {**data, "media_server": data.get("media_server")}, instance=self.instance
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data

    def save(self, commit=True):
        for name, value in getattr(self, "placed", {}).items():
            setattr(self.instance, name, value)
        return super().save(commit)


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraForm
    list_display = ["code", "name", "network", "center", "status", "codec", "media_server", "stream"]
    list_filter = ["network", "status", "codec", "media_server"]
    search_fields = ["code", "name", "stream"]
    raw_id_fields = ["owner"]
    readonly_fields = ["gb_type", "gb_network", "grid", "center", "status", "status_changed_at", "last_seen_at"]


@admin.register(CameraStatusChange)
class CameraStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["camera", "from_status", "to_status", "source", "at"]
    list_filter = ["to_status", "source"]
    raw_id_fields = ["camera"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["camera", "given_by", "purposes", "given_at", "expires_at", "revoked_at"]


@admin.register(Viewing)
class ViewingAdmin(ReadOnlyAdmin):
    list_display = ["camera", "user", "purpose", "event", "started_at", "ended_at"]
    list_filter = ["purpose"]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["camera", "event", "taken_by", "taken_at"]


@admin.register(AlarmResponse)
class AlarmResponseAdmin(ReadOnlyAdmin):
    list_display = ["event", "problem", "snapshot", "made_at"]
    list_filter = ["problem"]
    raw_id_fields = ["event", "note", "snapshot"]


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    raw_id_fields = ["camera"]


@admin.register(CameraGroup)
class CameraGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "center"]
    inlines = [GroupMemberInline]


class WallSlotInline(admin.TabularInline):
    model = WallSlot
    raw_id_fields = ["camera"]


@admin.register(WallLayout)
class WallLayoutAdmin(admin.ModelAdmin):
    list_display = ["name", "wall", "tiles"]
    inlines = [WallSlotInline]


@admin.register(Wall)
class WallAdmin(admin.ModelAdmin):
    list_display = ["name", "center", "layout", "tour"]


class TourStepInline(admin.TabularInline):
    model = TourStep
    raw_id_fields = ["camera", "group"]


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    list_display = ["name", "center", "tiles"]
    inlines = [TourStepInline]
