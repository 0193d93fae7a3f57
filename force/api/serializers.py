"""Serializers of the force API: input → service kwargs, rows → JSON."""

from __future__ import annotations

from rest_framework import serializers

from grids.choices import VolunteerCategory

from ..models import PointEntry, Recognition, VolunteerInvitation


class InvitationSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", default=None, read_only=True)
    organization_name = serializers.CharField(source="organization.name", default=None, read_only=True)
    center_name = serializers.CharField(source="center.name", read_only=True)
    link = serializers.SerializerMethodField()

    class Meta:
        model = VolunteerInvitation
        fields = [
            "id",
            "code",
            "link",
            "grid",
            "grid_name",
            "organization",
            "organization_name",
            "center",
            "center_name",
            "expires_at",
            "uses_left",
            "used",
            "revoked",
            "created_at",
        ]

    def get_link(self, obj) -> str:
        request = self.context.get("request")
        path = f"/force/join/{obj.code}/"
        return request.build_absolute_uri(path) if request else path


class InvitationInputSerializer(serializers.Serializer):
    grid = serializers.IntegerField(required=False, allow_null=True)
    organization = serializers.IntegerField(required=False, allow_null=True)
    days = serializers.IntegerField(default=14)
    uses = serializers.IntegerField(default=1)


class InvitationPublicSerializer(serializers.Serializer):
    """What a person holding the link sees before signing up (no inviter's personal data)."""

    grid_name = serializers.CharField(allow_null=True)
    organization_name = serializers.CharField(allow_null=True)
    center_name = serializers.CharField()
    expires_at = serializers.DateTimeField()
    usable = serializers.BooleanField()
    problem = serializers.CharField(allow_null=True)
    organizations = serializers.ListField(child=serializers.DictField())


class JoinInputSerializer(serializers.Serializer):
    real_name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    id_number = serializers.CharField(max_length=18)
    category = serializers.ChoiceField(choices=VolunteerCategory.choices)
    password = serializers.CharField(max_length=128, write_only=True)
    organization = serializers.IntegerField(required=False, allow_null=True)


class JoinedSerializer(serializers.Serializer):
    volunteer_id = serializers.IntegerField()
    username = serializers.CharField()
    real_name = serializers.CharField()
    id_number_masked = serializers.CharField()
    category = serializers.CharField()
    organization = serializers.CharField()
    grid = serializers.CharField(allow_null=True)


class PointEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointEntry
        fields = ["id", "user", "kind", "points", "source_type", "source_id", "at", "note"]


class RecognitionSerializer(serializers.ModelSerializer):
    center_name = serializers.CharField(source="center.name", read_only=True)
    volunteer_name = serializers.SerializerMethodField()

    class Meta:
        model = Recognition
        fields = ["id", "user", "volunteer_name", "by", "center", "center_name", "reason", "bonus_points", "at"]

    def get_volunteer_name(self, obj) -> str:
        return obj.user.get_full_name() or obj.user.username


class RecognitionInputSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)
    bonus_points = serializers.IntegerField(default=0)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    organization = serializers.CharField()
    category = serializers.CharField()
    points = serializers.IntegerField()


class RankingSerializer(serializers.Serializer):
    month = serializers.CharField()
    community = serializers.DictField(allow_null=True)
    organization = serializers.DictField(allow_null=True)
    rows = RankingRowSerializer(many=True)


class MeSerializer(serializers.Serializer):
    points_total = serializers.IntegerField()
    points_month = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    ranked = serializers.IntegerField()
    report_count = serializers.IntegerField()
    reports = serializers.ListField(child=serializers.DictField())
    tasks = serializers.ListField(child=serializers.DictField())
    patrols = serializers.ListField(child=serializers.DictField())
    recognitions = RecognitionSerializer(many=True)


class DutyItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    categories = serializers.ListField(child=serializers.DictField())
    events = serializers.IntegerField()
    plans = serializers.ListField(child=serializers.DictField())


class DutyGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    items = DutyItemSerializer(many=True)


class GridFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    community = serializers.CharField()
    town = serializers.CharField()
    events = serializers.IntegerField()
    discovered = serializers.IntegerField()
    discovery_rate = serializers.FloatField(allow_null=True)
    patrols = serializers.IntegerField()
    distance_m = serializers.IntegerField()
    check_ins = serializers.IntegerField()
    tasks = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)


class WorkerFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    grids = serializers.ListField(child=serializers.CharField())
    community = serializers.CharField()
    town = serializers.CharField()
    reports = serializers.IntegerField()
    patrols = serializers.IntegerField()
    distance_m = serializers.IntegerField()
    check_ins = serializers.IntegerField()
    tasks = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    grid_events = serializers.IntegerField()
    discovered = serializers.IntegerField()
    discovery_rate = serializers.FloatField(allow_null=True)


class PerformanceSerializer(serializers.Serializer):
    center = serializers.DictField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    by = serializers.CharField()
    grids = GridFiguresSerializer(many=True, required=False)
    workers = WorkerFiguresSerializer(many=True, required=False)
