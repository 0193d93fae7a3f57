"""Serializers of the video API: input → service kwargs, rows → JSON."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from ..choices import CONSENT_PURPOSES, Codec, Network, OwnerKind, Purpose
from ..models import Camera, CameraGroup, CameraStatusChange, Tour, Viewing, Wall, WallLayout


class CameraFeatureSerializer(GeoFeatureModelSerializer):
    center_name = serializers.CharField(source="center.name", read_only=True)
    media_server = serializers.CharField(source="media_server.slug", default=None, read_only=True)
    needs_transcoding = serializers.BooleanField(read_only=True)
    household = serializers.BooleanField(read_only=True)
    playable = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        geo_field = "point"
        fields = [
            "id", "code", "name", "network", "gb_type", "gb_network", "status", "status_changed_at", "last_seen_at",
            "center", "center_name", "grid", "address", "ptz", "codec", "needs_transcoding", "media_server", "stream",
            "owner_kind", "owner_org", "household", "playable",
        ]  # fmt: skip

    def get_playable(self, obj) -> bool:
        return bool(obj.media_server_id and obj.stream and obj.codec != Codec.H265)


class CameraInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    network = serializers.ChoiceField(choices=Network.choices)
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ptz = serializers.BooleanField(required=False)
    codec = serializers.ChoiceField(choices=Codec.choices, required=False)
    media_server = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="slug or id")
    stream = serializers.CharField(max_length=100, required=False, allow_blank=True)
    device_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    owner_kind = serializers.ChoiceField(choices=OwnerKind.choices, required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="username or id")
    owner_org = serializers.CharField(max_length=200, required=False, allow_blank=True)


class NearestCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    network = serializers.CharField()
    status = serializers.CharField()
    lat = serializers.FloatField(source="point.y")
    lng = serializers.FloatField(source="point.x")
    distance_m = serializers.FloatField()
    ptz = serializers.BooleanField()
    codec = serializers.CharField()
    household = serializers.BooleanField()
    playable = serializers.SerializerMethodField()

    def get_playable(self, obj) -> bool:
        return bool(obj.media_server_id and obj.stream and obj.codec != Codec.H265)


class PlayInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    event = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    tour = serializers.IntegerField(required=False, allow_null=True)


class PlayCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    network = serializers.CharField()
    stream = serializers.CharField()


class PlaySerializer(serializers.Serializer):
    viewing = serializers.UUIDField(source="viewing.pk")
    token = serializers.CharField()
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()
    camera = PlayCameraSerializer()


class OnlineRateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    online = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CameraStatusChange
        fields = ["id", "from_status", "to_status", "source", "detail", "at"]


class ViewingSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    user_name = serializers.SerializerMethodField()
    center_name = serializers.CharField(source="center.name", default=None, read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True)

    class Meta:
        model = Viewing
        fields = [
            "id", "camera", "camera_name", "user", "user_name", "center", "center_name", "purpose", "reason",
            "event", "tour", "started_at", "last_seen_at", "ended_at", "duration_seconds",
        ]  # fmt: skip

    def get_user_name(self, obj) -> str:
        return obj.user.get_full_name() or obj.user.username


class SlotSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=0, max_value=15)
    camera = serializers.IntegerField()


class LayoutInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    tiles = serializers.ChoiceField(choices=[1, 4, 9, 16])
    slots = SlotSerializer(many=True)
    show = serializers.BooleanField(default=True)


class LayoutSerializer(serializers.ModelSerializer):
    slots = serializers.SerializerMethodField()

    class Meta:
        model = WallLayout
        fields = ["id", "name", "tiles", "slots"]

    def get_slots(self, obj) -> list[dict]:
        return [{"position": s.position, "camera": s.camera_id} for s in obj.slots.all()]


class WallInputSerializer(serializers.Serializer):
    center = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)


class WallSerializer(serializers.ModelSerializer):
    center_name = serializers.CharField(source="center.name", read_only=True)

    class Meta:
        model = Wall
        fields = ["id", "center", "center_name", "name", "layout", "tour", "tour_started_at"]


class FrameCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    network = serializers.CharField()
    status = serializers.CharField()


class FrameSerializer(serializers.Serializer):
    cameras = FrameCameraSerializer(many=True)
    dwell = serializers.IntegerField()
    step = serializers.IntegerField()


class FrameNowSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    seconds_left = serializers.FloatField()


class WallDetailSerializer(WallSerializer):
    layouts = LayoutSerializer(many=True, read_only=True)
    frames = FrameSerializer(many=True, read_only=True, default=None)
    frame_now = FrameNowSerializer(read_only=True, default=None)

    class Meta(WallSerializer.Meta):
        fields = [*WallSerializer.Meta.fields, "layouts", "frames", "frame_now"]


class ShowInputSerializer(serializers.Serializer):
    layout = serializers.IntegerField(required=False, allow_null=True)
    tour = serializers.IntegerField(required=False, allow_null=True)


class StepSerializer(serializers.Serializer):
    camera = serializers.IntegerField(required=False, allow_null=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    dwell_seconds = serializers.IntegerField(default=15)


class TourInputSerializer(serializers.Serializer):
    center = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)
    tiles = serializers.ChoiceField(choices=[1, 4, 9, 16], default=4)
    steps = StepSerializer(many=True)


class TourSerializer(serializers.ModelSerializer):
    center_name = serializers.CharField(source="center.name", read_only=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Tour
        fields = ["id", "center", "center_name", "name", "tiles", "steps"]

    def get_steps(self, obj) -> list[dict]:
        return [
            {"position": s.position, "camera": s.camera_id, "group": s.group_id, "dwell_seconds": s.dwell_seconds}
            for s in obj.steps.all()
        ]


class TourDetailSerializer(TourSerializer):
    frames = FrameSerializer(many=True, read_only=True)

    class Meta(TourSerializer.Meta):
        fields = [*TourSerializer.Meta.fields, "frames"]


class GroupInputSerializer(serializers.Serializer):
    center = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)
    cameras = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class GroupSerializer(serializers.ModelSerializer):
    cameras = serializers.SerializerMethodField()

    class Meta:
        model = CameraGroup
        fields = ["id", "center", "name", "cameras"]

    def get_cameras(self, obj) -> list[int]:
        return [m.camera_id for m in obj.members.all()]


class ConsentInputSerializer(serializers.Serializer):
    centers = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=[(p.value, p.label) for p in CONSENT_PURPOSES]), allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    centers = serializers.SerializerMethodField()
    purposes = serializers.ListField(child=serializers.CharField())
    given_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_centers(self, obj) -> list[dict]:
        return [{"id": c.pk, "name": c.name} for c in obj.centers.all()]


class MyCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    center = serializers.IntegerField(source="center_id")
    center_name = serializers.CharField(source="center.name")
    consent = serializers.SerializerMethodField()

    def get_consent(self, obj) -> dict | None:
        consents = getattr(obj, "consents_in_force", [])
        return ConsentSerializer(consents[0]).data if consents else None


class SnapshotInputSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    event = serializers.IntegerField(required=False, allow_null=True)
    purpose = serializers.ChoiceField(choices=Purpose.choices, default=Purpose.ALARM)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    camera = serializers.IntegerField(source="camera_id")
    event = serializers.IntegerField(source="event_id", allow_null=True)
    attachment = serializers.IntegerField(source="attachment_id", allow_null=True)
    action = serializers.IntegerField(source="action_id", allow_null=True)
    taken_at = serializers.DateTimeField()
    image_url = serializers.SerializerMethodField()

    def get_image_url(self, obj) -> str:
        return f"/api/snapshots/{obj.pk}/image/"


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    dry_run = serializers.BooleanField()
