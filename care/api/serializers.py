"""The care API's shapes. Lists mask names (张*明) and show the ID number's mask only; the
detail (logged in the view log) names the person."""

from __future__ import annotations

from rest_framework import serializers

from ..choices import Action, EndReason, Gender, PersonType, Risk, Status, TeamRole, Via, VisitMethod
from ..domain.masking import mask_name
from ..models import CareAction, HelperMember, PersonView, SpecialPerson, Visit, VisitRule


class PersonListSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="masked: 张*明")
    center = serializers.CharField(source="center.name")
    grid = serializers.CharField(source="grid.name")
    department = serializers.CharField(source="department.name")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = SpecialPerson
        fields = [
            "id",
            "person_type",
            "name",
            "id_number_masked",
            "gender",
            "birth_year",
            "risk",
            "status",
            "center_id",
            "center",
            "grid_id",
            "grid",
            "department_id",
            "department",
            "last_visit_at",
            "due_at",
            "lost_at",
            "overdue",
        ]

    def get_name(self, obj) -> str:
        return mask_name(obj.name)

    def get_overdue(self, obj) -> bool:
        now = self.context["now"]
        return obj.status == Status.IN_CARE and obj.due_at is not None and obj.due_at < now


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = HelperMember
        fields = ["id", "user", "name", "phone", "role"]


class TeamMemberInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    role = serializers.ChoiceField(choices=TeamRole.choices)


class PersonDetailSerializer(PersonListSerializer):
    name = serializers.CharField(help_text="the full name: this answer is written to the view log")
    lat = serializers.FloatField(source="point.y")
    lng = serializers.FloatField(source="point.x")
    workers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    team = TeamMemberSerializer(many=True, read_only=True)

    class Meta(PersonListSerializer.Meta):
        fields = [
            *PersonListSerializer.Meta.fields,
            "phone",
            "address",
            "lat",
            "lng",
            "workers",
            "team",
            "end_reason",
            "notes",
            "warn_at",
            "escalate_at",
            "created_at",
        ]


class PersonInputSerializer(serializers.Serializer):
    person_type = serializers.ChoiceField(choices=PersonType.choices)
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=18, help_text="stored masked + hashed"
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    birth_year = serializers.IntegerField(required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    department = serializers.CharField(help_text="a department's id or code")
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    workers = serializers.ListField(child=serializers.IntegerField(), required=False)
    team = TeamMemberInputSerializer(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class VisitSerializer(serializers.ModelSerializer):
    lat = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()
    visitor_name = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "person",
            "visitor",
            "visitor_name",
            "visited_at",
            "lat",
            "lng",
            "method",
            "found",
            "findings",
            "corrects",
            "client_id",
            "photos",
            "created_at",
        ]

    def get_lat(self, obj) -> float | None:
        return obj.point.y if obj.point else None

    def get_lng(self, obj) -> float | None:
        return obj.point.x if obj.point else None

    def get_visitor_name(self, obj) -> str:
        return obj.visitor.get_full_name() or obj.visitor.username

    def get_photos(self, obj) -> list[str]:
        from django.urls import reverse

        return [reverse("care:photo", args=[p.pk]) for p in obj.photos.all()]


class VisitInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=VisitMethod.choices)
    found = serializers.BooleanField(default=True)
    findings = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    visited_at = serializers.DateTimeField(required=False, help_text="ISO 8601 with offset; default now")
    lat = serializers.FloatField(required=False, allow_null=True)
    lng = serializers.FloatField(required=False, allow_null=True)
    client_id = serializers.UUIDField(
        required=False, help_text="made by the phone: the same one again is the same visit"
    )
    corrects = serializers.IntegerField(required=False, help_text="the visit this row corrects")
    photos = serializers.ListField(child=serializers.ImageField(), required=False, help_text="multipart, at most 3")


class ActionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[
            (a.value, a.label) for a in (Action.RISK, Action.LOST_CONTACT, Action.FOUND, Action.END, Action.ASSIGN)
        ]
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    end_reason = serializers.ChoiceField(choices=EndReason.choices, required=False)
    workers = serializers.ListField(child=serializers.IntegerField(), required=False)
    team = TeamMemberInputSerializer(many=True, required=False)


class CareActionSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CareAction
        fields = [
            "id",
            "action",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "reason",
            "data",
            "visit",
            "created_at",
        ]

    def get_actor_name(self, obj) -> str:
        return (obj.actor.get_full_name() or obj.actor.username) if obj.actor else ""


class PersonViewSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    via = serializers.ChoiceField(choices=Via.choices)

    class Meta:
        model = PersonView
        fields = ["id", "person", "user", "username", "at", "via", "path", "reason"]


class VisitRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitRule
        fields = ["id", "person_type", "risk", "every_days", "warn_days", "grace_days"]


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    in_care = serializers.IntegerField()
    lost = serializers.IntegerField()
    overdue = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField())


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)
