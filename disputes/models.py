"""Disputes (矛盾纠纷) and their mediation: cases, parties, sessions, records, the agreement and its
documents, performance, follow-up visits, judicial confirmation, and the immutable timeline.

Only `disputes.services` writes these rows; every change of a case leaves a DisputeAction.

Sources the rules come from (cited where they are used):
- 人民调解法 (2010): art. 17 (both parties' consent; a refusal ends people's mediation), art. 19
  (the committee names one or more mediators), art. 28 (a written agreement, or an oral one recorded
  by the mediator for simple matters), art. 29 (what a written agreement may state).
- 司法部《人民调解工作若干规定》(2002): art. 33 (a dispute is generally mediated within one month),
  arts. 34–35 (the agreement's contents; signed or fingerprinted by the parties, signed by the
  mediator, sealed by the committee, one copy per party and one for the committee).
- 最高人民法院《关于人民调解协议司法确认程序的若干规定》法释〔2011〕5号 and the Civil Procedure Law:
  judicial confirmation is optional; both parties apply together within 30 days of the agreement
  taking effect; the court decides within 3 days whether to accept and rules within 15 days
  (extendable by 10).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clocks.models import Mark, step_once
from grids.choices import Level

from .choices import (
    Action,
    AgreementForm,
    Channel,
    ConfirmationRuling,
    DocumentKind,
    DocumentState,
    Intake,
    Light,
    PartyKind,
    PartyRole,
    Performance,
    Phase,
    ReminderKind,
    Risk,
    Satisfaction,
    State,
    VisitMethod,
)


class DisputeType(models.Model):
    """A node of the two-level dispute type tree: the 19 types of Sichuan's quarterly dispute report
    (四川省矛盾纠纷排查调处情况统计表) and their subtypes."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dispute type")
        verbose_name_plural = _("dispute types")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id else self.name


class Committee(models.Model):
    """A mediation committee (人民调解委员会, or a town's mediation center) at a center. It accepts
    cases and names their mediators (人民调解法 art. 19), numbers them one number per case and year
    (一案一码), and seals their agreements."""

    center = models.OneToOneField("grids.Center", verbose_name=_("center"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    number_prefix = models.CharField(
        _("number prefix"),
        max_length=20,
        help_text=_("The word before 字 in the case number, e.g. 温人调 gives (2026)温人调字第 00123 号."),
    )

    class Meta:
        verbose_name = _("mediation committee")
        verbose_name_plural = _("mediation committees")

    def __str__(self) -> str:
        return self.name


class CaseCounter(models.Model):
    """The last serial number a committee gave in a year (one row per committee and year, taken
    with a row lock by `services.case_number_next`)."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="case_counter_unique")]


class DisputeLimit(models.Model):
    """How long a dispute phase may take at a level, with its warning and grace. Data, editable by
    administrators: mediation defaults to 30 days (司法部《人民调解工作若干规定》art. 33, "generally
    within one month")."""

    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    minutes = models.PositiveIntegerField(_("limit (minutes)"))
    working_time = models.BooleanField(
        _("counted on the center's calendar"),
        default=False,
        help_text=_("On: only the center's working time counts. Off: every minute counts (calendar days)."),
    )
    warning_fraction = models.FloatField(
        _("warning at (fraction of the limit)"),
        default=0.7,
        validators=[MinValueValidator(0.05), MaxValueValidator(0.99)],
    )
    grace_minutes = models.PositiveIntegerField(_("grace before escalation (minutes)"), default=1440)

    class Meta:
        verbose_name = _("dispute time limit")
        verbose_name_plural = _("dispute time limits")
        ordering = ["level", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "level"], name="dispute_limit_unique"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="dispute_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_phase_display()} {self.minutes} min"


def dispute_number(prefix: str, year: int, serial: int) -> str:
    """The case number (一案一码): (2026)温人调字第 00123 号."""
    return f"({year}){prefix}字第 {serial:05d} 号"


class Dispute(models.Model):
    """A dispute case (矛盾纠纷), held by one center at a time, with one number for life.

    Only `disputes.services` changes a case; every change leaves a DisputeAction row."""

    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4, editable=False)
    committee = models.ForeignKey(Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial"))
    number = models.CharField(_("case number"), max_length=60, unique=True)
    type = models.ForeignKey(DisputeType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    facts = models.TextField(_("facts of the dispute"), max_length=4000)
    claims = models.TextField(_("disputed matters and claims"), max_length=4000, blank=True)
    intake = models.CharField(_("came in by"), max_length=20, choices=Intake.choices)
    intake_reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("The hotline ticket, police incident or court number.")
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    people = models.PositiveIntegerField(_("people involved"), default=2)
    location = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    origin_center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("first center"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The center that took the case in; it keeps read access after an escalation."),
    )
    center = models.ForeignKey(
        "grids.Center", verbose_name=_("holding center"), on_delete=models.PROTECT, related_name="disputes"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.RECEIVED)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        on_delete=models.PROTECT,
        related_name="reported_disputes",
    )
    event = models.OneToOneField(
        "events.Event",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute",
        help_text=_("The event this dispute was converted from (linked both ways)."),
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="DisputeMediator", related_name="mediated_disputes", blank=True
    )
    # Where the case is resolved; and, once it left people's mediation, to which channel it went.
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PEOPLES)
    referred_to = models.CharField(
        _("handed to"), max_length=100, blank=True, help_text=_("The body the case or the parties were sent to.")
    )
    # Risk (four colours), the signals seen, and for red cases the plan and the joint meeting.
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices, blank=True, default=Risk.NONE)
    signals = models.JSONField(_("signals"), default=list, blank=True)
    alarmed_at = models.DateTimeField(_("alarm raised"), null=True, blank=True)
    risk_plan = models.TextField(_("plan for this case"), max_length=4000, blank=True)
    joint_meeting_at = models.DateTimeField(_("joint meeting"), null=True, blank=True)
    # The outcome of the mediation.
    agreement_form = models.CharField(_("agreement"), max_length=8, choices=AgreementForm.choices, blank=True)
    agreement_terms = models.TextField(_("agreed terms"), max_length=8000, blank=True)
    responsibility = models.TextField(_("each side's responsibility"), max_length=4000, blank=True)
    performance_method = models.CharField(_("method of performance"), max_length=200, blank=True)
    performance_place = models.CharField(_("place of performance"), max_length=200, blank=True)
    performance_due = models.DateField(_("performance time limit"), null=True, blank=True)
    outcome_reason = models.TextField(_("why it ended"), max_length=2000, blank=True)
    # Clocks: the running phase and its moments (clocks.moments); the sweep's next moment is in
    # DisputeSchedule. A new cycle each time a phase clock starts.
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, blank=True)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("phase due"), null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    clock_cycle = models.PositiveIntegerField(default=0, editable=False)
    clock_marks = models.PositiveSmallIntegerField(default=0, editable=False)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    mediation_due = models.DateTimeField(
        _("mediation due"), null=True, blank=True, help_text=_("The mediation deadline, extensions included (on time).")
    )
    extension_days = models.PositiveSmallIntegerField(_("days extended"), default=0)
    suspended_from = models.CharField(max_length=12, choices=State.choices, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    # Moments, for statistics (one definition each: disputes.selectors).
    created_at = models.DateTimeField(_("taken in at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    concluded_at = models.DateTimeField(
        _("concluded at"), null=True, blank=True, help_text=_("Agreement, failure, withdrawal or referral.")
    )
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["origin_center", "-created_at"], name="dispute_origin_created"),
            models.Index(fields=["origin_center", "state", "-created_at"], name="dispute_origin_state_created"),
            models.Index(fields=["center", "state", "-created_at"], name="dispute_center_state_created"),
            models.Index(fields=["created_at"], name="dispute_created"),
            models.Index(fields=["reporter", "-created_at"], name="dispute_reporter_created"),
            models.Index(fields=["address"], name="dispute_address", condition=~Q(address="")),
            GinIndex(name="dispute_title_trgm", fields=["title"], opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year", "serial"], name="dispute_number_once"),
            models.CheckConstraint(condition=Q(people__gte=1), name="dispute_people_positive"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DisputeMediator(models.Model):
    """A mediator named on a case (人民调解法 art. 19: one or more); one of them leads."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediator_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lead = models.BooleanField(_("lead mediator"), default=False)
    named_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "user"], name="dispute_mediator_once"),
            models.UniqueConstraint(fields=["dispute"], condition=Q(lead=True, active=True), name="dispute_one_lead"),
        ]
        indexes = [models.Index(fields=["user", "active"], name="dispute_mediator_user")]


class Party(models.Model):
    """A party to a dispute: a person or an organisation, with a role. Personal data: shown only to
    mediators and center staff in scope, each view logged (CaseView). The ID number is stored only
    masked and as a keyed hash (as volunteers': grids.services), never whole."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=12, choices=PartyRole.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=1, blank=True, choices=[("M", _("Male")), ("F", _("Female"))])
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    occupation = models.CharField(_("occupation or post"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    organisation_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    represents = models.ForeignKey(
        "self",
        verbose_name=_("agent for"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agents",
    )
    consents = models.BooleanField(
        _("consents to mediation"), null=True, blank=True, help_text=_("人民调解法 art. 17: a refusal ends it.")
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["id_number_hash"], name="party_id_hash", condition=~Q(id_number_hash="")),
            models.Index(fields=["phone"], name="party_phone", condition=~Q(phone="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Session(models.Model):
    """A mediation session (调解): when, where, who mediated, who attended, what was said."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200)
    mediators = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("mediators"), related_name="+")
    attendees = models.TextField(_("attendees"), max_length=2000, blank=True)
    notes = models.TextField(_("record"), max_length=20000, blank=True)
    held = models.BooleanField(_("held"), default=False, help_text=_("Off: planned (on the calendar)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="session_starts")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")), name="session_ends_after"
            )
        ]


class Investigation(models.Model):
    """An investigation record (调查笔录): who was interviewed, when, where, what they said."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="investigations")
    interviewed = models.CharField(_("interviewed"), max_length=200)
    at = models.DateTimeField(_("at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    content = models.TextField(_("what was said"), max_length=20000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("investigation record")
        verbose_name_plural = _("investigation records")
        ordering = ["at", "id"]


class Obligation(models.Model):
    """One term of an agreement that a party must perform by a date (履行事项)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="obligations")
    party = models.ForeignKey(Party, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(_("obligation"), max_length=500)
    due_date = models.DateField(_("due"))
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_date", "id"]


class FollowUp(models.Model):
    """A follow-up visit after an agreement (回访): planned with a due date, then made."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    due_date = models.DateField(_("due"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    method = models.CharField(_("how"), max_length=8, choices=VisitMethod.choices, blank=True)
    performance = models.CharField(_("performance"), max_length=10, choices=Performance.choices, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    new_risks = models.TextField(_("new risks"), max_length=2000, blank=True)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["due_date", "id"]


class Confirmation(models.Model):
    """Judicial confirmation of an agreement (司法确认, 法释〔2011〕5号): applied for by both parties
    together within 30 days of the agreement taking effect; accepted (or not) by the court within 3
    days; ruled within 15 days, extendable by 10."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="confirmation")
    applied_on = models.DateField(_("applied on"))
    court = models.CharField(_("court"), max_length=100)
    case_number = models.CharField(_("court case number"), max_length=60, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    ruling = models.CharField(_("ruling"), max_length=8, choices=ConfirmationRuling.choices, blank=True)
    ruled_on = models.DateField(_("ruled on"), null=True, blank=True)
    extended = models.BooleanField(_("ruling period extended by 10 days"), default=False)

    class Meta:
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")


def document_path(instance: Document, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"disputes/{instance.dispute_id}/{uuid.uuid4().hex}.{ext}"


class Document(models.Model):
    """A document of a case, versioned: the generated agreement (调解协议书) or session record
    (调解笔录) as PDF and .docx, then the signed scan, or another file. A signed version is
    immutable (the database refuses to change it); a new version is a new row."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="documents")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=10, choices=DocumentState.choices)
    pdf = models.FileField(_("PDF"), upload_to=document_path, blank=True)
    docx = models.FileField(_("Word file"), upload_to=document_path, blank=True)
    scan = models.FileField(_("signed scan"), upload_to=document_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text=_("Of the signed scan (or the generated PDF)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "kind", "session", "version"], name="document_version_once", nulls_distinct=False
            )
        ]


class DisputeAction(models.Model):
    """One step of a case's timeline (全程留痕). Immutable: the database refuses updates and deletes."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="actions", db_index=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the system (the clocks)."),
        db_index=False,
    )
    actor_role = models.CharField(max_length=20, blank=True)
    actor_center = models.ForeignKey("grids.Center", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey(
        "grids.Center", on_delete=models.PROTECT, related_name="+", help_text=_("The holding center after the step.")
    )
    level = models.CharField(max_length=16, choices=Level.choices)
    from_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices)
    reason = models.TextField(_("reason"), max_length=4000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"))
    cycle = models.PositiveIntegerField(null=True, blank=True)
    mark = models.PositiveSmallIntegerField(choices=Mark.choices, null=True, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["dispute", "created_at"], name="dispute_action_created"),
            models.Index(fields=["actor"], name="dispute_action_actor", condition=Q(actor__isnull=False)),
        ]
        constraints = [step_once("dispute", name="dispute_action_clock_once")]


class DisputeSchedule(models.Model):
    """The sweep's index of a case's next clock moment (clocks.sweep); a row only while one is
    pending. Written under the case's row lock."""

    dispute = models.OneToOneField(Dispute, primary_key=True, on_delete=models.CASCADE, related_name="schedule")
    next_due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["next_due_at"], name="dispute_schedule_due")]


class Reminder(models.Model):
    """A date after the agreement that the sweep warns of once (a follow-up visit due, an
    obligation due, the judicial confirmation window closing). `sent_at` is set in the sweep's
    transaction that sends the message: a reminder is sent once."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    key = models.PositiveIntegerField(default=0, help_text=_("The follow-up or obligation it is about (0: none)."))
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dispute", "kind", "key"], name="reminder_once")]
        indexes = [
            models.Index(fields=["due_at"], name="reminder_pending", condition=Q(sent_at__isnull=True, cancelled=False))
        ]


class RepeatLink(models.Model):
    """A case flagged at intake as a repeat of an earlier one (the same party by ID hash or phone,
    or the same address within the configured months)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="repeat_links")
    earlier = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20)  # id_number / phone / address

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dispute", "earlier"], name="repeat_link_once")]


class CaseView(models.Model):
    """A view of a case's personal data (the parties): who, when, how (page, API, document).
    Read by administrators in the admin; never changed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("view of personal data")
        verbose_name_plural = _("views of personal data")
        ordering = ["-at"]
        indexes = [models.Index(fields=["dispute", "-at"], name="case_view_dispute")]
