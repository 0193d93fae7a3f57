import functools

from django.db.models import F, FloatField, Func
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.choices import Action, Source, State
from events.media import photo_url
from events.models import Attachment, Event, EventAction, EventAssignment, EventCategory, event_number


class EventCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = EventCategory
        fields = ["id", "code", "name", "parent", "default_department", "default_urgent"]


class ReportSerializer(serializers.Serializer):
    """The intake contract (validation itself lives in `events.services.event_report`)."""

    category = serializers.IntegerField()
    description = serializers.CharField(max_length=2000)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    urgent = serializers.BooleanField(required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    client_id = serializers.UUIDField()
    center = serializers.IntegerField(required=False, help_text="only when the point is outside every grid")


class ActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a for a in Action.choices if a[0] not in ("report", "warn")])
    reason = serializers.CharField(required=False, allow_blank=True)
    lead_department = serializers.IntegerField(required=False)
    departments = serializers.ListField(child=serializers.IntegerField(), required=False)
    assignee = serializers.IntegerField(required=False)
    days = serializers.IntegerField(required=False)
    merge_into = serializers.IntegerField(required=False)
    card = serializers.ChoiceField(choices=["yellow_card", "red_card"], required=False)
    satisfied = serializers.BooleanField(required=False, allow_null=True)
    confirm_urgent = serializers.BooleanField(
        required=False, help_text="accept only: confirm the urgency a volunteer asked for (else it is declined)"
    )
    attachments = serializers.ListField(child=serializers.IntegerField(), required=False)


class Ref(serializers.Serializer):
    """An object named in another's answer: its id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class CenterRef(Ref):
    level = serializers.CharField()


class GridRef(Ref):
    code = serializers.CharField()


ID_NAME = Ref(allow_null=True)
CENTER = CenterRef(allow_null=True)


def _brief(obj, *fields):
    return {f: getattr(obj, f) for f in fields} if obj is not None else None


def _when(value, tz=None):
    """A moment as DRF's DateTimeField writes it (ISO 8601 in the platform's time zone, "Z" for UTC),
    without its machinery: a page of rows has four each, and the field's checks cost 20 µs a call
    (a page passes `tz`, the current time zone, read once)."""
    if not value:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def event_brief(obj: Event, now) -> dict:
    """A queue row, built directly: lists and intake are hot paths, and DRF's model-serializer
    machinery costs more than the rest of the request. The fields are EventFields' (tested)."""
    end = obj.closed_at or now
    category, center, grid = obj.category, obj.center, obj.grid
    return {
        "id": obj.pk,
        "number": obj.number,
        "state": obj.state,
        "state_display": str(obj.get_state_display()),
        "category": {"id": category.pk, "name": category.name},
        "description": obj.description,
        "address": obj.address,
        "lat": obj.location.y,
        "lng": obj.location.x,
        "urgent": obj.urgent,
        "urgent_requested": obj.urgent_requested,
        "source": obj.source,
        "source_display": str(obj.get_source_display()),
        "light": obj.light,
        "supervision": obj.supervision,
        "extension": obj.extension,
        "level": obj.level,
        "center": {"id": center.pk, "name": center.name, "level": center.level},
        "grid": {"id": grid.pk, "code": grid.code, "name": grid.name} if grid else None,
        "phase": obj.phase,
        "due_at": _when(obj.due_at),
        "deadline": _when(obj.deadline),
        "overdue": bool(obj.deadline and end > obj.deadline),
        "created_at": _when(obj.created_at),
        "closed_at": _when(obj.closed_at),
    }


# A queue row read as values (EventViewSet.list): no model instances, no geometry objects.
BRIEF_COLUMNS = (
    "id",
    "created_at",
    "state",
    "category_id",
    "category__name",
    "description",
    "address",
    "urgent",
    "urgent_requested",
    "source",
    "light",
    "supervision",
    "extension",
    "level",
    "center_id",
    "center__name",
    "center__level",
    "grid_id",
    "grid__code",
    "grid__name",
    "phase",
    "due_at",
    "deadline",
    "closed_at",
)
BRIEF_POINT = {
    "lat": Func(F("location"), function="ST_Y", output_field=FloatField()),
    "lng": Func(F("location"), function="ST_X", output_field=FloatField()),
}
_STATE_LABELS = dict(State.choices)
_SOURCE_LABELS = dict(Source.choices)


@functools.lru_cache(maxsize=16)
def _labels(language: str | None) -> tuple[dict, dict]:
    """The states' and sources' labels in `language` (the active one when it is asked), translated once."""
    return {k: str(v) for k, v in _STATE_LABELS.items()}, {k: str(v) for k, v in _SOURCE_LABELS.items()}


def brief_labels() -> tuple[dict, dict]:
    """`_labels` of the active language."""
    return _labels(translation.get_language())


def event_brief_row(row: dict, now, tz=None, labels=None) -> dict:
    """`event_brief` of a row of BRIEF_COLUMNS values (+ BRIEF_POINT): the same dict, without building
    an event, its category, center and grid, and a geometry, for each row of a page (`tz` and
    `labels`, the current time zone and `_labels`, a page reads once)."""
    tz = tz or timezone.get_current_timezone()
    states, sources = labels or brief_labels()
    end = row["closed_at"] or now
    created, deadline = row["created_at"], row["deadline"]
    return {
        "id": row["id"],
        "number": event_number(created, row["id"], tz),
        "state": row["state"],
        "state_display": states.get(row["state"], row["state"]),
        "category": {"id": row["category_id"], "name": row["category__name"]},
        "description": row["description"],
        "address": row["address"],
        "lat": row["lat"],
        "lng": row["lng"],
        "urgent": row["urgent"],
        "urgent_requested": row["urgent_requested"],
        "source": row["source"],
        "source_display": sources.get(row["source"], row["source"]),
        "light": row["light"],
        "supervision": row["supervision"],
        "extension": row["extension"],
        "level": row["level"],
        "center": {"id": row["center_id"], "name": row["center__name"], "level": row["center__level"]},
        "grid": (
            {"id": row["grid_id"], "code": row["grid__code"], "name": row["grid__name"]} if row["grid_id"] else None
        ),
        "phase": row["phase"],
        "due_at": _when(row["due_at"], tz),
        "deadline": _when(deadline, tz),
        "overdue": bool(deadline and end > deadline),
        "created_at": _when(created, tz),
        "closed_at": _when(row["closed_at"], tz),
    }


class EventFields(serializers.ModelSerializer):
    """The fields of an event row (for the schema and the detail view)."""

    number = serializers.CharField(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    category = serializers.SerializerMethodField()
    center = serializers.SerializerMethodField()
    grid = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "category",
            "description",
            "address",
            "lat",
            "lng",
            "urgent",
            "urgent_requested",
            "source",
            "source_display",
            "light",
            "supervision",
            "extension",
            "level",
            "center",
            "grid",
            "phase",
            "due_at",
            "deadline",
            "overdue",
            "created_at",
            "closed_at",
        ]

    @extend_schema_field(ID_NAME)
    def get_category(self, obj):
        return _brief(obj.category, "id", "name")

    @extend_schema_field(CENTER)
    def get_center(self, obj):
        return _brief(obj.center, "id", "name", "level")

    @extend_schema_field(GridRef(allow_null=True))
    def get_grid(self, obj):
        return _brief(obj.grid, "id", "code", "name")

    def get_lat(self, obj) -> float:
        return obj.location.y

    def get_lng(self, obj) -> float:
        return obj.location.x

    def get_overdue(self, obj) -> bool:
        end = obj.closed_at or self.context.get("now") or timezone.now()
        return bool(obj.deadline and end > obj.deadline)


class EventListSerializer(EventFields):
    """A queue row: everything a list shows, from one query (see EventViewSet.get_queryset)."""

    def to_representation(self, instance):
        return event_brief(instance, self.context.get("now") or timezone.now())


class AssignmentSerializer(serializers.ModelSerializer):
    department = serializers.SerializerMethodField()

    class Meta:
        model = EventAssignment
        fields = ["department", "role", "state", "dispatched_at", "signed_at", "handled_at"]

    @extend_schema_field(ID_NAME)
    def get_department(self, obj):
        return _brief(obj.department, "id", "name")


class AttachmentSerializer(serializers.ModelSerializer):
    """A photo; `image` and `thumbnail` are URLs of events.media (signed in, within the event's scope)."""

    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "image", "thumbnail", "width", "height", "size", "action", "created_at"]

    def _url(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, obj) -> str:
        return self._url(photo_url(obj.pk))

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail(self, obj) -> str:
        return self._url(photo_url(obj.pk, thumbnail=True))


class EventDetailSerializer(EventFields):
    origin_center = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    verifier = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(EventFields.Meta):
        fields = [
            *EventFields.Meta.fields,
            "origin_center",
            "reporter",
            "assignee",
            "verifier",
            "assignments",
            "attachments",
            "merged_into",
            "accepted_at",
            "dispatched_at",
            "handled_at",
            "accept_due_at",
            "returns",
            "reworks",
            "escalations",
            "extension_days",
            "satisfied",
            "client_id",
            "available_actions",
        ]

    @extend_schema_field(CENTER)
    def get_origin_center(self, obj):
        return _brief(obj.origin_center, "id", "name", "level")

    @extend_schema_field(ID_NAME)
    def get_reporter(self, obj):
        return (
            {"id": obj.reporter.pk, "name": obj.reporter.get_full_name() or obj.reporter.username}
            if obj.reporter
            else None
        )

    @extend_schema_field(ID_NAME)
    def get_assignee(self, obj):
        return (
            {"id": obj.assignee.pk, "name": obj.assignee.get_full_name() or obj.assignee.username}
            if obj.assignee
            else None
        )

    @extend_schema_field(ID_NAME)
    def get_verifier(self, obj):
        return (
            {"id": obj.verifier.pk, "name": obj.verifier.get_full_name() or obj.verifier.username}
            if obj.verifier
            else None
        )

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, obj):
        return AssignmentSerializer([a for a in obj.assignments.all() if a.active], many=True).data

    def get_available_actions(self, obj) -> list[str]:
        from events.services import event_available_actions

        request = self.context.get("request")
        if request is None:
            return []
        return event_available_actions(obj, request.user, [a for a in obj.assignments.all() if a.active])


class TimelineSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SerializerMethodField()
    actor_center = serializers.SerializerMethodField()
    actor_department = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = EventAction
        fields = [
            "id",
            "action",
            "action_display",
            "actor",
            "actor_role",
            "actor_center",
            "actor_department",
            "level",
            "from_state",
            "to_state",
            "reason",
            "data",
            "attachments",
            "created_at",
        ]

    @extend_schema_field(ID_NAME)
    def get_actor(self, obj):
        if obj.actor is None:
            return None
        return {"id": obj.actor.pk, "name": obj.actor.get_full_name() or obj.actor.username}

    @extend_schema_field(CENTER)
    def get_actor_center(self, obj):
        return _brief(obj.actor_center, "id", "name", "level")

    @extend_schema_field(ID_NAME)
    def get_actor_department(self, obj):
        return _brief(obj.actor_department, "id", "name")


class EventCreatedSerializer(EventFields):
    """The answer to a report, made from the event in memory (no second read)."""

    origin_center = serializers.SerializerMethodField()

    class Meta(EventFields.Meta):
        fields = [*EventFields.Meta.fields, "origin_center", "accept_due_at", "client_id"]

    @extend_schema_field(CENTER)
    def get_origin_center(self, obj):
        return _brief(obj.origin_center, "id", "name", "level")

    def to_representation(self, instance):
        origin = instance.origin_center
        return {
            **event_brief(instance, self.context.get("now") or timezone.now()),
            "origin_center": {"id": origin.pk, "name": origin.name, "level": origin.level},
            "accept_due_at": _when(instance.accept_due_at),
            "client_id": str(instance.client_id),
        }


class NearbySerializer(serializers.Serializer):
    """A likely duplicate of a report (GET /api/events/nearby/, and the event page): what the event
    is, where and how alike, never who reported it."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    category = serializers.CharField(source="category.name")
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    description = serializers.CharField()
    address = serializers.CharField()
    created_at = serializers.DateTimeField()
    distance_m = serializers.SerializerMethodField()
    similarity = serializers.SerializerMethodField()

    def get_distance_m(self, obj) -> int:
        return round(obj.distance.m if hasattr(obj.distance, "m") else obj.distance)

    def get_similarity(self, obj) -> float:
        return round(obj.similarity, 2)
