"""Open311 client applications and their requests; the 12345 hotline's work orders, the callbacks
owed to it (an outbox) and every attempt to deliver them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Open311Client(models.Model):
    """An application allowed to post service requests through Open311 (a city app, FixMyStreet …).
    Its requests are reported by `account`, a service account made for it (never signed in). Only the
    key's SHA-256 is kept: the key itself is shown once, when it is made (interop.open311.client_create)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("service account"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Open311Request(models.Model):
    """A service request posted through Open311: its token, the event it became, and the citizen's
    contact as given (kept for the center, never published)."""

    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="requests")
    event = models.OneToOneField("events.Event", on_delete=models.PROTECT, related_name="open311")
    contact = models.JSONField(default=dict, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return str(self.token)


class HotlineOrder(models.Model):
    """A 12345 hotline work order (工单) handed to the platform: the event it became, its number
    (unique: the hotline resends, the platform answers with the same event), and the citizen's
    rating from the hotline's return call (回访)."""

    number = models.CharField(_("work order number"), max_length=40, unique=True)
    event = models.OneToOneField("events.Event", on_delete=models.PROTECT, related_name="hotline_order")
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    payload = models.JSONField(default=dict, blank=True)
    rating = models.CharField(_("rating"), max_length=20, blank=True)
    rating_comment = models.TextField(_("rating comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("hotline work order")
        verbose_name_plural = _("hotline work orders")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.number


class CallbackKind(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")


class HotlineCallback(models.Model):
    """A message owed to the hotline about one step of a work order's event (the outbox). Made in
    the step's wake, one per timeline row (unique `action`), and kept until the hotline takes it:
    resent with growing delays, however long the hotline is down (interop.hotline)."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.PROTECT, related_name="callbacks")
    action = models.OneToOneField("events.EventAction", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=CallbackKind.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hotline callback")
        verbose_name_plural = _("hotline callbacks")
        ordering = ["created_at", "id"]
        indexes = [
            # The periodic pass claims the undelivered ones in due order, over this small index.
            models.Index(
                fields=["next_attempt_at"], name="hotline_callback_due", condition=Q(delivered_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.order.number} {self.kind}"


class HotlineAttempt(models.Model):
    """One attempt to deliver a callback: when, what the hotline answered (or why nothing), how long."""

    callback = models.ForeignKey(HotlineCallback, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("hotline delivery attempt")
        verbose_name_plural = _("hotline delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.callback_id} @ {self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
