"""Delivering inbox messages beyond the inbox: SMS through a pluggable adapter, and a realtime push.

`SMS_BACKEND` names a class with `send(phone, text)`; the default only logs (real gateways plug in
later). The realtime push is the `notification_created` signal, which the live-dashboard work
connects to each user's personal group."""

from __future__ import annotations

import logging

import django.dispatch
from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)
notification_created = django.dispatch.Signal()


def mask_phone(phone: str) -> str:
    """138****5678: enough to tell numbers apart in a log, not to call one."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


class LoggingSMSBackend:
    """Logs that a message would be sent instead of sending it: at INFO the masked number and the
    text's length only (logs are read and kept more widely than the inbox); the text at DEBUG."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s (%d characters)", mask_phone(phone), len(text))
        log.debug("SMS text to %s: %s", mask_phone(phone), text)


def sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "inbox.notify.LoggingSMSBackend"))()


SMS_KINDS = {
    "overdue",
    "escalated",
    "red_card",
    "yellow_card",
    "dispute_overdue",
    "dispute_escalated",
    "dispute_red_card",
    "care_lost_contact",  # a special-population person lost contact (失联): the police act at once
}


def deliver(notifications) -> None:
    """Sends SMS for the urgent kinds and announces every notification; failures are logged."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    urgent = [n for n in notifications if n.kind in SMS_KINDS]
    if urgent:
        phones = dict(
            user_model.objects.filter(pk__in={n.user_id for n in urgent}).exclude(phone="").values_list("id", "phone")
        )
        backend = sms_backend()
        for n in urgent:
            if n.user_id in phones:
                try:
                    backend.send(phones[n.user_id], n.message)
                except Exception:  # one failed SMS must not stop the others
                    log.exception("SMS to user %s failed", n.user_id)
    notification_created.send_robust(sender=None, notifications=notifications)
