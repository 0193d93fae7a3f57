"""Alarm sources (external systems), their alarm types and devices, the alarms they send (the
outbox the webhook writes) and the clusters of alarms that became events."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Kind, Status

code_validator = RegexValidator(r"^[A-Za-z0-9_.:-]+$", _("Letters, digits and _ . : - only."))


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of an allowed-addresses field (one CIDR or address a line, or separated by commas).
    Raises ValueError naming the first bad entry."""
    networks = []
    for entry in text.replace(",", "\n").split():
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return networks


class Source(models.Model):
    """An external system that sends alarms (智慧平安小区, an electronic fence, 三车智防 …), owned by a
    department. It signs each request with `secret` (HMAC-SHA256); the secret is shown once, when it
    is made (alarms.services.source_secret_reset), never again."""

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Used in the webhook's address."))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    department = models.ForeignKey(
        "grids.Department", verbose_name=_("owning department"), on_delete=models.PROTECT, related_name="+"
    )
    secret = models.CharField(max_length=128, editable=False)
    allowed_addresses = models.TextField(
        _("allowed source addresses"),
        blank=True,
        help_text=_("One address or CIDR network a line (e.g. 10.20.0.0/16). Empty: any address."),
    )
    cluster_window_minutes = models.PositiveIntegerField(
        _("cluster window (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text=_("Alarms of one device and type this close together are one event."),
    )
    rate_limit_count = models.PositiveIntegerField(
        _("rate limit (requests)"), default=600, validators=[MinValueValidator(1)]
    )
    rate_limit_seconds = models.PositiveIntegerField(
        _("rate limit window (seconds)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(86400)]
    )
    max_events_per_hour = models.PositiveIntegerField(
        _("new events per hour at most"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("Beyond it the source is throttled: alarms are kept, no new events, and its department is told."),
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("system account"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="alarm_source",
        help_text=_("The inactive account its events are reported by."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alarm source")
        verbose_name_plural = _("alarm sources")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        try:
            parse_networks(self.allowed_addresses)
        except ValueError as exc:
            raise ValidationError(
                {"allowed_addresses": _("Not an address or network: %(entry)s") % {"entry": exc.args[0]}}
            ) from None


class AlarmType(models.Model):
    """One alarm type of a source and what it becomes: the event category and urgency, and its noise
    control (a threshold of N alarms within a window before an event, quiet hours)."""

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="types")
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        "events.EventCategory", verbose_name=_("event category"), on_delete=models.PROTECT, related_name="+"
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    threshold = models.PositiveSmallIntegerField(
        _("threshold (alarms)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("How many alarms of one device within the threshold window make an event."),
    )
    threshold_window_minutes = models.PositiveIntegerField(
        _("threshold window (minutes)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_to = models.TimeField(
        _("quiet until"),
        null=True,
        blank=True,
        help_text=_("Alarms in quiet hours are kept but make no event (e.g. 22:00 to 06:00, across midnight)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alarm type")
        verbose_name_plural = _("alarm types")
        ordering = ["source", "code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "code"], name="alarm_type_unique_code"),
            models.CheckConstraint(
                condition=Q(quiet_from__isnull=True, quiet_to__isnull=True)
                | Q(quiet_from__isnull=False, quiet_to__isnull=False),
                name="alarm_type_quiet_both_or_none",
                violation_error_message=_("Give both ends of the quiet hours, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} · {self.name}"


class Device(models.Model):
    """A device of a source (a gate's camera, a fence, a monitor, a vehicle reader) at one place: its
    grid and community center come from its position (PostGIS), as an event's do."""

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="devices")
    code = models.CharField(_("device code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    location = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, editable=False, on_delete=models.PROTECT
    )
    center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("center"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["source", "code"]
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="device_unique_code")]
        indexes = [models.Index(fields=["center"], name="device_center")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AlarmCluster(models.Model):
    """Alarms of one device and type close together in time: below the type's threshold a pending
    cluster (no event yet), then the event they made, whose timeline records each alarm. Written by
    alarms.services under the device's row lock."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="clusters")
    alarm_type = models.ForeignKey(AlarmType, on_delete=models.CASCADE, related_name="clusters")
    event = models.OneToOneField(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="alarm_cluster"
    )
    count = models.PositiveIntegerField(_("alarms"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("alarm cluster")
        verbose_name_plural = _("alarm clusters")
        indexes = [models.Index(fields=["device", "alarm_type", "-last_seen_at"], name="cluster_latest")]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.alarm_type_id} ×{self.count}"


class Alarm(models.Model):
    """One alarm as a source sent it. The webhook writes only this row (the outbox); clustering runs
    after the commit (a Celery task), and the periodic pass picks up any row left unprocessed.
    Idempotent: one row per (source, the source's alarm id)."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="alarms")
    external_id = models.CharField(_("alarm id"), max_length=64)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="alarms")
    alarm_type = models.ForeignKey(AlarmType, on_delete=models.PROTECT, related_name="alarms")
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    payload = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    cluster = models.ForeignKey(AlarmCluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="alarm_once_per_source")]
        indexes = [
            # The outbox: what is left to process, in arrival order, a tiny index.
            models.Index(fields=["id"], name="alarm_unprocessed", condition=Q(processed_at__isnull=True)),
            models.Index(fields=["source", "-received_at"], name="alarm_source_received"),
            models.Index(fields=["device", "-received_at"], name="alarm_device_received"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"
