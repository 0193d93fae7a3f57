"""The disputes API's shapes: input serializers check types only (the rules live in
`disputes.services`), output serializers say what each answer holds. A list row and the intake's
answer carry no personal data; the parties are shown only in the detail, to whoever
`services.may_see_parties` allows, and each time they are shown a CaseView is written."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.choices import (
    Action,
    AgreementForm,
    Channel,
    ConfirmationRuling,
    DocumentKind,
    Intake,
    PartyKind,
    PartyRole,
    Performance,
    Risk,
    Satisfaction,
    Signal,
    State,
    VisitMethod,
)
from disputes.models import (
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeType,
    Document,
    FollowUp,
    Investigation,
    Obligation,
    Party,
    Session,
)

# Ids arrive from clients: bounded, so that a huge number is a 400, never a database error.
ID_MAX = 2**63 - 1


def _id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


# Dates and moments: within this century and the next, so that the services' date arithmetic
# (a follow-up visit days after the performance time limit …) cannot overflow into a 500.
YEARS = (2000, 2100)


def _in_years(value):
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise serializers.ValidationError(
            _("A date between the years %(first)d and %(last)d.") % {"first": YEARS[0], "last": YEARS[1]}
        )


def _day(**kwargs) -> serializers.DateField:
    return serializers.DateField(validators=[_in_years], **kwargs)


def _moment(**kwargs) -> serializers.DateTimeField:
    return serializers.DateTimeField(validators=[_in_years], **kwargs)


def _text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


# --- reference data ----------------------------------------------------------------------------------


class DisputeTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisputeType
        fields = ["id", "code", "name", "parent", "order"]


# --- input -----------------------------------------------------------------------------------------------


class PartyInputSerializer(serializers.Serializer):
    """A party at intake. The ID number is checked (GB 11643) and kept only masked and hashed."""

    role = serializers.ChoiceField(choices=PartyRole.choices)
    kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    name = serializers.CharField(max_length=100)
    sex = serializers.ChoiceField(choices=[("M", "M"), ("F", "F")], required=False, allow_blank=True)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    ethnicity = _text(20)
    occupation = _text(100)
    phone = _text(20)
    address = _text(200)
    id_number = _text(18, help_text="18 characters; stored only masked and as a keyed hash")
    organisation_code = _text(18)
    represents = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=49, help_text="an agent: the index of the party"
    )


class DisputeReportSerializer(serializers.Serializer):
    """The intake contract (the rules: `disputes.services.dispute_report`)."""

    type = _id(help_text="a dispute type (GET /api/dispute-types/)")
    title = serializers.CharField(max_length=100)
    facts = serializers.CharField(max_length=4000)
    claims = _text(4000)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    address = _text(200)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, help_text="yuan"
    )
    people = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    intake = serializers.ChoiceField(choices=Intake.choices)
    intake_reference = _text(100)
    signals = serializers.ListField(child=serializers.ChoiceField(choices=Signal.choices), required=False)
    center = _id(required=False, allow_null=True, help_text="a center in your area, instead of the place's")
    event = _id(required=False, allow_null=True, help_text="the event this dispute is converted from")
    client_id = serializers.UUIDField()
    parties = serializers.ListField(child=PartyInputSerializer(), min_length=1, max_length=50)


class ObligationInputSerializer(serializers.Serializer):
    party = _id(required=False, allow_null=True)
    description = serializers.CharField(max_length=500)
    due_date = _day()


ACTIONS = [a for a in Action.choices if a[0] not in ("report", "warn", "alarm")]


class DisputeActionRequestSerializer(serializers.Serializer):
    """One workflow action and its fields (`disputes.services.ACTION_PARAMS`): a field the action
    does not take is refused with a 400. Sessions, records, documents, follow-ups, performance and
    confirmation have endpoints of their own."""

    action = serializers.ChoiceField(choices=ACTIONS)
    reason = _text(2000)
    # accept, assign
    mediators = serializers.ListField(child=_id(), required=False, max_length=50)
    lead = _id(required=False)
    consent = serializers.BooleanField(required=False, help_text="accept, extend: both parties consent")
    # refer, refuse, terminate
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    referred_to = _text(100)
    party = _id(required=False, help_text="refuse: the party that refuses")
    # extend
    days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    # agree
    form = serializers.ChoiceField(choices=AgreementForm.choices, required=False)
    terms = _text(8000)
    responsibility = _text(4000)
    performance_method = _text(200)
    performance_place = _text(200)
    performance_due = _day(required=False, allow_null=True)
    obligations = serializers.ListField(child=ObligationInputSerializer(), required=False, max_length=50)
    follow_up_due = _day(required=False, allow_null=True)
    # risk
    risk = serializers.ChoiceField(choices=Risk.choices, required=False, allow_blank=True)
    signals = serializers.ListField(child=serializers.ChoiceField(choices=Signal.choices), required=False)
    risk_plan = _text(4000)
    joint_meeting_at = _moment(required=False, allow_null=True)
    # link
    event = _id(required=False)


class SessionInputSerializer(serializers.Serializer):
    starts_at = _moment()
    ends_at = _moment(required=False, allow_null=True)
    place = serializers.CharField(max_length=200)
    mediators = serializers.ListField(child=_id(), required=False, max_length=50)
    attendees = _text(2000)
    notes = _text(20000)
    held = serializers.BooleanField(required=False, default=True, help_text="false: a session planned")
    session = _id(required=False, allow_null=True, help_text="a planned session now recorded as held")


class InvestigationInputSerializer(serializers.Serializer):
    interviewed = serializers.CharField(max_length=200)
    at = _moment()
    place = _text(200)
    content = serializers.CharField(max_length=20000)


class FollowUpInputSerializer(serializers.Serializer):
    visited_at = _moment()
    method = serializers.ChoiceField(choices=VisitMethod.choices)
    performance = serializers.ChoiceField(choices=Performance.choices)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True)
    new_risks = _text(2000)
    notes = _text(4000)
    follow_up = _id(required=False, allow_null=True, help_text="the planned visit made (default: the earliest)")
    next_due = _day(required=False, allow_null=True, help_text="plan another visit")


class ConfirmationInputSerializer(serializers.Serializer):
    applied_on = _day()
    court = serializers.CharField(max_length=100)
    case_number = _text(60)
    accepted_on = _day(required=False, allow_null=True)
    ruling = serializers.ChoiceField(choices=ConfirmationRuling.choices, required=False, allow_blank=True)
    ruled_on = _day(required=False, allow_null=True)
    extended = serializers.BooleanField(required=False, default=False)


class DocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, help_text="agreement or session_record")
    session = _id(required=False, allow_null=True, help_text="session_record: the session held")


# --- output ------------------------------------------------------------------------------------------


class DisputeUserRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DisputeCenterRef(DisputeUserRef):
    level = serializers.CharField()


class DisputeGridRef(DisputeUserRef):
    code = serializers.CharField()


class DisputeCaseRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class DisputeMediatorRef(DisputeUserRef):
    lead = serializers.BooleanField()


_datetime = serializers.DateTimeField()
_decimal = serializers.DecimalField(max_digits=14, decimal_places=2)


def _when(value):
    return _datetime.to_representation(value) if value else None


def _person(user) -> dict | None:
    return {"id": user.pk, "name": user.get_full_name() or user.username} if user is not None else None


def _center(center) -> dict | None:
    return {"id": center.pk, "name": center.name, "level": center.level} if center is not None else None


def dispute_brief(obj: Dispute) -> dict:
    """A list row, built directly (lists are hot paths). No personal data: no parties, no facts."""
    return {
        "id": obj.pk,
        "number": obj.number,
        "title": obj.title,
        "type": {"id": obj.type.pk, "name": str(obj.type)},
        "intake": obj.intake,
        "state": obj.state,
        "state_display": str(obj.get_state_display()),
        "risk": obj.risk,
        "light": obj.light,
        "center": _center(obj.center),
        "level": obj.level,
        "created_at": _when(obj.created_at),
        "mediation_due": _when(obj.mediation_due),
        "people": obj.people,
        "amount": _decimal.to_representation(obj.amount) if obj.amount is not None else None,
    }


# What a list row reads, as values (no model instances: lists are the hot path).
BRIEF_COLUMNS = (
    "id",
    "number",
    "title",
    "type_id",
    "type__name",
    "type__parent__name",
    "intake",
    "state",
    "risk",
    "light",
    "center_id",
    "center__name",
    "center__level",
    "level",
    "created_at",
    "mediation_due",
    "people",
    "amount",
)
_STATE_LABELS = dict(State.choices)


def dispute_brief_row(row: dict) -> dict:
    """`dispute_brief` of a row of BRIEF_COLUMNS values: the same dict, without building models."""
    parent = row["type__parent__name"]
    return {
        "id": row["id"],
        "number": row["number"],
        "title": row["title"],
        "type": {"id": row["type_id"], "name": f"{parent} · {row['type__name']}" if parent else row["type__name"]},
        "intake": row["intake"],
        "state": row["state"],
        "state_display": str(_STATE_LABELS.get(row["state"], row["state"])),
        "risk": row["risk"],
        "light": row["light"],
        "center": {"id": row["center_id"], "name": row["center__name"], "level": row["center__level"]},
        "level": row["level"],
        "created_at": _when(row["created_at"]),
        "mediation_due": _when(row["mediation_due"]),
        "people": row["people"],
        "amount": _decimal.to_representation(row["amount"]) if row["amount"] is not None else None,
    }


class DisputeFields(serializers.ModelSerializer):
    """The fields of a list row (for the schema; the rows are built by `dispute_brief`)."""

    state_display = serializers.CharField(source="get_state_display", read_only=True)
    type = serializers.SerializerMethodField()
    center = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "number",
            "title",
            "type",
            "intake",
            "state",
            "state_display",
            "risk",
            "light",
            "center",
            "level",
            "created_at",
            "mediation_due",
            "people",
            "amount",
        ]

    @extend_schema_field(DisputeUserRef)
    def get_type(self, obj):
        return {"id": obj.type.pk, "name": str(obj.type)}

    @extend_schema_field(DisputeCenterRef)
    def get_center(self, obj):
        return _center(obj.center)


class DisputeListSerializer(DisputeFields):
    def to_representation(self, instance):
        return dispute_brief(instance)


class DisputeCreatedSerializer(DisputeFields):
    """The intake's answer: the row and the client's id (no personal data)."""

    class Meta(DisputeFields.Meta):
        fields = [*DisputeFields.Meta.fields, "client_id"]

    def to_representation(self, instance):
        return {**dispute_brief(instance), "client_id": str(instance.client_id)}


class PartySerializer(serializers.ModelSerializer):
    """A party: personal data (shown only to those who may see it, each view logged)."""

    class Meta:
        model = Party
        fields = [
            "id",
            "role",
            "kind",
            "name",
            "sex",
            "birth_year",
            "ethnicity",
            "occupation",
            "phone",
            "address",
            "id_number_masked",
            "organisation_code",
            "represents",
            "consents",
        ]


class SessionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "starts_at", "ends_at", "place", "held"]


class SessionSerializer(serializers.ModelSerializer):
    mediators = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = ["id", "starts_at", "ends_at", "place", "held", "mediators", "attendees", "notes", "created_at"]

    @extend_schema_field(DisputeUserRef(many=True))
    def get_mediators(self, obj):
        return [_person(u) for u in obj.mediators.all()]


class InvestigationSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Investigation
        fields = ["id", "interviewed", "at", "place", "content", "recorded_by"]

    @extend_schema_field(DisputeUserRef)
    def get_recorded_by(self, obj):
        return _person(obj.recorded_by)


class ObligationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Obligation
        fields = ["id", "party", "description", "due_date", "performed_at"]


class FollowUpSerializer(serializers.ModelSerializer):
    visitor = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "due_date",
            "visited_at",
            "visitor",
            "method",
            "performance",
            "satisfaction",
            "new_risks",
            "notes",
        ]

    @extend_schema_field(DisputeUserRef(allow_null=True))
    def get_visitor(self, obj):
        return _person(obj.visitor)


class ConfirmationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Confirmation
        fields = ["applied_on", "court", "case_number", "accepted_on", "ruling", "ruled_on", "extended"]


class DocumentSerializer(serializers.ModelSerializer):
    """A document's version. `files` names the formats it has: fetch one from
    `/api/disputes/{id}/documents/{doc}/file/?format=` (whoever may see the parties)."""

    files = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "kind", "version", "state", "session", "sha256", "created_at", "files"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=["pdf", "docx", "scan"])))
    def get_files(self, obj):
        return [name for name in ("pdf", "docx", "scan") if getattr(obj, name)]


class DisputeTimelineSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SerializerMethodField()
    actor_center = serializers.SerializerMethodField()
    center = serializers.SerializerMethodField()

    class Meta:
        model = DisputeAction
        fields = [
            "id",
            "action",
            "action_display",
            "actor",
            "actor_role",
            "actor_center",
            "center",
            "level",
            "from_state",
            "to_state",
            "reason",
            "data",
            "created_at",
        ]

    @extend_schema_field(DisputeUserRef(allow_null=True))
    def get_actor(self, obj):
        return _person(obj.actor)

    @extend_schema_field(DisputeCenterRef(allow_null=True))
    def get_actor_center(self, obj):
        return _center(obj.actor_center)

    @extend_schema_field(DisputeCenterRef)
    def get_center(self, obj):
        return _center(obj.center)


class DisputeDetailSerializer(DisputeFields):
    """A case. `parties` is null unless the user may see the parties (the view logs each showing);
    everything else follows the case's visibility (accounts.scope)."""

    grid = serializers.SerializerMethodField()
    origin_center = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()
    event = serializers.IntegerField(source="event_id", allow_null=True, read_only=True)
    parties = serializers.SerializerMethodField()
    mediators = serializers.SerializerMethodField()
    sessions = SessionBriefSerializer(many=True, read_only=True)
    obligations = ObligationSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    confirmation = serializers.SerializerMethodField()
    repeat_of = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(DisputeFields.Meta):
        fields = [
            *DisputeFields.Meta.fields,
            "client_id",
            "facts",
            "claims",
            "intake_reference",
            "address",
            "lat",
            "lng",
            "grid",
            "origin_center",
            "reporter",
            "event",
            "channel",
            "referred_to",
            "signals",
            "alarmed_at",
            "risk_plan",
            "joint_meeting_at",
            "agreement_form",
            "agreement_terms",
            "responsibility",
            "performance_method",
            "performance_place",
            "performance_due",
            "outcome_reason",
            "phase",
            "due_at",
            "extension_days",
            "escalations",
            "accepted_at",
            "concluded_at",
            "agreed_at",
            "closed_at",
            "parties",
            "mediators",
            "sessions",
            "obligations",
            "follow_ups",
            "confirmation",
            "repeat_of",
            "available_actions",
        ]

    @extend_schema_field(DisputeGridRef(allow_null=True))
    def get_grid(self, obj):
        return {"id": obj.grid.pk, "code": obj.grid.code, "name": obj.grid.name} if obj.grid_id else None

    @extend_schema_field(DisputeCenterRef)
    def get_origin_center(self, obj):
        return _center(obj.origin_center)

    @extend_schema_field(DisputeUserRef)
    def get_reporter(self, obj):
        return _person(obj.reporter)

    def get_lat(self, obj) -> float:
        return obj.location.y

    def get_lng(self, obj) -> float:
        return obj.location.x

    @extend_schema_field(PartySerializer(many=True, allow_null=True))
    def get_parties(self, obj):
        if not self.context.get("show_parties"):
            return None
        return PartySerializer(obj.parties.all(), many=True).data

    @extend_schema_field(DisputeMediatorRef(many=True))
    def get_mediators(self, obj):
        return [{**_person(row.user), "lead": row.lead} for row in obj.mediator_rows.all() if row.active]

    @extend_schema_field(ConfirmationSerializer(allow_null=True))
    def get_confirmation(self, obj):
        record = getattr(obj, "confirmation", None)
        return ConfirmationSerializer(record).data if record is not None else None

    @extend_schema_field(DisputeCaseRef(many=True))
    def get_repeat_of(self, obj):
        return [{"id": link.earlier.pk, "number": link.earlier.number} for link in obj.repeat_links.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, obj):
        from disputes.services import dispute_available_actions

        user = self.context["request"].user
        mediators = frozenset(row.user_id for row in obj.mediator_rows.all() if row.active)
        return dispute_available_actions(obj, user, mediators)


# --- statistics and the stability ledger ---------------------------------------------------------------


class DisputeRateSerializer(serializers.Serializer):
    """A rate with the names of the two counts (of the same row) it divides."""

    value = serializers.FloatField(allow_null=True, help_text="numerator ÷ denominator, 4 decimals; null when ÷ 0")
    numerator = serializers.CharField()
    denominator = serializers.CharField()


def _figure_fields() -> dict:
    """The counts and rates of `disputes.selectors.dispute_stats`, one field each, described by the
    selector's own definitions (so that the schema and the pages say the same)."""
    from disputes.selectors import COUNTS, DEFINITIONS, RATES

    rates = type(
        "DisputeStatsRatesSerializer",
        (serializers.Serializer,),
        {name: DisputeRateSerializer(help_text=DEFINITIONS.get(name, "")) for name in RATES},
    )
    fields = {name: serializers.IntegerField(help_text=DEFINITIONS.get(name, "")) for name in (*COUNTS, "pending")}
    return {**fields, "rates": rates()}


DisputeFiguresSerializer = type("DisputeFiguresSerializer", (serializers.Serializer,), _figure_fields())


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True, "description": "the slice's key"}
)
class _SliceKey(serializers.Field):
    def to_representation(self, value):
        return value


class DisputeSliceSerializer(DisputeFiguresSerializer):
    """One slice's figures: `id` a type or town id (null: above the towns) or a channel, band or
    risk value; `name` its label."""

    id = _SliceKey()
    name = serializers.CharField()


class DisputeStatsSerializer(serializers.Serializer):
    """The dispute statistics of a center's subtree over a period (disputes.selectors.dispute_stats)."""

    center = DisputeCenterRef(allow_null=True, help_text="null: the whole of your area")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    by = serializers.CharField(allow_null=True)
    definitions = serializers.DictField(child=serializers.CharField(), help_text="figure -> its definition")
    totals = DisputeFiguresSerializer()
    slices = DisputeSliceSerializer(many=True, help_text="one row per slice of `by` (empty without `by`)")


def ledger_row(obj: Dispute) -> dict:
    """A row of the stability ledger (维稳台账). No personal data: no parties, no facts."""
    top = obj.type.parent or obj.type
    return {
        "id": obj.pk,
        "number": obj.number,
        "title": obj.title,
        "type": {"id": obj.type.pk, "name": str(obj.type)},
        "top_type": {"id": top.pk, "name": top.name},
        "town": obj.town_name or None,
        "people": obj.people,
        "amount": _decimal.to_representation(obj.amount) if obj.amount is not None else None,
        "risk": obj.risk,
        "signals": list(obj.signals or []),
        "state": obj.state,
        "state_display": str(obj.get_state_display()),
        "center": _center(obj.center),
        "created_at": _when(obj.created_at),
    }


class DisputeLedgerSerializer(serializers.Serializer):
    """A row of the stability ledger: an open group or major case (disputes.selectors.ledger_q)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    type = DisputeUserRef()
    top_type = DisputeUserRef(help_text="the top-level type (one of the quarterly form's)")
    town = serializers.CharField(allow_null=True, help_text="the town taken in at; null above the towns")
    people = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    risk = serializers.ChoiceField(choices=Risk.choices)
    signals = serializers.ListField(child=serializers.ChoiceField(choices=Signal.choices))
    state = serializers.ChoiceField(choices=State.choices)
    state_display = serializers.CharField()
    center = DisputeCenterRef(help_text="the holding center")
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return ledger_row(instance)
