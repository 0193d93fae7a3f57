"""The snapshot's shape, for the OpenAPI schema (the view returns `snapshot_for` as it is)."""

from rest_framework import serializers


class DashboardFiguresSerializer(serializers.Serializer):
    reported = serializers.IntegerField(help_text="reported in the period")
    open = serializers.IntegerField(help_text="still open at the end of the period (now)")
    overdue = serializers.IntegerField(help_text="due in the period and closed late or still open past the deadline")
    closed = serializers.IntegerField(help_text="closed in the period")
    closure_rate = serializers.FloatField(allow_null=True, help_text="closed / due (0–1; null when nothing is due)")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="closed by the deadline / due (0–1)")
    escalations = serializers.IntegerField(help_text="escalations to the center above in the period")


class DashboardChildFiguresSerializer(DashboardFiguresSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DashboardDisputeFiguresSerializer(serializers.Serializer):
    taken_in = serializers.IntegerField(help_text="disputes taken in today")
    open = serializers.IntegerField(help_text="open now (taken in, under mediation, suspended, agreed)")
    overdue = serializers.IntegerField(help_text="open with a running phase past its deadline now")
    alarms = serializers.IntegerField(help_text="open with an alarm (signs of turning criminal, a group dispute)")
    year_taken_in = serializers.IntegerField(help_text="taken in since 1 January")
    year_successful = serializers.IntegerField(help_text="of those, an agreement reached")
    success_rate = serializers.FloatField(allow_null=True, help_text="year_successful / year_taken_in (0–1)")


class DashboardDisputeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="the case number (一案一码)")
    title = serializers.CharField()
    type = serializers.CharField()
    state = serializers.CharField(help_text="code; see labels.dispute_state")
    open = serializers.BooleanField()
    risk = serializers.CharField(help_text="code; see labels.risk ('' when not assessed)")
    light = serializers.ChoiceField(choices=["green", "yellow", "red"])
    signals = serializers.ListField(child=serializers.CharField(), help_text="codes; see labels.signal")
    alarmed = serializers.BooleanField()
    people = serializers.IntegerField()
    level = serializers.CharField()
    center_id = serializers.IntegerField()
    center = serializers.CharField()
    origin_center_id = serializers.IntegerField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    reported_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField()


class DashboardCareFiguresSerializer(serializers.Serializer):
    in_care = serializers.IntegerField(help_text="special-population persons in care")
    lost = serializers.IntegerField(help_text="lost contact (失联) now")
    overdue = serializers.IntegerField(help_text="in care with the visit past its due moment now")


class DashboardCareItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["lost_contact", "overdue"])
    person_type = serializers.CharField()
    person_type_label = serializers.CharField()
    status = serializers.CharField()
    center_id = serializers.IntegerField()
    center_name = serializers.CharField()
    center_codes = serializers.ListField(child=serializers.CharField())
    since = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField(help_text="false: the alarm is over (found again, visited)")


class DashboardPatrolFiguresSerializer(serializers.Serializer):
    active = serializers.IntegerField(help_text="patrols under way now")
    today = serializers.IntegerField(help_text="patrols started today")
    plans = serializers.IntegerField(help_text="active patrol plans")
    coverage = serializers.FloatField(
        allow_null=True, help_text="places checked ÷ places due over the plans' current periods (0–1)"
    )
    missed_month = serializers.IntegerField(help_text="plan periods ended uncovered this month")


class DashboardPatrolItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    user = serializers.CharField(help_text="the patroller's name")
    role = serializers.CharField()
    plan = serializers.CharField()
    center_id = serializers.IntegerField()
    grid_id = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.IntegerField()
    check_in_count = serializers.IntegerField()
    point_count = serializers.IntegerField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="the patrol's replay page")


class DashboardCameraRateSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="a network (tianwang, xueliang, huiyan, other), or a center's or grid's id")
    name = serializers.CharField(required=False, help_text="the center's or grid's name (by_child only)")
    total = serializers.IntegerField(help_text="cameras in service")
    online = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="online ÷ total (0–1); null without cameras")


class DashboardVideoFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="cameras in service in the subtree")
    online = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    child_level = serializers.ChoiceField(choices=["city", "district", "town", "community", "grid"])
    by_network = DashboardCameraRateSerializer(many=True)
    by_child = DashboardCameraRateSerializer(many=True, help_text="each center (or grid) below with cameras")


class DashboardCountsSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="the day that `today` is")
    disputes = DashboardDisputeFiguresSerializer(allow_null=True, help_text="null on a department's dashboard")
    care = DashboardCareFiguresSerializer(allow_null=True, help_text="counts only; null on a department's dashboard")
    video = DashboardVideoFiguresSerializer(
        allow_null=True,
        help_text="the cameras' online rate (video.selectors.center_online_figures); null on a department's "
        "dashboard and for a role that does not watch the area's cameras",
    )
    today = DashboardFiguresSerializer()
    year = DashboardFiguresSerializer(help_text="from 1 January to today")
    child_level = serializers.ChoiceField(
        choices=["city", "district", "town", "community", "grid"], help_text="what `by_child` lists"
    )
    by_child = DashboardChildFiguresSerializer(
        many=True, help_text="this year's figures of each center (or grid) below"
    )


class DashboardMapItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="date of report and id, as quoted on the phone")
    category = serializers.CharField()
    excerpt = serializers.CharField(help_text="the first words of the description")
    place = serializers.CharField(help_text="the grid, or the center when there is no grid")
    center_id = serializers.IntegerField(help_text="the holding center")
    origin_center_id = serializers.IntegerField(help_text="the first center")
    level = serializers.CharField(help_text="code; see labels.level")
    urgent = serializers.BooleanField()
    urgent_requested = serializers.BooleanField(
        help_text="the reporter (a volunteer) asked for urgency, not yet confirmed by the accepting center: "
        "shown, but no alarm"
    )
    light = serializers.ChoiceField(choices=["green", "yellow", "red"])
    state = serializers.CharField(help_text="code; see labels.state")
    open = serializers.BooleanField()
    supervision = serializers.CharField(help_text="code; see labels.supervision")
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    reported_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="the event's page")


class DashboardItemSerializer(DashboardMapItemSerializer):
    category_id = serializers.IntegerField()
    address = serializers.CharField()
    center = serializers.CharField(help_text="the holding center's name")
    escalations = serializers.IntegerField()
    action = serializers.CharField(help_text="the last step's code, see labels.action; report: a new event")


class DashboardCenterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()


class DashboardLabelsSerializer(serializers.Serializer):
    state = serializers.DictField(child=serializers.CharField())
    light = serializers.DictField(child=serializers.CharField())
    action = serializers.DictField(child=serializers.CharField())
    level = serializers.DictField(child=serializers.CharField())
    supervision = serializers.DictField(child=serializers.CharField())
    dispute_state = serializers.DictField(child=serializers.CharField())
    risk = serializers.DictField(child=serializers.CharField())
    signal = serializers.DictField(child=serializers.CharField())


class DashboardSnapshotSerializer(serializers.Serializer):
    seq = serializers.IntegerField(
        allow_null=True,
        help_text="the number of the stream's last push contained here: apply pushes numbered above it "
        "(null: the stream cannot be read now; reload at the first push)",
    )
    stream = serializers.CharField(help_text="the WebSocket stream the dashboard follows")
    center = DashboardCenterSerializer()
    generated_at = serializers.DateTimeField()
    counts = DashboardCountsSerializer(help_text="also the `data` of a `counts` push")
    feed = DashboardItemSerializer(many=True, help_text="the 30 latest changed events, newest first")
    open_events = DashboardMapItemSerializer(
        many=True, help_text="open events for the map, newest first (at most 3,000)"
    )
    alarms = DashboardItemSerializer(many=True, help_text="open events that are urgent or red, latest changed first")
    dispute_alarms = DashboardDisputeItemSerializer(
        many=True,
        help_text="open disputes with an alarm or a red or orange risk, latest changed first (also the `data` "
        "of a `dispute` push)",
    )
    care_alarms = DashboardCareItemSerializer(
        many=True,
        help_text="special-population persons who lost contact or whose visit is escalated, without names "
        "(also the `data` of a `care` push)",
    )
    patrols = DashboardPatrolItemSerializer(
        many=True,
        help_text="patrols under way (also the `data` of a `patrol` push, which comes on the `patrols.<center>` "
        "stream: apply it as an upsert, whatever its number)",
    )
    patrol_figures = DashboardPatrolFiguresSerializer(
        allow_null=True, help_text="the area's patrol figures (null on a department's dashboard)"
    )
    labels = DashboardLabelsSerializer(help_text="names of the codes, in the request's language")
