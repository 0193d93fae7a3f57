"""Patrol plans over a grid's places, patrols with their tracks and check-ins, the reports made
from a patrol, and the plan's clock (its period, the warning before it runs out, the missed patrols).
"""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clocks.models import Mark, step_once

from .choices import CheckInMethod, PatrolState, Period


class PatrolPlan(models.Model):
    """What a grid or a volunteer organisation promises to patrol: an ordered route over places
    (`PlanStop`), how often (`patrols_per_period` patrols each `period`), who walks it
    (`assignees`) and what they check on the way (`duties`, from the grid duty catalog).

    The plan's clock runs on its community center's calendar (`center`): the current period starts
    at `period_start`; the warning (`warn_at`) and the period's end (`due_at`) are its moments, and
    `clock_cycle` / `clock_marks` make each of the sweep's steps happen once (clocks.moments)."""

    name = models.CharField(_("name"), max_length=100)
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_plans",
    )
    organization = models.ForeignKey(
        "grids.VolunteerOrganization",
        verbose_name=_("volunteer organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_plans",
    )
    center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("community center"),
        on_delete=models.PROTECT,
        related_name="patrol_plans",
        help_text=_("The center whose calendar counts the plan's periods and who is warned of missed patrols."),
    )
    period = models.CharField(_("period"), max_length=16, choices=Period.choices, default=Period.WEEK)
    patrols_per_period = models.PositiveSmallIntegerField(_("patrols per period"), default=1)
    check_in_radius_m = models.PositiveSmallIntegerField(
        _("check-in radius (m)"), default=60, help_text=_("How near a place a tap counts as a check-in.")
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned people"), blank=True, related_name="patrol_plans"
    )
    duties = models.ManyToManyField(
        "grids.DutyItem", verbose_name=_("checklist"), blank=True, related_name="patrol_plans"
    )
    places = models.ManyToManyField(
        "grids.Place", through="PlanStop", verbose_name=_("route"), blank=True, related_name="patrol_plans"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The clock of the current period (patrols.clocks).
    period_start = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    clock_cycle = models.PositiveIntegerField(default=0)
    clock_marks = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        ordering = ["center", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False) | Q(organization__isnull=False),
                name="patrol_plan_grid_or_organization",
                violation_error_message=_("A patrol plan belongs to a grid or a volunteer organization."),
            ),
            models.CheckConstraint(condition=Q(patrols_per_period__gte=1), name="patrol_plan_at_least_one"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanStop(models.Model):
    """A place on a plan's route, in walking order."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="stops")
    place = models.ForeignKey("grids.Place", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "place"], name="plan_stop_place_once"),
            models.UniqueConstraint(fields=["plan", "order"], name="plan_stop_order_unique"),
        ]


class Patrol(models.Model):
    """One walk by one person (a grid worker or a volunteer), on a plan or free. Only its walker
    writes to it; the centers of its area read it. A person has at most one active patrol.

    `distance_m`, `check_in_count`, `point_count`, `last_point` and `last_at` are kept current by
    the services so that lists and the live map never aggregate the track."""

    client_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("patroller"), on_delete=models.PROTECT, related_name="patrols"
    )
    plan = models.ForeignKey(
        PatrolPlan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.PROTECT, related_name="patrols"
    )
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="patrols"
    )
    center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("community center"),
        on_delete=models.PROTECT,
        related_name="patrols",
        help_text=_("The community center whose area the patrol belongs to (its plan's, grid's or walker's)."),
    )
    state = models.CharField(_("state"), max_length=16, choices=PatrolState.choices, default=PatrolState.ACTIVE)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    check_in_count = models.PositiveIntegerField(_("check-ins"), default=0)
    point_count = models.PositiveIntegerField(_("track points"), default=0)
    last_point = models.PointField(srid=4326, null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["center", "-started_at"], name="patrol_center_started"),
            models.Index(fields=["plan", "started_at"], name="patrol_plan_started"),
            models.Index(fields=["user", "-started_at"], name="patrol_user_started"),
            models.Index(fields=["started_at"], name="patrol_active_started", condition=Q(state=PatrolState.ACTIVE)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(state=PatrolState.ACTIVE), name="patrol_one_active_per_user"
            ),
            models.CheckConstraint(
                condition=Q(state=PatrolState.ACTIVE, ended_at__isnull=True)
                | (~Q(state=PatrolState.ACTIVE) & Q(ended_at__isnull=False)),
                name="patrol_ended_iff_not_active",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class TrackPoint(models.Model):
    """A position the phone recorded during a patrol. The phone numbers its points (`seq`) and
    resends them until acknowledged: (patrol, seq) is unique, a repeat is ignored."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="track")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    point = models.PointField(srid=4326, spatial_index=False)
    accuracy = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="track_point_seq_once")]


class CheckIn(models.Model):
    """A patrol's visit to a place on its way: a tap near the place or its QR code scanned at the
    door. Once per place per patrol."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="check_ins")
    place = models.ForeignKey("grids.Place", on_delete=models.PROTECT, related_name="check_ins")
    at = models.DateTimeField()
    method = models.CharField(max_length=8, choices=CheckInMethod.choices)
    point = models.PointField(srid=4326, null=True, blank=True, spatial_index=False)
    distance_m = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["patrol", "place"], name="check_in_place_once")]
        indexes = [models.Index(fields=["place", "at"], name="check_in_place_at")]


class PatrolReport(models.Model):
    """An event or a dispute reported from a patrol, with the place it was reported at."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="reports")
    event = models.OneToOneField(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="patrol_report"
    )
    dispute = models.OneToOneField(
        "disputes.Dispute", null=True, blank=True, on_delete=models.CASCADE, related_name="patrol_report"
    )
    place = models.ForeignKey("grids.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report from a patrol")
        verbose_name_plural = _("reports from patrols")
        constraints = [
            models.CheckConstraint(
                condition=Q(event__isnull=False, dispute__isnull=True) | Q(event__isnull=True, dispute__isnull=False),
                name="patrol_report_event_xor_dispute",
            )
        ]


class PlanSchedule(models.Model):
    """The sweep's index of a plan's next clock moment (clocks.sweep); a row only while one is
    pending. Written under the plan's row lock."""

    plan = models.OneToOneField(PatrolPlan, primary_key=True, on_delete=models.CASCADE, related_name="schedule")
    next_due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["next_due_at"], name="plan_schedule_due")]


class PlanClockStep(models.Model):
    """A step of a plan's clock, once per (plan, cycle, mark): the warning that a period is running
    out uncovered, or the period's end. Immutable."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="clock_steps")
    cycle = models.PositiveIntegerField()
    mark = models.PositiveSmallIntegerField(choices=Mark.choices)
    period_start = models.DateTimeField()
    at = models.DateTimeField()
    patrols_done = models.PositiveIntegerField(default=0)
    places_checked = models.PositiveIntegerField(default=0)
    places_due = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [step_once("plan", name="plan_clock_step_once")]


class MissedPatrol(models.Model):
    """A plan's period that ended without its patrols done or its places covered: recorded once per
    (plan, period)."""

    plan = models.ForeignKey(PatrolPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="missed")
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    patrols_expected = models.PositiveSmallIntegerField(_("patrols expected"))
    patrols_done = models.PositiveIntegerField(_("patrols done"))
    places_due = models.PositiveIntegerField(_("places due"))
    places_checked = models.PositiveIntegerField(_("places checked"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("missed patrol")
        verbose_name_plural = _("missed patrols")
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["plan", "period_start"], name="missed_patrol_once_per_period")]
        indexes = [models.Index(fields=["period_end"], name="missed_patrol_end")]
