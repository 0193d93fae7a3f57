from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the alarms' inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {
    "alarm_source_throttled": _("Alarm source throttled"),
}


class AlarmsConfig(AppConfig):
    """Alarms from IoT and AI systems (物联感知): sources, devices, the signed webhook, clustering into
    events."""

    name = "alarms"
    verbose_name = _("IoT alarms")

    def ready(self) -> None:
        from clocks import sweep
        from inbox import kinds

        from . import services

        sweep.register("alarms", services.sweep)  # the outbox's periodic pass: nothing left behind
        kinds.register(INBOX_KINDS)
