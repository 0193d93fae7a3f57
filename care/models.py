"""The four special populations (四类特殊人群): a record per person, the visit rules, visits with
photos, the immutable timeline, the view log and the visit clock's schedule.

Sensitive personal data: the ID number is kept only masked and as a keyed hash (grids.services);
lists and exports show names masked (care.selectors.mask_name); every view of a whole record is
a PersonView row."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clocks.models import step_once
from grids.models import Center, Department, Grid

from .choices import Action, EndReason, Gender, PersonType, Risk, Status, TeamRole, Via, VisitMethod


class VisitRule(models.Model):
    """How often a person of a type at a risk level is visited (e.g. monthly; weekly at high risk).
    Data, edited by administrators; seeded with defaults (migration 0002)."""

    person_type = models.CharField(_("type"), max_length=12, choices=PersonType.choices)
    risk = models.CharField(_("risk level"), max_length=8, choices=Risk.choices)
    every_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    warn_days = models.PositiveSmallIntegerField(_("warn days before"), default=3)
    grace_days = models.PositiveSmallIntegerField(_("escalate days after"), default=3)

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["person_type", "risk"]
        constraints = [
            models.UniqueConstraint(fields=["person_type", "risk"], name="care_rule_unique"),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="care_rule_every_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_person_type_display()} · {self.get_risk_display()}: {self.every_days}"


class SpecialPerson(models.Model):
    """One person of the four special populations, held by the community center of their place.

    `workers` are the assigned grid workers; `team` the helping team (帮扶小组). `status` is in care,
    lost contact (失联) or ended; the visit clock (`warn_at`, `due_at`, `escalate_at`, cycle and
    marks, as clocks.moments) runs while in care."""

    person_type = models.CharField(_("type"), max_length=12, choices=PersonType.choices)
    name = models.CharField(_("name"), max_length=50)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    point = models.PointField(_("place"), srid=4326)
    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="special_people")
    center = models.ForeignKey(
        Center, verbose_name=_("holding center"), on_delete=models.PROTECT, related_name="special_people"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="special_people",
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned grid workers"), blank=True, related_name="care_people"
    )
    risk = models.CharField(_("risk level"), max_length=8, choices=Risk.choices, default=Risk.LOW)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.IN_CARE)
    end_reason = models.CharField(_("end reason"), max_length=12, choices=EndReason.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    not_found_streak = models.PositiveSmallIntegerField(default=0)
    lost_at = models.DateTimeField(_("lost contact since"), null=True, blank=True)
    clock_cycle = models.PositiveIntegerField(default=0)
    clock_marks = models.PositiveSmallIntegerField(default=0)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("next visit due"), null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("special-population person")
        verbose_name_plural = _("special-population persons")
        ordering = ["id"]
        permissions = [
            ("view_special_people", _("May see the special-population persons of the center's area")),
        ]
        indexes = [
            models.Index(fields=["center", "status"], name="care_person_center"),
            models.Index(fields=["department", "status"], name="care_person_department"),
            models.Index(fields=["due_at"], name="care_person_due", condition=Q(status="in_care")),
            models.Index(fields=["id_number_hash"], name="care_person_id_hash", condition=~Q(id_number_hash="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="ended", end_reason__gt="") | (~Q(status="ended") & Q(end_reason="")),
                name="care_end_reason_iff_ended",
                violation_error_message=_("An ended record needs an end reason; an open one has none."),
            ),
            models.UniqueConstraint(
                fields=["id_number_hash", "person_type"],
                condition=~Q(id_number_hash="") & ~Q(status="ended"),
                name="care_person_once_per_type",
                violation_error_message=_("This person is already in care under this type."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_person_type_display()} #{self.pk}"


class HelperMember(models.Model):
    """A member of a person's helping team (帮扶小组): a user of the platform, or someone named
    only (a family member), with their role in the team."""

    person = models.ForeignKey(SpecialPerson, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="care_teams"
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    role = models.CharField(_("role in the team"), max_length=12, choices=TeamRole.choices)

    class Meta:
        verbose_name = _("helping-team member")
        verbose_name_plural = _("helping-team members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "user"], condition=Q(user__isnull=False), name="care_team_once"),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(name=""), name="care_team_named"),
        ]
        indexes = [models.Index(fields=["user"], name="care_team_user", condition=Q(user__isnull=False))]

    def __str__(self) -> str:
        return self.name or str(self.user)


class Visit(models.Model):
    """A visit (走访) to a person: when, where, how, what was found and whether the person was found.
    Immutable once recorded (a database trigger); a mistake is put right by a new row that
    `corrects` it, and the newest row of a chain is the one that counts."""

    person = models.ForeignKey(SpecialPerson, on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_visits")
    visited_at = models.DateTimeField(_("visited at"))
    point = models.PointField(_("place"), srid=4326, null=True, blank=True)
    method = models.CharField(_("how"), max_length=12, choices=VisitMethod.choices)
    found = models.BooleanField(_("person found"), default=True)
    findings = models.TextField(_("findings"), blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    client_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["person", "-visited_at"], name="care_visit_person")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.visited_at:%Y-%m-%d}"


def photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"care/{instance.visit_id}/{uuid.uuid4().hex}.jpg"


def thumb_path(instance: VisitPhoto, filename: str) -> str:
    return f"care/{instance.visit_id}/thumbs/{uuid.uuid4().hex}.jpg"


class VisitPhoto(models.Model):
    """A photo of a visit, checked and re-encoded without metadata by events.attachments; served
    only by care.views.photo to whoever may see the person."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumb_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["id"]


class CareAction(models.Model):
    """One immutable step of a person's timeline (a database trigger refuses UPDATE and DELETE):
    who, what, status before and after, reason, data. The clock's steps carry their cycle and mark,
    unique per person (care_action_clock_once): each warning, urge and escalation happens once."""

    person = models.ForeignKey(SpecialPerson, on_delete=models.PROTECT, related_name="actions")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=8, choices=Status.choices)
    to_status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveIntegerField(null=True, blank=True)
    mark = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["person", "created_at"], name="care_action_person")]
        constraints = [step_once("person", name="care_action_clock_once")]


class PersonView(models.Model):
    """A view of a person's whole record (name, ID mask, visits): who, when, from where, why.
    Written by care.services.person_view_log; read by administrators; never changed."""

    person = models.ForeignKey(SpecialPerson, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=8, choices=Via.choices)
    path = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("view of a person's record")
        verbose_name_plural = _("views of persons' records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person", "-at"], name="care_view_person"),
            models.Index(fields=["user", "-at"], name="care_view_user"),
        ]


class CareSchedule(models.Model):
    """The sweep's index of a person's next clock moment (clocks.sweep); a row only while one is
    pending. Written under the person's row lock."""

    person = models.OneToOneField(SpecialPerson, primary_key=True, on_delete=models.CASCADE, related_name="schedule")
    next_due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["next_due_at"], name="care_schedule_due")]
