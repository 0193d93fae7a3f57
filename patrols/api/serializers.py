"""Input and output of the patrols API. Inputs become a service's keyword arguments; outputs are
built from rows the views read with their relations (no query per row)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from patrols.choices import Period
from patrols.models import CheckIn, Patrol, PatrolPlan


class PlanSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", default=None, read_only=True)
    organization_name = serializers.CharField(source="organization.name", default=None, read_only=True)
    period_display = serializers.CharField(source="get_period_display", read_only=True)
    places = serializers.SerializerMethodField(help_text="the route's place ids, in walking order")
    assignees = serializers.SerializerMethodField()
    duties = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField(
        help_text="the current period: patrols_done, places_due, places_checked, coverage (0–1 or null), "
        "period_start, period_end"
    )

    class Meta:
        model = PatrolPlan
        fields = [
            "id",
            "name",
            "grid",
            "grid_name",
            "organization",
            "organization_name",
            "center",
            "period",
            "period_display",
            "patrols_per_period",
            "check_in_radius_m",
            "active",
            "places",
            "assignees",
            "duties",
            "coverage",
        ]

    def get_places(self, plan) -> list[int]:
        return [s.place_id for s in plan.stops.all()]

    def get_assignees(self, plan) -> list[int]:
        return [u.pk for u in plan.assignees.all()]

    def get_duties(self, plan) -> list[int]:
        return [d.pk for d in plan.duties.all()]

    def get_coverage(self, plan) -> dict | None:
        return self.context.get("coverage", {}).get(plan.pk)


class PlanInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    grid = serializers.IntegerField(required=False, allow_null=True)
    organization = serializers.IntegerField(required=False, allow_null=True)
    period = serializers.ChoiceField(choices=Period.choices, default=Period.WEEK)
    patrols_per_period = serializers.IntegerField(default=1)
    check_in_radius_m = serializers.IntegerField(required=False, allow_null=True)
    places = serializers.ListField(child=serializers.IntegerField(), help_text="place ids in walking order")
    assignees = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    duties = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class PatrolSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    plan_name = serializers.CharField(source="plan.name", default=None, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    lat = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id",
            "client_id",
            "user",
            "user_name",
            "plan",
            "plan_name",
            "grid",
            "center",
            "state",
            "state_display",
            "started_at",
            "ended_at",
            "distance_m",
            "check_in_count",
            "point_count",
            "lat",
            "lng",
            "last_at",
        ]

    def get_user_name(self, patrol) -> str:
        return patrol.user.get_full_name() or patrol.user.username

    def get_lat(self, patrol) -> float | None:
        return patrol.last_point.y if patrol.last_point else None

    def get_lng(self, patrol) -> float | None:
        return patrol.last_point.x if patrol.last_point else None


class StartSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, allow_null=True, help_text="one of your plans; none: a free patrol")
    client_id = serializers.UUIDField(
        required=False, help_text="made by the phone: a retry returns the patrol started the first time"
    )


class TrackPointInputSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=0, help_text="the phone's number for the point, from 0, per patrol")
    at = serializers.DateTimeField(help_text="when the position was taken (ISO 8601 with offset)")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(required=False, allow_null=True, help_text="metres")


class TrackSerializer(serializers.Serializer):
    points = TrackPointInputSerializer(many=True, help_text=_("at most 500 points"))


class TrackResultSerializer(serializers.Serializer):
    acked = serializers.ListField(child=serializers.IntegerField(), help_text="the seqs now stored: drop them")
    stored = serializers.IntegerField(help_text="how many of them were new")


class CheckInInputSerializer(serializers.Serializer):
    place = serializers.IntegerField(required=False, allow_null=True)
    qr_token = serializers.CharField(required=False, allow_blank=True, max_length=64)
    lat = serializers.FloatField(required=False, allow_null=True)
    lng = serializers.FloatField(required=False, allow_null=True)


class CheckInSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = CheckIn
        fields = ["id", "patrol", "place", "place_name", "at", "method", "distance_m"]


class ReportInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("event", "event"), ("dispute", "dispute")], default="event")
    client_id = serializers.UUIDField()
    place = serializers.IntegerField(required=False, allow_null=True, help_text="fills in the position and address")
    lat = serializers.FloatField(required=False, allow_null=True)
    lng = serializers.FloatField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    # an event
    category = serializers.IntegerField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    urgent = serializers.BooleanField(required=False, allow_null=True, default=None)
    # a dispute (disputes.services.dispute_report's fields)
    type = serializers.IntegerField(required=False)
    title = serializers.CharField(required=False, max_length=100)
    facts = serializers.CharField(required=False, max_length=4000)
    parties = serializers.ListField(child=serializers.DictField(), required=False, default=list)


class ReportResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    number = serializers.CharField()
    url = serializers.CharField()
    created = serializers.BooleanField()


class ReplaySerializer(serializers.Serializer):
    patrol = serializers.DictField()
    track = serializers.DictField(help_text="GeoJSON Feature: a LineString, with properties.times per vertex")
    check_ins = serializers.ListField(child=serializers.DictField())
    reports = serializers.ListField(child=serializers.DictField())


class LiveSerializer(serializers.Serializer):
    center = serializers.IntegerField()
    patrols = serializers.ListField(child=serializers.DictField())
    figures = serializers.DictField()
