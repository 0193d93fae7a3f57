"""Events (事件), their categories and limits, department assignments, the timeline and photos."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import BrinIndex, GinIndex, GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clocks.models import Mark, step_once
from grids.choices import Level

from .choices import (
    Action,
    AssignmentRole,
    AssignmentState,
    Extension,
    Light,
    Phase,
    Source,
    State,
    Supervision,
)


class EventCategory(models.Model):
    """A node of the event category tree (事件类别), with its default lead department and urgency."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("default lead department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_urgent = models.BooleanField(_("urgent by default"), default=False)
    # Published through Open311 (GET requests): the street's problems, not people's troubles (disputes,
    # special groups, public security stay unlisted). A category is public if it or its parent is.
    public = models.BooleanField(
        _("public through Open311"),
        default=False,
        help_text=_("Its events are listed to anyone by the Open311 API (no reporter, no photos)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id else self.name


class PhaseLimit(models.Model):
    """How long one phase may take, by level × category × urgency.

    The most specific row wins: a category's own row, then its parent's, then the row with no
    category; `urgent` must match. Minutes of the center's calendar (24/7 duty for now)."""

    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    category = models.ForeignKey(
        EventCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="limits",
        help_text=_("Empty: every category without a row of its own."),
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    minutes = models.PositiveIntegerField(_("limit (minutes)"))

    class Meta:
        verbose_name = _("phase limit")
        verbose_name_plural = _("phase limits")
        ordering = ["level", "phase", "category", "urgent"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "level", "category", "urgent"],
                name="phase_limit_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="phase_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_phase_display()} {self.minutes} min"


def event_number(created_at, pk: int, tz=None) -> str:
    """An event's number (date of report in the platform's time zone, and id), for code that has
    only the row's values (`tz`: the current time zone, which a page of rows reads once)."""
    from django.utils import timezone

    return f"{created_at.astimezone(tz or timezone.get_current_timezone()):%Y%m%d}-{pk:06d}"


class Event(models.Model):
    """An incident, hazard or request (事件), held by one center at a time.

    Only `events.services` changes an event; every change leaves an EventAction row."""

    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4, editable=False)
    category = models.ForeignKey(EventCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), max_length=2000)
    location = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # A volunteer's "urgent" is a request: the event is not urgent (no urgent limits, no alarm)
    # until the accepting center confirms it.
    urgent_requested = models.BooleanField(_("urgency requested"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PATROL)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        on_delete=models.PROTECT,
        related_name="reported_events",
    )
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    origin_center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("first center"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The center that held the event first; it keeps read access after an escalation."),
    )
    center = models.ForeignKey(
        "grids.Center", verbose_name=_("holding center"), on_delete=models.PROTECT, related_name="events"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED)
    suspended_from = models.CharField(max_length=16, choices=State.choices, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    supervision = models.CharField(
        _("supervision"), max_length=12, choices=Supervision.choices, default=Supervision.NONE
    )
    extension = models.CharField(_("extension"), max_length=10, choices=Extension.choices, default=Extension.NONE)
    extension_days = models.PositiveSmallIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned grid worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_events",
        help_text=_("The grid worker who handles the event (signs, handles, may return it)."),
    )
    # Verification on site is a different role from handling: the verifier may pass or fail the
    # check and nothing else, so a worker sent to verify never gains the handler's rights.
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verifying grid worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verifying_events",
        help_text=_("The grid worker sent to verify the handling on site (passes or fails it, nothing else)."),
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    # Clocks: the running phase, when it started and when it is due; the overall deadline (办结时限).
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, blank=True)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("phase due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    # The escalation engine's state: the phase cycle (a new one each time a phase clock starts) and the
    # marks made in it. Its next moment is in EventSchedule, apart from this row.
    clock_cycle = models.PositiveIntegerField(default=0, editable=False)
    clock_marks = models.PositiveSmallIntegerField(default=0, editable=False)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    accept_due_at = models.DateTimeField(null=True, blank=True)
    # Moments, for statistics.
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    returns = models.PositiveSmallIntegerField(default=0)
    reworks = models.PositiveSmallIntegerField(default=0)
    escalations = models.PositiveSmallIntegerField(default=0)
    satisfied = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["center", "state", "-created_at"], name="event_center_state_created"),
            models.Index(fields=["origin_center", "-created_at"], name="event_origin_created"),
            # A queue: an area's events in one state over a period, newest first.
            models.Index(fields=["origin_center", "state", "-created_at"], name="event_origin_state_created"),
            models.Index(fields=["state", "-created_at"], name="event_state_created"),
            # Covering: the dashboards' count of today's deadlines come by now (events.figures.TODAY)
            # reads the index alone.
            models.Index(fields=["deadline"], include=["origin_center", "closed_at", "state"], name="event_deadline"),
            models.Index(fields=["closed_at"], name="event_closed_at"),
            models.Index(fields=["reporter", "-created_at"], name="event_reporter_created"),
            GinIndex(name="event_description_trgm", fields=["description"], opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=State.MERGED) | Q(merged_into__isnull=False), name="merged_event_names_survivor"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=models.F("pk")),
                name="event_not_merged_into_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name}"

    @property
    def number(self) -> str:
        """The number people quote on the phone: date of report and id."""
        return event_number(self.created_at, self.pk) if self.pk else "-"


class EventSchedule(models.Model):
    """The escalation engine's schedule: an event's next moment to act on (a warning, a deadline or
    an escalation). A row only while a moment is pending: a closed, suspended or stopped event has
    none. Written by `events.services` and the engine, under the event's row lock.

    Apart from the wide event row on purpose: a clock step moves the next moment, and an indexed
    column changed on the event row would make every step insert into each of its indexes (no HOT
    update). Here a step touches this narrow row and its two indexes; the event row gets only
    columns no index covers (light, supervision, marks), which the table's fillfactor keeps on
    the same page."""

    event = models.OneToOneField(Event, primary_key=True, on_delete=models.CASCADE, related_name="schedule")
    next_due_at = models.DateTimeField()

    class Meta:
        verbose_name = _("event schedule")
        verbose_name_plural = _("event schedules")
        # The sweep claims in this order, over this index: never a full scan.
        indexes = [models.Index(fields=["next_due_at"], name="event_schedule_due")]

    def __str__(self) -> str:
        return f"{self.event_id} @ {self.next_due_at:%Y-%m-%d %H:%M}"


class ClockPolicy(models.Model):
    """How the clocks warn and escalate at one level: a warning at a fraction of the limit, and an
    automatic escalation a grace period after the deadline."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, unique=True)
    warning_fraction = models.FloatField(
        _("warning at (fraction of the limit)"),
        default=0.7,
        validators=[MinValueValidator(0.05), MaxValueValidator(0.99)],
    )
    grace_minutes = models.PositiveIntegerField(_("grace before escalation (minutes)"), default=60)

    class Meta:
        verbose_name = _("clock policy")
        verbose_name_plural = _("clock policies")

    def __str__(self) -> str:
        return str(self.get_level_display())


ClockMark = Mark  # the engine's steps in one phase cycle of an event (clocks.models.Mark)


class EventAssignment(models.Model):
    """A department's part in handling an event: lead (主办) or assisting (协办)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("grids.Department", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=8, choices=AssignmentRole.choices)
    state = models.CharField(max_length=12, choices=AssignmentState.choices, default=AssignmentState.DISPATCHED)
    dispatched_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text=_("False once returned or superseded by a new dispatch."))

    class Meta:
        verbose_name = _("department assignment")
        verbose_name_plural = _("department assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "department"], condition=Q(active=True), name="one_active_assignment_per_department"
            ),
            models.UniqueConstraint(
                fields=["event"], condition=Q(active=True, role=AssignmentRole.LEAD), name="one_active_lead"
            ),
        ]
        indexes = [models.Index(fields=["department", "active", "state"], name="assignment_department_queue")]


class EventAction(models.Model):
    """One step of an event's timeline (全程留痕). Immutable: the database refuses updates and deletes."""

    # Indexes (see Meta): the event's by action_event_created; the actor's, the place's only where
    # there is one, so the engine's many system steps (no actor, no place) add no entry to them.
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="actions", db_index=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the system (the escalation engine)."),
        db_index=False,
    )
    actor_role = models.CharField(max_length=20, blank=True)
    actor_center = models.ForeignKey(
        "grids.Center", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_department = models.ForeignKey(
        "grids.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    level = models.CharField(max_length=16, choices=Level.choices, help_text=_("The event's level at the time."))
    from_state = models.CharField(max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=State.choices)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    location = models.PointField(srid=4326, null=True, blank=True, spatial_index=False)
    created_at = models.DateTimeField(_("at"))  # indexed by action_created (BRIN)
    # An engine step (warning, deadline, escalation or red card): the phase cycle it belongs to and its
    # mark. Unique (action_clock_once): whatever runs twice, a step is recorded, and so made, once.
    cycle = models.PositiveIntegerField(null=True, blank=True)
    mark = models.PositiveSmallIntegerField(choices=ClockMark.choices, null=True, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["event", "created_at"], name="action_event_created"),
            # The timeline only grows, in time order (rows are never updated or deleted): a block
            # range index finds a period's rows at a fraction of a B-tree's size, and a new row
            # costs it nothing until its range is summarised.
            BrinIndex(fields=["created_at"], name="action_created", autosummarize=True),
            # The dashboard's escalations of a period; the engine's warnings and cards stay out.
            models.Index(fields=["created_at"], name="action_escalated", condition=Q(action=Action.ESCALATE)),
            models.Index(fields=["actor"], name="action_actor", condition=Q(actor__isnull=False)),
            models.Index(fields=["actor_center"], name="action_actor_center", condition=Q(actor_center__isnull=False)),
            models.Index(
                fields=["actor_department"], name="action_actor_department", condition=Q(actor_department__isnull=False)
            ),
            GistIndex(fields=["location"], name="action_location", condition=Q(location__isnull=False)),
        ]
        constraints = [
            step_once("event", name="action_clock_once"),
        ]


class EventFigure(models.Model):
    """Counters behind the dashboards' figures, so that a center above thousands of others does not
    re-read its year of events on every recompute (events.figures reads them).

    Kept by the database itself, in the transaction of each change: a trigger on events_event adds
    one row of deltas per change (the old row's contributions subtracted, the new one's added, by
    `events_figure_deltas`, one SQL definition), and one on the timeline counts escalations. Rows
    are only ever inserted, so concurrent writers never wait on each other or deadlock; the sweep
    folds them into one `compacted` row per (center, bucket, start) (`events_figure_compact`).

    Each event counts in a day bucket ("d", that day) and a year bucket ("y", 1 January): reported
    and open by the day it was reported; closed, closed on time, closed late and closed-and-due by the
    day it was closed; its deadline's day for the deadlines still pending (not closed) and for those
    of events closed on another day or in another year. `manage.py figures_check` proves the counters
    equal the events table's, and repairs them."""

    origin_center_id = models.BigIntegerField()
    bucket = models.CharField(max_length=1)  # "d": a day, "y": a year
    start = models.DateField()
    compacted = models.BooleanField(default=False)
    reported = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    closed_late = models.IntegerField(default=0)
    closed_due = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    deadline_other_day = models.IntegerField(default=0)
    deadline_other_year = models.IntegerField(default=0)
    escalations = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["origin_center_id", "bucket", "start"], name="event_figure_key"),
            # The dashboards read the year rows and the day rows from today on, for thousands of centers
            # at once: found by period, then filtered by center, from the index alone (covering: the rows
            # lie all over the table, and reading them visited a heap page for nearly each).
            models.Index(
                fields=["bucket", "start"],
                include=[
                    "origin_center_id",
                    "reported",
                    "closed",
                    "closed_on_time",
                    "closed_late",
                    "closed_due",
                    "escalations",
                    "pending",
                    "deadline_other_year",
                    "open",
                ],
                name="event_figure_period",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["origin_center_id", "bucket", "start"],
                condition=Q(compacted=True),
                name="event_figure_compacted_once",
            )
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"events/{instance.event_id}/{uuid.uuid4().hex}.jpg"


def thumbnail_path(instance: Attachment, filename: str) -> str:
    return f"events/{instance.event_id}/thumbs/{uuid.uuid4().hex}.jpg"


class AttachmentQuerySet(models.QuerySet):
    def on_timeline(self):
        """The photos shown with an event: those of a timeline step. An after-photo waiting for
        the handling step that will name it is seen by its uploader only (events.media)."""
        return self.filter(action__isnull=False)


class Attachment(models.Model):
    """A photo of an event, re-encoded without its metadata (no GPS, no camera serial).

    Served only through events.media (to whoever may see the event), never from MEDIA_URL; each
    belongs to the timeline step that added it (`action`)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("At report")
        AFTER = "after", _("After handling")
        OTHER = "other", _("Other")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="attachments")
    action = models.ForeignKey(EventAction, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPORT)
    image = models.ImageField(upload_to=attachment_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumbnail_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]


class DuplicateRule(models.Model):
    """How intake finds likely duplicates (并案) of a report in one category: open events of the same
    category reported within `window_hours` before it, within `distance_m` of it, whose description
    is at least `min_similarity` alike (PostgreSQL trigram similarity, 0–1).

    The most specific row wins: the category's own, then its parent's, then the row with no
    category (the district's default); without any row, the built-in defaults of the fields."""

    category = models.OneToOneField(
        EventCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duplicate_rule",
        help_text=_("Empty: every category without a rule of its own."),
    )
    distance_m = models.PositiveIntegerField(
        _("distance (metres)"), default=150, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    window_hours = models.PositiveIntegerField(
        _("time window (hours)"), default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )
    # The defaults are those `manage.py duplicates_measure` found best over the demo year (README).
    min_similarity = models.FloatField(
        _("minimum text similarity"),
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("0 offers every open event of the category nearby; 1 only the same words."),
    )
    active = models.BooleanField(_("active"), default=True, help_text=_("Off: no duplicates offered."))

    class Meta:
        verbose_name = _("duplicate rule")
        verbose_name_plural = _("duplicate rules")
        constraints = [
            models.UniqueConstraint(fields=["category"], name="duplicate_rule_once", nulls_distinct=False),
            models.CheckConstraint(
                condition=Q(min_similarity__gte=0) & Q(min_similarity__lte=1), name="duplicate_rule_similarity"
            ),
            models.CheckConstraint(condition=Q(distance_m__gt=0, window_hours__gt=0), name="duplicate_rule_positive"),
        ]

    def __str__(self) -> str:
        return str(self.category) if self.category_id else str(_("Default"))


class DemoDuplicate(models.Model):
    """The demo generator's truth: `event` was reported again on purpose as a duplicate of
    `original` (a second reporter, another wording, a little apart). `manage.py duplicates_measure`
    scores the duplicate finder against it. Written by events.demo only."""

    event = models.OneToOneField(Event, primary_key=True, on_delete=models.CASCADE, related_name="+")
    original = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("demo duplicate")
        verbose_name_plural = _("demo duplicates")
